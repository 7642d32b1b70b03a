// Retention on the time-skipping server: a year after a case ends, the daily sweep crypto-shreds its
// files (the data key first, then the objects); nothing of them can be read afterwards, their rows
// say purged and the timeline says so. A case that ended recently is left alone.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';
import { createDocuments } from '../../client/documents.ts';
import { retentionSweep } from '../../workflows/retention.ts';
import { CaseShredded } from '../../activities/vault/vault.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
const PDF = Buffer.from(`%PDF-1.4\n% scan of the patient\n${'x'.repeat(3000)}\n%%EOF\n`);
beforeAll(async () => {
  t = await startCaseTestEnv();
});
afterAll(async () => t?.teardown());

async function cancelledCaseWithAFile(): Promise<string> {
  const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  await createDocuments({ db: t.database.db, vault: t.vault, limits: t.config.vault }).store({ caseId, documentType: 'medical_report', fileName: 'scan.pdf', body: Readable.from([PDF]), sender: 'family', actor: 'family' });
  await t.actions.act(caseId, 'cancelCase', { actor, reason: 'The family chose another centre' });
  await t.waitForStatus(caseId, (s) => s.stage === 'cancelled');
  return caseId;
}

const sweep = async () => (await t.client.workflow.execute(retentionSweep, { taskQueue: t.config.taskQueue, workflowId: `sweep-${Date.now()}` })).shredded;

describe('retention of the files', () => {
  it('shreds a case\'s files a year after it ended, and leaves a case that ended recently', async () => {
    const documents = createDocuments({ db: t.database.db, vault: t.vault, limits: t.config.vault });
    const old = await cancelledCaseWithAFile();
    const [file] = await documents.list(old);
    expect((await buffer(await documents.open(old, file!.id))).equals(PDF)).toBe(true);
    // Not yet: nothing is shredded before the retention period has passed.
    expect(await sweep()).not.toContain(old);

    await t.env.sleep(`${t.config.vault.retentionDays + 1} days`);
    const recent = await cancelledCaseWithAFile();
    const shredded = await sweep();
    expect(shredded).toContain(old);
    expect(shredded).not.toContain(recent);

    await expect(documents.open(old, file!.id)).rejects.toBeInstanceOf(CaseShredded);
    expect(readdirSync(join(t.config.dataDir, 'vault', 'cases')).includes(old)).toBe(false);
    expect((await documents.list(old)).map((f) => f.status)).toEqual(['purged']);
    const key = await t.database.db.selectFrom('case_keys').select(['wrapped', 'shredded_at']).where('case_id', '=', old).executeTakeFirstOrThrow();
    expect(key.wrapped).toBeNull();
    expect(key.shredded_at).not.toBeNull();
    const timeline = await t.database.db.selectFrom('timeline').select(['kind', 'actor', 'summary']).where('case_id', '=', old).where('kind', '=', 'files_shredded').execute();
    expect(timeline).toEqual([{ kind: 'files_shredded', actor: 'retention', summary: "Files deleted after 365 days (1 file; the case's key destroyed)" }]);

    // The recent case's file is still there, and a second sweep changes nothing.
    const [kept] = await documents.list(recent);
    expect((await buffer(await documents.open(recent, kept!.id))).equals(PDF)).toBe(true);
    expect(await sweep()).toEqual([]);
  });
});
