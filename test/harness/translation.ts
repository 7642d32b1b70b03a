// Cases with an original in the vault, for the translator's page (client/http/translation.ts):
// the service's own vault opened in the test's process, so a file stored here is the one the page
// gives, and a case driven to the point where its translation is asked for.
import { Readable } from 'node:stream';
import { loadConfig } from '../../config.ts';
import { acceptFile, createDocuments, type Documents } from '../../client/documents.ts';
import { openVault } from '../../activities/vault/open.ts';
import type { Service } from './service.ts';
import { ACTOR, caseFile, inStage, submitApproved, waitForStatus } from './drive.ts';

/** The service's vault and files (its DATA_DIR and VAULT_KEYS), with a 1 MB file limit as the service is given. */
export function serviceDocuments(service: Service, env: NodeJS.ProcessEnv): Documents {
  const config = loadConfig({ DATA_DIR: service.dataDir, VAULT_MAX_FILE_MB: '1' });
  return createDocuments({ db: service.database.db, vault: openVault(config, service.database.db, env), limits: config.vault });
}

/** A case (family in Spanish, one document) whose original is in the vault, accepted and received in Spanish. */
export async function caseWithOriginal(service: Service, documents: Documents, bytes: Buffer): Promise<{ caseId: string; originalId: string }> {
  const { caseId } = await service.actions.openCase({ ...caseFile({ family: { language: 'es' } }), requiredDocuments: ['medical_report'] }, ACTOR);
  await waitForStatus(service.actions, caseId, inStage('records'), 'records');
  const row = await documents.store({ caseId, documentType: 'medical_report', fileName: 'informe-paciente.pdf', body: Readable.from([bytes]), sender: 'family', actor: 'family' });
  await acceptFile(documents, caseId, row.id, { actor: ACTOR }, (f) => service.actions.act(caseId, 'receiveDocument', { ...f, language: 'es', actor: ACTOR }));
  return { caseId, originalId: row.id };
}

/** Submitted to `hospital` (which reads another language) and approved: the case asks the translator. */
export async function awaitTranslation(service: Service, caseId: string, hospital: string): Promise<void> {
  await waitForStatus(service.actions, caseId, inStage('translation'), 'translation');
  await submitApproved(service.actions, caseId, [hospital]);
  await waitForStatus(service.actions, caseId, (s) => s.documents.medical_report?.translation === 'pending', 'the translation requested');
}

/** The translator's link in the `count`th email to `translator` whose text satisfies `pred`, as a path on the service. */
export async function translatorLink(service: Service, translator: string, count: number, pred: (text: string) => boolean): Promise<string | undefined> {
  const mails = await service.sink.waitFor(count, (m) => JSON.stringify(m.to ?? '').includes(translator) && pred(m.text ?? ''), 20_000);
  return /http:\/\/care\.test(\/translation\/[A-Za-z0-9_.-]+)/.exec(mails[count - 1]!.text ?? '')?.[1];
}
