// casectl's hospital commands: the hospitals cases are submitted to, and their answers.
import { Argument, Command } from 'commander';
import { parseInput } from '../../domain/validation.ts';
import { hospitalSchema } from '../actions.ts';
import { hospitalTable } from '../cli-output.ts';
import { actionHelp, list, mapFlags, type CommandContext } from './context.ts';

export function hospitalCommands(program: Command, ctx: CommandContext): void {
  const { print, printStatus, using, applying, caseAction } = ctx;

  // ---- hospital ------------------------------------------------------------------------------
  const hospital = program.command('hospital').description('the hospitals cases are submitted to, and their answers');

  hospital
    .command('add')
    .description('add a hospital cases can be submitted to')
    .requiredOption('--code <code>', 'short code used in every other command, e.g. HCB')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--email <email>', 'where submissions and reminders go')
    .requiredOption('--language <lang>', 'language of its emails and of the documents it reads, e.g. es')
    .requiredOption('--timezone <tz>', 'IANA time zone, e.g. Europe/Madrid')
    .option('--phone <phone>', 'phone number')
    .action(async (opts: { code: string; name: string; email: string; language: string; timezone: string; phone?: string }, cmd: Command) => {
      const raw = { code: opts.code, name: opts.name, email: opts.email, language: opts.language, timezone: opts.timezone, ...(opts.phone !== undefined ? { phone: opts.phone } : {}) };
      const flags = { code: '--code', name: '--name', email: '--email', language: '--language', timezone: '--timezone', phone: '--phone' };
      const added = await mapFlags(flags, async () => {
        parseInput(hospitalSchema, raw);
        return using({ access: 'coordinate', what: 'add a hospital' }, false, (a) => a.addHospital(raw));
      });
      print(cmd, added, () => `Hospital ${added.code} added: ${added.name} <${added.email}>, ${added.language}, ${added.timezone}`);
    });

  hospital
    .command('list')
    .description('list the hospitals')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await using({ access: 'read', what: 'list the hospitals' }, false, (a) => a.listHospitals());
      print(cmd, rows, () => hospitalTable(rows));
    });

  hospital
    .command('submit')
    .description(actionHelp('submitToHospitals', 'the packet goes out once records and translations are ready'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCodes...>', 'hospital codes (casectl hospital list)')
    .action(async (caseId: string, codes: string[], _opts: unknown, cmd: Command) => {
      const status = await applying(cmd, 'submitToHospitals', (actor) => (a, request) => a.submit(caseId, codes, actor, request));
      printStatus(cmd, status, `Case ${caseId} will be submitted to ${codes.join(', ')}.`);
    });

  hospital
    .command('decision')
    .description(actionHelp('recordDecision'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCode>', 'the hospital that answered')
    .addArgument(new Argument('<decision>', 'its answer').choices(['accepted', 'declined', 'more_info']))
    .option('--reason <reason>', 'why (required when declined)')
    .option('--documents <types>', 'comma-separated documents it needs (required for more_info)')
    .action(async (caseId: string, hospitalCode: string, decision: 'accepted' | 'declined' | 'more_info', opts: { reason?: string; documents?: string }, cmd: Command) => {
      const args = {
        hospitalCode,
        decision,
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.documents !== undefined ? { documents: list(opts.documents) } : {}),
      };
      await caseAction(cmd, caseId, 'recordDecision', args, `Recorded: ${hospitalCode} ${decision.replace('_', ' ')}.`, { reason: '--reason', documents: '--documents' });
    });

  hospital
    .command('approve')
    .description(actionHelp('approveSharing', 'when the family approves by phone or in writing rather than on their page'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCode>', 'a hospital chosen for the case')
    .action(async (caseId: string, hospitalCode: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'approveSharing', { hospitalCode }, `Sharing with ${hospitalCode} approved.`);
    });

  hospital
    .command('choose')
    .description(actionHelp('chooseHospital'))
    .argument('<caseId>', 'the case')
    .argument('<hospitalCode>', 'a hospital that accepted')
    .action(async (caseId: string, hospitalCode: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'chooseHospital', { hospitalCode }, `Hospital ${hospitalCode} chosen.`);
    });

}
