// casectl's case commands (open, list, show, cancel, close, timeline, repair), emails and the access log.
// Every read of a case is recorded in its access log (reading, context.ts) before it is printed.
import type { Command } from 'commander';
import { InputError, parseInput } from '../../domain/validation.ts';
import { openCaseSchema } from '../../domain/case.ts';
import { READ_WAIT_MS } from '../reads.ts';
import { accessLogText, caseDetails, caseTable, emailTable, timelineText } from '../cli-output.ts';
import { accessLogQuerySchema, DEFAULT_ACCESS_LIMIT, MAX_ACCESS_LIMIT } from '../access-log.ts';
import { actionHelp, list, mapFlags, readJsonInput, type CommandContext } from './context.ts';

export function caseCommands(program: Command, ctx: CommandContext): void {
  const { io, print, using, reading, usingRepairs, caseAction } = ctx;

  // ---- case ------------------------------------------------------------------------------------
  const kase = program.command('case').description('open, list, show, cancel, close and repair cases');

  kase
    .command('open')
    .description('open a case (opening the same patient again finds the existing case)')
    .option('--file <path>', 'case.json with patientRef, diagnosis, therapy, family {name, email, language, timeZone}, requiredDocuments (- for stdin)')
    .option('--patient-ref <ref>', 'patient reference, e.g. P-1042 (no names)')
    .option('--diagnosis <text>', 'diagnosis')
    .option('--therapy <text>', 'CAR-T therapy')
    .option('--family-name <name>', "family contact's name")
    .option('--family-email <email>', "family contact's email")
    .option('--family-language <lang>', "family's language, e.g. en, zh, es")
    .option('--family-timezone <tz>', "family's IANA time zone, e.g. Asia/Shanghai")
    .option('--documents <types>', 'comma-separated required documents (default: the standard five)')
    .addHelpText('after', '\nExample case.json:\n  {"patientRef": "P-1042", "diagnosis": "DLBCL, relapsed", "therapy": "axi-cel",\n   "family": {"name": "Li Wei", "email": "li@example.com", "language": "zh", "timeZone": "Asia/Shanghai"}}')
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      const fieldFlags = {
        patientRef: '--patient-ref',
        diagnosis: '--diagnosis',
        therapy: '--therapy',
        'family.name': '--family-name',
        'family.email': '--family-email',
        'family.language': '--family-language',
        'family.timeZone': '--family-timezone',
        requiredDocuments: '--documents',
      };
      const given = ['patientRef', 'diagnosis', 'therapy', 'familyName', 'familyEmail', 'familyLanguage', 'familyTimezone', 'documents'].filter((k) => opts[k] !== undefined);
      let raw: unknown;
      let flags: Record<string, string> = {};
      if (opts.file !== undefined) {
        if (given.length) throw new InputError([{ field: '--file', message: 'give either --file or the case fields as flags, not both' }]);
        raw = await readJsonInput(opts.file, io, 'case');
      } else {
        if (!given.length) throw new InputError([{ field: '', message: 'give --file case.json or the case fields as flags (casectl case open --help)' }]);
        raw = {
          patientRef: opts.patientRef,
          diagnosis: opts.diagnosis,
          therapy: opts.therapy,
          family: { name: opts.familyName, email: opts.familyEmail, language: opts.familyLanguage, timeZone: opts.familyTimezone },
          ...(opts.documents !== undefined ? { requiredDocuments: list(opts.documents) } : {}),
        };
        flags = fieldFlags;
      }
      const opened = await mapFlags(flags, async () => {
        parseInput(openCaseSchema(), raw);
        return using({ access: 'coordinate', what: 'open a case' }, true, (a, actor) => a.openCase(raw, actor));
      });
      print(cmd, opened, () => (opened.created ? `Case ${opened.caseId} opened.` : `Case ${opened.caseId} already existed for this patient; nothing new was opened.`));
    });

  kase
    .command('list')
    .description('list cases, those needing attention first: open clinical alerts, other open alerts, overdue steps, then the rest')
    .option('--stage <stage>', 'only cases in this stage')
    .option('--hospital <code>', 'only cases submitted to or admitted at this hospital')
    .option('--alert <which>', 'open, clinical or none: only cases with open alerts, open clinical alerts, or none')
    .option('--search <text>', "a case id, or part of the family's name")
    .option('--page <n>', 'page of 200 cases (default 1)')
    .action(async (opts: { stage?: string; hospital?: string; alert?: string; search?: string; page?: string }, cmd: Command) => {
      const list = await mapFlags({ stage: '--stage', hospital: '--hospital', alert: '--alert', search: '--search', page: '--page' }, () =>
        using({ access: 'read', what: 'list cases' }, false, (a) => a.listCases({ ...opts, pageSize: 200 })),
      );
      print(cmd, list.cases, () => caseTable(list.cases) + (list.total > list.cases.length ? `\n${list.cases.length} of ${list.total} cases shown (--page ${list.page + 1} for more).` : ''));
    });

  kase
    .command('show')
    .description('show a case: stage, what it waits for, documents, submissions, admission, alerts')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const status = await reading(caseId, 'case_viewed', 'read a case', true, (a) => a.statusForReading(caseId, READ_WAIT_MS));
      print(cmd, status, () => caseDetails(status));
    });

  kase
    .command('cancel')
    .description(actionHelp('cancelCase', 'in any stage; the family, the hospitals and the coordinator are told'))
    .argument('<caseId>', 'the case')
    .requiredOption('--reason <reason>', 'why')
    .action(async (caseId: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'cancelCase', { reason: opts.reason }, `Case ${caseId} cancelled.`, { reason: '--reason' });
    });

  kase
    .command('close')
    .description(actionHelp('closeCase', 'use cancel otherwise'))
    .argument('<caseId>', 'the case')
    .requiredOption('--reason <reason>', 'why')
    .action(async (caseId: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'closeCase', { reason: opts.reason }, `Case ${caseId} closed.`, { reason: '--reason' });
    });

  kase
    .command('timeline')
    .description('everything that happened on a case, oldest first')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const rows = await reading(caseId, 'timeline_viewed', "read a case's timeline", false, (a) => a.timeline(caseId));
      print(cmd, rows, () => timelineText(rows));
    });

  kase
    .command('repair')
    .description("bring back a case whose workflow task keeps failing because its history no longer replays: reset it to the latest workflow task that replays, with the Updates after it reapplied")
    .argument('<caseId>', 'the case')
    .option('--dry-run', 'say whether the case is stuck and where it would be reset to; change nothing')
    .addHelpText('after', '\nA case that is not stuck is left as it is. README, "A case whose workflow task keeps failing", says what a reset does to emails and records.')
    .action(async (caseId: string, opts: { dryRun?: boolean }, cmd: Command) => {
      // Looking is a read, for anyone on staff (ops first of all, who see the failing task in the Web
      // UI). The reset takes the case's steps after the reset point again, emails to the family and
      // hospitals among them (README), so it weighs as much as an action on the case: coordinators
      // only, as every action that changes a case. Ops stay read-only, as their role says.
      const needs = opts.dryRun ? { access: 'read', what: 'check whether a case is stuck' } as const : { access: 'coordinate', what: "repair a stuck case (reset its workflow)" } as const;
      const outcome = await usingRepairs(needs, async (r, actor) => {
        const diagnosis = await r.diagnose(caseId);
        return diagnosis.stuck && !opts.dryRun ? r.reset(diagnosis, `casectl case repair by ${actor}`) : diagnosis;
      });
      print(cmd, { ...outcome, ...(opts.dryRun ? { dryRun: true } : {}) }, () => {
        if (!outcome.stuck) return `Case ${caseId} is not stuck: ${outcome.why}. Nothing was changed.`;
        const updates = `${outcome.updatesAfter} Update${outcome.updatesAfter === 1 ? '' : 's'}`;
        if (!('newRunId' in outcome)) return `Case ${caseId} is stuck: its workflow task fails on replay. It would be reset to event ${outcome.resetEventId} of run ${outcome.runId}, with ${updates} after it reapplied. Nothing was changed (--dry-run).`;
        return [
          `Case ${caseId} repaired: reset to event ${outcome.resetEventId}, with ${updates} after it reapplied.`,
          `Old run: ${outcome.runId}`,
          `New run: ${outcome.newRunId}`,
        ].join('\n');
      });
    });

  // ---- emails ----------------------------------------------------------------------------------
  program
    .command('emails')
    .description('what was sent to whom, when, with what status')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const rows = await reading(caseId, 'emails_viewed', "read a case's emails", false, (a) => a.emails(caseId));
      print(cmd, rows, () => emailTable(rows));
    });

  // ---- access log --------------------------------------------------------------------------------
  program
    .command('access-log')
    .description("who has seen or acted on a case's data (staff, the family, hospitals, translators), newest first; reading it is an entry too")
    .argument('<caseId>', 'the case')
    .option('--limit <n>', `at most this many entries (default ${DEFAULT_ACCESS_LIMIT}, at most ${MAX_ACCESS_LIMIT})`)
    .action(async (caseId: string, opts: { limit?: string }, cmd: Command) => {
      const { limit } = await mapFlags({ limit: '--limit' }, async () => parseInput(accessLogQuerySchema, opts.limit === undefined ? {} : { limit: opts.limit }));
      const rows = await reading(caseId, 'access_log_viewed', "read a case's access log", false, (_a, log) => log.list(caseId, { limit }));
      print(cmd, rows, () => accessLogText(rows));
    });

}
