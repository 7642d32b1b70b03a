// casectl's setup commands: check-in protocols, staff accounts, the vault's master keys, and CRS
// grading without a server. The account commands are the operator's bootstrap: every other command
// needs an account's token, so these work on the database directly, with no token, or the first
// account could never be made. `vault rotate` is the operator's too: it needs the vault's keys,
// which no account has.
import type { Command } from 'commander';
import { InputError, parseInput } from '../../domain/validation.ts';
import { gradeObservation, parseObservation } from '../../domain/crs.ts';
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, newUserSchema } from '../accounts.ts';
import type { NotRewrapped, Rewrapped } from '../../activities/vault/vault.ts';
import { mapFlags, readJsonInput, type CommandContext } from './context.ts';

const BOOTSTRAP = 'Bootstrap (operator) commands: on the database directly, before any account exists';
const BOOTSTRAP_NOTE = "Bootstrap (operator) commands work on the database directly, before any account exists: they need DATABASE_URL, not CASECTL_TOKEN, and act with the database's credentials, not as an account.";
const FIRST_ACCOUNT = `  printf %s "$PASSWORD" | casectl user add --email ana@care.example --name "Ana" --role coordinator
  casectl user token ana@care.example --name laptop       # prints the token once
  export CASECTL_TOKEN=<the token>                         # every other command now acts as ana@care.example`;

const caseKeys = (n: number) => `${n} case key${n === 1 ? '' : 's'}`;

/** Which case keys were left as they were and why, or undefined when none was. */
function notRewrapped(report: Rewrapped): string | undefined {
  const why = (reason: NotRewrapped['reason'], under: string) => {
    const left = report.notRewrapped.filter((l) => l.reason === reason);
    const n = left.reduce((sum, l) => sum + l.cases, 0);
    return n ? `${caseKeys(n)} under keys ${under} (${left.map((l) => l.keyId).join(', ')})` : undefined;
  };
  const parts = [why('not configured', 'that are not configured'), why('does not unwrap', 'configured with other bytes than wrapped them')].filter((p) => p !== undefined);
  return parts.length ? `not re-wrapped, left as they were: ${parts.join('; ')}` : undefined;
}

