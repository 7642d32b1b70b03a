// casectl: the coordinators' command line. Every case command goes through the shared action
// layer (client/actions.ts), so it validates, refuses and reports exactly as the HTTP API does.
//
//   npm run cli -- case show c1a2b3c4d5e6      bin/casectl case show c1a2b3c4d5e6 --json
//
// Every command that reads or acts on cases runs as the staff account of the API token in
// CASECTL_TOKEN: its role is checked against the action registry (domain/actions.ts), as the JSON
// API checks it, and its email is the actor recorded. The `user` commands are the exception: the
// operator's bootstrap, on the database directly, so that the first account and token can be made;
// and `vault rotate`, the operator's too, which needs the vault's keys rather than an account.
//
// Output: text for people, `--json` (anywhere on the line) for scripts. Errors: one line on
// stderr, nothing on stdout, exit 2 bad input, 3 unknown case, 4 refused action (by the case or
// by the account's role), 5 an action not answered in time (run it again with the --request-id it
// prints: applied once), 6 not signed in, 1 otherwise.
// A read the case's worker does not answer within a few seconds shows what Postgres recorded.
// Connections are opened only by the commands that need them (`crs grade` needs none) and
// closed before the process exits.
//
//   casectl/context.ts    what every command shares (connections, the signed-in account, time limit, request ids, output, exit codes)
//   casectl/cases.ts      case open, list, show, cancel, close, timeline, repair; emails; access-log
//   casectl/hospitals.ts  hospital add, list, submit, decision, choose
//   casectl/care.ts       records, translation, admission, infusion, monitoring, follow-up, alert, checkin
//   casectl/setup.ts      protocol, user, vault, crs
import { Command, CommanderError } from 'commander';
import type { StaffAction } from '../domain/actions.ts';
import { createContext, describeError, EXIT, oneLine, DEFAULT_TIMEOUT_SECONDS, type CasectlDeps } from './casectl/context.ts';
import { hospitalCommands } from './casectl/hospitals.ts';
import { caseCommands } from './casectl/cases.ts';
import { careCommands } from './casectl/care.ts';
import { setupCommands } from './casectl/setup.ts';
import { docsCommands } from './casectl/docs.ts';

export { EXIT, type CasectlDeps };

/** The command that takes each staff action (test/foundation/actions.test.ts checks that every action has one). */
export const ACTION_COMMANDS: Record<StaffAction, string> = {
  receiveDocument: 'records receive',
  waiveDocument: 'records waive',
  requestDocument: 'records request',
  completeTranslation: 'translation done',
  rejectTranslation: 'translation reject',
  submitToHospitals: 'hospital submit',
  recordDecision: 'hospital decision',
  chooseHospital: 'hospital choose',
  approveSharing: 'hospital approve',
  planAdmission: 'admission plan',
  confirmAdmission: 'admission confirm',
  recordInfusion: 'infusion record',
  endMonitoring: 'monitoring end',
  recordFollowUp: 'follow-up record',
  closeCase: 'case close',
  cancelCase: 'case cancel',
  acknowledgeAlert: 'alert ack',
  recordClinical: 'checkin clinical',
};

export function buildProgram(deps: CasectlDeps = {}): Command {
  const ctx = createContext(deps);
  const { io } = ctx;
  const program = new Command('casectl')
    .description('Coordinate CAR-T therapy cases: hospitals, records, submissions, admission, monitoring and follow-up.')
    .option('--json', 'print JSON for scripts instead of text (allowed anywhere on the line)')
    .option('--request-id <id>', 'your id for an action: running it again with the same id applies it once and prints its first outcome (default: a new id each time)')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .commandsGroup('Commands, as the account of CASECTL_TOKEN:')
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(`${oneLine(s)}\n`),
    })
    .addHelpText(
      'after',
      `
Signing in: CASECTL_TOKEN is an API token of your staff account (casectl user token <email> --name <machine>); its role
decides what you may do, and its email is recorded as the actor of every action.
Exit codes: 0 done, 1 failure (e.g. a service unreachable), 2 bad input, 3 unknown case, 4 action refused (by the case or
your role), 5 not answered in time, 6 not signed in.
Environment: CASECTL_TOKEN, TEMPORAL_ADDRESS, DATABASE_URL, TASK_QUEUE, PAYLOAD_KEYS or PAYLOAD_KEY_FILE (else
DATA_DIR/payload-keys.json; DATA_DIR defaults to the project's data/, as for npm start), CASECTL_TIMEOUT_SECONDS (default ${DEFAULT_TIMEOUT_SECONDS}).`,
    );

  hospitalCommands(program, ctx);
  caseCommands(program, ctx);
  careCommands(program, ctx);
  docsCommands(program, ctx);
  setupCommands(program, ctx);
  return program;
}

/** Runs casectl with `argv` (the user's arguments) and returns the exit code; never throws. */
export async function runCasectl(argv: string[], deps: CasectlDeps = {}): Promise<number> {
  const err = deps.io?.err ?? ((text: string) => void process.stderr.write(`${text}\n`));
  const env = deps.env ?? process.env;
  try {
    await buildProgram(deps).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has already printed its one line (or the help).
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      return EXIT.badInput;
    }
    const { code, message } = describeError(e);
    err(`error: ${message}`);
    if (env.CASECTL_DEBUG && e instanceof Error && e.stack) err(e.stack);
    return code;
  }
}

if (import.meta.main) {
  const code = await runCasectl(process.argv.slice(2));
  process.exitCode = code;
  // Everything is closed by now; should a library keep a handle open, do not hang the shell.
  setTimeout(() => process.exit(code), 2000).unref();
}
