// casectl's commands for a case's files: list, upload on the family's behalf, read back (decrypted,
// byte for byte), and review. Accepting a file records its document as received (records receive);
// rejecting one asks the family for it again by email (records request). Listing and reading files
// back are recorded in the case's access log before anything is printed.
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { documentTypeSchema } from '../../domain/case.ts';
import { InputError, parseInput, textSchema } from '../../domain/validation.ts';
import { acceptFile, rejectFile, type FileRow } from '../documents.ts';
import { mapFlags, type CommandContext } from './context.ts';

const typeOf = (value: string, flag: string) => mapFlags({ documentType: flag }, async () => parseInput(z.object({ documentType: documentTypeSchema() }), { documentType: value }).documentType);

const listed = (f: FileRow) => ({
  id: f.id,
  documentType: f.documentType,
  status: f.status,
  size: f.size,
  sha256: f.sha256,
  uploadedBy: f.uploadedBy,
  uploadedAt: f.uploadedAt,
  fileName: f.fileName,
  contentType: f.contentType,
  kind: f.kind,
  ...(f.language ? { language: f.language } : {}),
  ...(f.reason ? { reason: f.reason } : {}),
});

export function docsCommands(program: Command, ctx: CommandContext): void {
  const { print, usingDocuments, applying } = ctx;
  const docs = program.command('docs').description("a case's files: what the family or staff sent (encrypted in the vault), read back and reviewed");

  docs
    .command('list')
    .description('the files of a case: id, document type, original or translation (and its language), review status, size, sha256, who sent it and when')
    .argument('<caseId>', 'the case')
    .action(async (caseId: string, _opts: unknown, cmd: Command) => {
      const rows = await usingDocuments({ access: 'read', what: "list a case's files" }, caseId, async (d, _actor, seen) => {
        const files = await d.list(caseId);
        await seen('files_listed');
        return files;
      });
      print(cmd, rows.map(listed), () =>
        rows.length ? rows.map((f) => `${f.id}\t${f.documentType}\t${f.kind === 'translation' ? `translation (${f.language})` : f.kind}\t${f.status}${f.reason ? ` (${f.reason})` : ''}\t${f.size} bytes\t${f.uploadedBy}\t${f.uploadedAt}\t${f.fileName}`).join('\n') : 'No files yet.',
      );
    });

  docs
    .command('upload')
    .description("store a file for the case (a coordinator sending it on the family's behalf); it waits for review like the family's")
    .argument('<caseId>', 'the case')
    .argument('<file>', 'the file: PDF, JPEG, PNG, HEIC, DICOM, or a ZIP of a DICOM series')
    .requiredOption('--type <documentType>', 'e.g. medical_report, scans, pathology, biomarkers, treatment_history')
    .action(async (caseId: string, file: string, opts: { type: string }, cmd: Command) => {
      const documentType = await typeOf(opts.type, '--type');
      const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
        throw new InputError([{ field: '<file>', message: `cannot read ${file}${err.code === 'ENOENT' ? ': no such file' : ` (${err.code})`}` }]);
      });
      await handle.close();
      const needs = { access: 'coordinate', what: "upload a case's file" } as const;
      const row = await usingDocuments(needs, caseId, (d, actor) => d.store({ caseId, documentType, fileName: file, body: createReadStream(file), sender: 'coordinator', actor }));
      // The file is kept whatever the case answers; the case counts it among the files to review.
      const told = await applying(cmd, needs, (who) => (a) => a.filesUploaded(caseId, [row.id], who)).then(
        () => true,
        (err: unknown) => {
          process.stderr.write(`warning: the file is stored, but the case did not take note of it (${(err as Error).message}); review it with docs accept or docs reject as usual\n`);
          return false;
        },
      );
      print(cmd, { ...listed(row), caseTold: told }, () => `Stored ${row.fileName} as ${row.documentType} (${row.size} bytes, ${row.contentType}): ${row.id}, waiting for review.`);
    });

  docs
    .command('get')
    .description('the file as it was sent, decrypted, byte for byte (to standard output unless -o)')
    .argument('<caseId>', 'the case')
    .argument('<docId>', 'the file id (docs list)')
    .option('-o, --output <file>', 'write it to this file instead')
    .action(async (caseId: string, docId: string, opts: { output?: string }) => {
      await usingDocuments({ access: 'read', what: "read a case's file" }, caseId, async (d, _actor, seen) => {
        if (!(await d.find(caseId, docId))) throw new InputError([{ field: '<docId>', message: `no file ${docId} in case ${caseId}` }]);
        const body = await d.open(caseId, docId);
        await seen('file_downloaded', { fileId: docId }).catch((err: unknown) => {
          body.destroy();
          throw err;
        });
        // A file cut short or changed fails here, and -o is left incomplete: say so.
        await pipeline(body, opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : process.stdout).catch((err: Error) => {
          throw new Error(`could not read the file back (${err.name}: ${err.message})${opts.output ? `; ${opts.output} is incomplete` : ''}`);
        });
      });
    });

  docs
    .command('accept')
    .description('accept a file as a document of the case: the same as records receive, with the file linked')
    .argument('<caseId>', 'the case')
    .argument('<docId>', 'the file id (docs list)')
    .option('--type <documentType>', 'what it is, when not what the sender said')
    .action(async (caseId: string, docId: string, opts: { type?: string }, cmd: Command) => {
      const given = opts.type === undefined ? undefined : await typeOf(opts.type, '--type');
      const { file, note } = await usingDocuments('receiveDocument', caseId, (d, actor) =>
        acceptFile(d, caseId, docId, { ...(given ? { documentType: given } : {}), actor }, (file) =>
          applying(cmd, 'receiveDocument', (who) => (a, request) => a.act(caseId, 'receiveDocument', { ...file, actor: who }, request)),
        ),
      );
      print(cmd, listed(file), () => `Accepted ${file.fileName} as ${file.documentType}${note ? ` (${note})` : '; the case has it now'}.`);
    });

  docs
    .command('reject')
    .description('reject a file, and email the family (in their language, with their link) what to send again and why; for a translation, the translator')
    .argument('<caseId>', 'the case')
    .argument('<docId>', 'the file id (docs list)')
    .requiredOption('--reason <reason>', 'what is wrong with it, in words the family will read')
    .action(async (caseId: string, docId: string, opts: { reason: string }, cmd: Command) => {
      const { reason } = await mapFlags({ reason: '--reason' }, async () => parseInput(z.object({ reason: textSchema(2000, { multiline: true }) }), { reason: opts.reason }));
      const row = await usingDocuments('requestDocument', caseId, (d, actor) =>
        rejectFile(d, caseId, docId, { reason, actor }, (r) => applying(cmd, r.action, (who) => (a, request) => a.act(caseId, r.action, { ...r.args, reason, actor: who }, request))),
      );
      print(cmd, listed(row), () => `Rejected ${row.fileName}; ${row.kind === 'translation' ? `the translator is asked for the ${row.documentType} translation` : `the family is asked for ${row.documentType}`} again.`);
    });
}
