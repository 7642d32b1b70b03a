// casectl's commands for the steps of a case: records, translation, admission, infusion, monitoring,
// follow-up, alerts and clinical observations.
import type { Command } from 'commander';
import { parseObservation } from '../../domain/crs.ts';
import { actionHelp, readJsonInput, type CommandContext } from './context.ts';

export function careCommands(program: Command, ctx: CommandContext): void {
  const { io, print, applying, caseAction } = ctx;

  // ---- records ---------------------------------------------------------------------------------
  const records = program.command('records').description("the family's medical records");

  records
    .command('receive')
    .description(actionHelp('receiveDocument'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'e.g. medical_report, scans, pathology, biomarkers, treatment_history')
    .option('--language <lang>', "the document's language (default: the family's)")
    .action(async (caseId: string, documentType: string, opts: { language?: string }, cmd: Command) => {
      const args = { documentType, ...(opts.language !== undefined ? { language: opts.language } : {}) };
      await caseAction(cmd, caseId, 'receiveDocument', args, `Received ${documentType}.`, { documentType: '<documentType>', language: '--language' });
    });

  records
    .command('waive')
    .description(actionHelp('waiveDocument'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'the document')
    .requiredOption('--reason <reason>', 'why it is not needed')
    .action(async (caseId: string, documentType: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'waiveDocument', { documentType, reason: opts.reason }, `Waived ${documentType}.`, { documentType: '<documentType>', reason: '--reason' });
    });

  records
    .command('request')
    .description(actionHelp('requestDocument'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'the document')
    .requiredOption('--reason <reason>', 'what was wrong with the last one, in words the family will read')
    .action(async (caseId: string, documentType: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'requestDocument', { documentType, reason: opts.reason }, `Asked the family for ${documentType} again.`, { documentType: '<documentType>', reason: '--reason' });
    });

  // ---- translation -----------------------------------------------------------------------------
  const translation = program.command('translation').description('document translations');
  translation
    .command('done')
    .description(actionHelp('completeTranslation'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'the translated document')
    .action(async (caseId: string, documentType: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'completeTranslation', { documentType }, `Translation of ${documentType} done.`, { documentType: '<documentType>' });
    });
  translation
    .command('reject')
    .description(actionHelp('rejectTranslation'))
    .argument('<caseId>', 'the case')
    .argument('<documentType>', 'the translated document')
    .requiredOption('--reason <reason>', 'what is wrong with it, in words the translator will read')
    .action(async (caseId: string, documentType: string, opts: { reason: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'rejectTranslation', { documentType, reason: opts.reason }, `Translation of ${documentType} sent back to the translator.`, { documentType: '<documentType>', reason: '--reason' });
    });

  // ---- admission -------------------------------------------------------------------------------
  const admission = program.command('admission').description("admission at the chosen hospital");

  admission
    .command('plan')
    .description(actionHelp('planAdmission', 'the family is told, and reminded before the date'))
    .argument('<caseId>', 'the case')
    .requiredOption('--hospital <code>', 'the chosen hospital')
    .requiredOption('--date <datetime>', 'ISO date-time with a time zone, e.g. 2026-12-01T09:00:00+01:00')
    .option('--contact <text>', 'who to ask for on arrival')
    .option('--notes <text>', 'anything the family should know')
    .action(async (caseId: string, opts: { hospital: string; date: string; contact?: string; notes?: string }, cmd: Command) => {
      const args = {
        hospitalCode: opts.hospital,
        admissionAt: opts.date,
        ...(opts.contact !== undefined ? { contact: opts.contact } : {}),
        ...(opts.notes !== undefined ? { notes: opts.notes } : {}),
      };
      await caseAction(cmd, caseId, 'planAdmission', args, `Admission planned at ${opts.hospital}.`, { hospitalCode: '--hospital', admissionAt: '--date', contact: '--contact', notes: '--notes' });
    });

  admission
    .command('confirm')
    .description(actionHelp('confirmAdmission'))
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'confirmAdmission', {}, 'Admission confirmed.');
    });

  // ---- infusion, monitoring, follow-up ---------------------------------------------------------
  program
    .command('infusion')
    .description('the CAR-T infusion')
    .command('record')
    .description(actionHelp('recordInfusion'))
    .argument('<caseId>', 'the case')
    .option('--at <datetime>', 'ISO date-time with a time zone (default: now)')
    .action(async (caseId: string, opts: { at?: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'recordInfusion', { at: opts.at ?? new Date().toISOString() }, 'Infusion recorded.', { at: '--at' });
    });

  program
    .command('monitoring')
    .description('post-infusion monitoring')
    .command('end')
    .description(actionHelp('endMonitoring', 'follow-up starts'))
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'endMonitoring', {}, 'Monitoring ended.');
    });

  program
    .command('follow-up')
    .description('follow-up contacts after the infusion')
    .command('record')
    .description(actionHelp('recordFollowUp', 'of the contact that is waiting for one'))
    .argument('<caseId>', 'the case')
    .requiredOption('--outcome <text>', 'what the family reported')
    .action(async (caseId: string, opts: { outcome: string }, cmd: Command) => {
      await caseAction(cmd, caseId, 'recordFollowUp', { outcome: opts.outcome }, 'Follow-up outcome recorded.', { outcome: '--outcome' });
    });

  // ---- alerts ----------------------------------------------------------------------------------
  program
    .command('alert')
    .description('alerts raised on a case')
    .command('ack')
    .description(actionHelp('acknowledgeAlert', 'casectl case show lists them'))
    .argument('<caseId>', 'the case')
    .argument('<alertId>', 'e.g. a1')
    .action(async (caseId: string, alertId: string, _opts: unknown, cmd: Command) => {
      await caseAction(cmd, caseId, 'acknowledgeAlert', { alertId }, `Alert ${alertId} acknowledged.`, { alertId: '<alertId>' });
    });

  // ---- check-ins ---------------------------------------------------------------------------------
  program
    .command('checkin')
    .description('post-infusion monitoring: clinical observations from the treating team')
    .command('clinical')
    .description(actionHelp('recordClinical', 'the same JSON as `crs grade`'))
    .argument('<caseId>', 'the case')
    .option('--file <path>', 'the observation as JSON (default: standard input)')
    .action(async (caseId: string, opts: { file?: string }, cmd: Command) => {
      const observation = await readJsonInput(opts.file, io, 'observation');
      // Bad input is named before anything is contacted (the workflow checks again).
      parseObservation(observation);
      const outcome = await applying(cmd, 'recordClinical', (actor) => (a, request) => a.recordClinical(caseId, observation, actor, request));
      print(cmd, outcome, () =>
        [
          `CRS grade ${outcome.crs.grade} (${outcome.crs.reason})${outcome.crs.clinicianReview ? ', needs clinician review' : ''}`,
          `ICANS grade ${outcome.icans.grade} (${outcome.icans.reason})${outcome.icans.clinicianReview ? ', needs clinician review' : ''}`,
          `Escalation: ${outcome.tier}${outcome.alertId ? ` (alert ${outcome.alertId}; acknowledge with: casectl alert ack ${caseId} ${outcome.alertId})` : ''}`,
        ].join('\n'),
      );
    });

}