export function setupCommands(program: Command, ctx: CommandContext): void {
  const { io, print, using, usingAccounts, usingVault } = ctx;

  // ---- protocols -------------------------------------------------------------------------------
  const protocolCmd = program.command('protocol').description('post-infusion check-in protocols (data, chosen per hospital and therapy)');
  protocolCmd
    .command('set')
    .description('store a protocol; cases already in monitoring keep the one they started with')
    .requiredOption('--name <name>', 'protocol name (a protocol named "default" with no hospital or therapy is the default)')
    .option('--hospital <code>', 'use it for this hospital')
    .option('--therapy <therapy>', "use it for this therapy (as written in the case's therapy)")
    .option('--file <path>', 'protocol settings as JSON, e.g. {"feverThresholdC": 37.5, "windowDays": 28} (default: standard input)')
    .action(async (opts: { name: string; hospital?: string; therapy?: string; file?: string }, cmd: Command) => {
      const settings = await readJsonInput(opts.file, io, 'protocol');
      const saved = await using({ access: 'coordinate', what: 'set a check-in protocol' }, false, (a) =>
        a.setProtocol({ name: opts.name, protocol: settings, ...(opts.hospital ? { hospitalCode: opts.hospital } : {}), ...(opts.therapy ? { therapy: opts.therapy } : {}) }),
      );
      print(cmd, saved, () => `Protocol ${saved.name} saved${saved.hospitalCode ? ` for ${saved.hospitalCode}` : ''}${saved.therapy ? ` (${saved.therapy})` : ''}: fever threshold ${saved.protocol.feverThresholdC} °C, ${saved.protocol.windowDays}-day window.`);
    });
  protocolCmd
    .command('list')
    .description('stored protocols')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await using({ access: 'read', what: 'list the check-in protocols' }, false, (a) => a.listProtocols());
      print(cmd, rows, () => (rows.length ? rows.map((r) => `${r.name}\t${r.hospitalCode ?? '*'}\t${r.therapy ?? '*'}\tfever ≥ ${r.protocol.feverThresholdC} °C, ${r.protocol.windowDays} days`).join('\n') : 'No stored protocols: cases use the built-in default.'));
    });

  // ---- staff accounts (bootstrap) ---------------------------------------------------------------
  const user = program
    .command('user')
    .description('staff accounts (coordinators, clinicians, ops) and their API tokens, for casectl and the JSON API')
    .helpGroup(`${BOOTSTRAP}:`)
    .addHelpText('after', `\n${BOOTSTRAP_NOTE}\n\nThe first account and its token:\n${FIRST_ACCOUNT}`);

  user
    .command('add')
    .description('add an account; the password is read from standard input (never a flag, so it stays out of shell history)')
    .requiredOption('--email <email>', 'the sign-in email, also recorded as the actor of every action')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--role <role>', 'coordinator (every action), clinician (reads, clinical observations, alert acknowledgements) or ops (reads)')
    .option('--password-stdin', 'read the password from standard input (the default; the first line is the password)')
    .option('--admin', 'may manage the other accounts on the console\'s Accounts page')
    .addHelpText('after', '\nExample: printf %s "$PASSWORD" | casectl user add --email ana@care.example --name "Ana" --role coordinator --password-stdin')
    .action(async (opts: { email: string; name: string; role: string; admin?: boolean }, cmd: Command) => {
      const password = (await io.readStdin()).split(/\r?\n/)[0] ?? '';
      const raw = { email: opts.email, name: opts.name, role: opts.role, password, admin: opts.admin === true };
      const flags = { email: '--email', name: '--name', role: '--role', password: 'standard input' };
      const created = await mapFlags(flags, async () => {
        parseInput(newUserSchema, raw);
        return usingAccounts((a) => a.createUser(raw));
      });
      print(cmd, { email: created.email, name: created.name, role: created.role, admin: created.admin }, () =>
        `Account ${created.email} added (${created.role}${created.admin ? ', admin' : ''}). Its first console sign-in sets up its second factor.`,
      );
    });

  user
    .command('token')
    .description('create an API token for an account (Authorization: Bearer <token>); printed once, only its hash is kept')
    .argument('<email>', 'the account')
    .requiredOption('--name <name>', 'what the token is for, e.g. "lab import script"')
    .option('--days <days>', `how long it lives (at most ${MAX_TOKEN_DAYS})`, String(DEFAULT_TOKEN_DAYS))
    .action(async (email: string, opts: { name: string; days: string }, cmd: Command) => {
      const made = await mapFlags({ name: '--name', email: '<email>', days: '--days' }, () => usingAccounts((a) => a.createApiToken(email, opts.name, Number(opts.days))));
      print(cmd, { token: made.token, name: made.name, email: made.user.email, role: made.user.role, expiresAt: made.expiresAt.toISOString() }, () =>
        [`API token "${made.name}" for ${made.user.email} (${made.user.role}), until ${made.expiresAt.toISOString()}; it is shown only this once:`, made.token].join('\n'),
      );
    });

  user
    .command('revoke-token')
    .description('end an API token at once, by the name it was made with')
    .argument('<email>', 'the account')
    .argument('<name>', 'the token\'s name')
    .action(async (email: string, name: string, _opts: unknown, cmd: Command) => {
      await mapFlags({ email: '<email>', name: '<name>' }, () => usingAccounts((a) => a.revokeApiToken(email, name)));
      print(cmd, { email, name, revoked: true }, () => `Token "${name}" of ${email} revoked.`);
    });

  user
    .command('list')
    .description('every account: role, admin right, second factor, whether it is disabled, its live API tokens')
    .action(async (_opts: unknown, cmd: Command) => {
      const users = await usingAccounts((a) => a.listUsers());
      print(cmd, users.map(({ id: _id, ...u }) => u), () =>
        users.map((u) => `${u.email}\t${u.role}${u.admin ? '\tadmin' : ''}${u.secondFactor ? '' : '\tno second factor yet'}${u.disabled ? '\tdisabled' : ''}\t${u.name}${u.tokens.map((t) => `\n  token "${t.name}" until ${t.expiresAt}${t.lastUsedAt ? `, last used ${t.lastUsedAt}` : ''}`).join('')}`).join('\n') || 'No accounts yet.',
      );
    });

  for (const [name, disabled, done] of [['disable', true, 'disabled: it cannot sign in, and its sessions have ended'], ['enable', false, 'enabled again']] as const) {
    user
      .command(name)
      .description(disabled ? 'stop an account signing in (someone who left); its sessions end at once' : 'let a disabled account sign in again')
      .argument('<email>', 'the account')
      .action(async (email: string, _opts: unknown, cmd: Command) => {
        const u = await mapFlags({ email: '<email>' }, () => usingAccounts((a) => a.setDisabled(email, disabled)));
        print(cmd, { email: u.email, disabled }, () => `Account ${u.email} ${done}.`);
      });
  }

  user
    .command('password')
    .description('set an account\'s password, read from standard input; its sessions and sign-in lock end')
    .argument('<email>', 'the account')
    .action(async (email: string, _opts: unknown, cmd: Command) => {
      const password = (await io.readStdin()).split(/\r?\n/)[0] ?? '';
      await mapFlags({ email: '<email>', password: 'standard input' }, () => usingAccounts((a) => a.setPassword(email, password)));
      print(cmd, { email, passwordSet: true }, () => `Password of ${email} set; its sessions have ended.`);
    });

  user
    .command('unlock')
    .description('let an account that failed sign-ins too often sign in again now (after making sure it is its owner asking)')
    .argument('<email>', 'the account')
    .action(async (email: string, _opts: unknown, cmd: Command) => {
      await mapFlags({ email: '<email>' }, () => usingAccounts((a) => a.unlock(email)));
      print(cmd, { email, unlocked: true }, () => `${email} may sign in again.`);
    });

  user
    .command('reset-second-factor')
    .description('remove an account\'s second factor and recovery codes (a lost phone); its sessions end, and it sets up a new one at its next sign-in')
    .argument('<email>', 'the account')
    .action(async (email: string, _opts: unknown, cmd: Command) => {
      await mapFlags({ email: '<email>' }, () => usingAccounts((a) => a.resetSecondFactor(email)));
      print(cmd, { email, secondFactor: false }, () => `Second factor of ${email} removed; it sets up a new one at its next sign-in.`);
    });

  user
    .command('admin')
    .description('give an account the admin right (the console\'s Accounts page), or take it away with --remove')
    .argument('<email>', 'the account')
    .option('--remove', 'take the admin right away')
    .action(async (email: string, opts: { remove?: boolean }, cmd: Command) => {
      const u = await mapFlags({ email: '<email>' }, () => usingAccounts((a) => a.setAdmin(email, opts.remove !== true)));
      print(cmd, { email: u.email, admin: u.admin }, () => `${u.email} ${u.admin ? 'is now an admin' : 'is no longer an admin'}.`);
    });

  for (const command of user.commands) command.addHelpText('after', `\n${BOOTSTRAP_NOTE}`);

  // ---- the vault's master keys (operator) -----------------------------------------------------
  const VAULT_NOTE = `${BOOTSTRAP_NOTE} The vault's commands need its keys as the worker has them: VAULT_KEYS or VAULT_KEY_FILE (else DATA_DIR/vault-keys.json).`;
  program
    .command('vault')
    .description("the document vault's master keys (VAULT_KEYS), which wrap each case's data key")
    .helpGroup(`${BOOTSTRAP}:`)
    .addHelpText('after', `\n${VAULT_NOTE}`)
    .command('rotate')
    .description('re-wrap every live case key under the current master key (the first in VAULT_KEYS), so that the older keys can be removed; the files themselves are not re-encrypted')
    .addHelpText('after', `\n${VAULT_NOTE}\nRun it once every process has the new key; it can be run again at any time. Exit 1 when some case keys could not be re-wrapped.`)
    .action(async (_opts: unknown, cmd: Command) => {
      const report = await usingVault((v) => v.rewrapKeys());
      print(cmd, report, () =>
        `Re-wrapped ${caseKeys(report.rewrapped)} under key ${report.currentKeyId}; ${report.alreadyCurrent} already current; keys still in use: ${report.keysInUse.join(', ') || 'none'}.`,
      );
      // What was done is printed either way; what was not fails the command (stderr, exit 1), so a
      // script cannot take a partial rotation for a finished one and remove a key still in use.
      const left = notRewrapped(report);
      if (left) throw new Error(left);
    });

  // ---- crs -------------------------------------------------------------------------------------
  program
    .command('crs')
    .helpGroup('Offline (no service, no account):')
    .description('cytokine release syndrome and neurotoxicity (no server or database needed)')
    .command('grade')
    .description('grade one observation (ASTCT CRS and ICANS) and say how urgently to escalate; prints JSON')
    .option('--file <path>', 'the observation as JSON (default: standard input)')
    .option('--fever-threshold <celsius>', "the centre's 'call us' fever threshold, 37.0-38.0 (grading always uses 38.0)")
    .addHelpText(
      'after',
      `
Input, e.g.: {"temperatureC": 39.1, "vasopressors": ["norepinephrine"], "oxygen": {"device": "nasal_cannula", "flowLpm": 4}, "iceScore": 8}
Output:      {"crs": {"grade", "clinicianReview", "reason"}, "icans": {...}, "tier": "none|contact_team|urgent|critical"}
Fields, defaults and policy: domain/crs.ts (parseObservation, gradeObservation).`,
    )
    .action(async (opts: { file?: string; feverThreshold?: string }) => {
      let feverThresholdC: number | undefined;
      if (opts.feverThreshold !== undefined) {
        feverThresholdC = Number(opts.feverThreshold);
        if (opts.feverThreshold.trim() === '' || !Number.isFinite(feverThresholdC)) throw new InputError([{ field: 'feverThresholdC (--fever-threshold)', message: 'must be a number of °C' }]);
      }
      const input = await readJsonInput(opts.file, io, 'observation');
      const grading = await mapFlags({ feverThresholdC: '--fever-threshold' }, async () =>
        gradeObservation(parseObservation(input), feverThresholdC === undefined ? {} : { feverThresholdC }),
      );
      io.out(JSON.stringify(grading, null, 2));
    });

}
