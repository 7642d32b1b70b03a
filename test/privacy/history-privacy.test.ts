// What ops can see in Temporal: a case's raw history (as the server stores it, read without the
// codec) must not contain the family's name or email, the diagnosis or a reported symptom; with
// the codec the same history reads back whole. Nor may an error message that quotes them. Keys
// rotate without losing old cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import proto from '@temporalio/proto';
import { Client } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Payload } from '@temporalio/common';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';
import { PATCHES } from '../../workflows/patches.ts';
import { EncryptionCodec } from '../../codec/encryption-codec.ts';
import { parseKeysEnv, type Keyring } from '../../codec/keys.ts';

const key = () => randomBytes(32).toString('base64');
const k1: Keyring = parseKeysEnv(`k1:${key()}`);
let t: CaseTestEnv;
const actor = 'coordinator@care.test';

const SECRETS = {
  name: 'Zuzanna Kowalska-Wiśniewska',
  email: 'zuzanna.kowalska@example.pl',
  diagnosis: 'Refractory mantle cell lymphoma with TP53 deletion',
  symptomNote: 'shivering badly since lunch, lips look blue',
  contact: 'Dr Wei Ling, ward 7B',
};

/** While set, the case-opened email fails with an error quoting the family's address, as Postgres and SMTP errors can. */
let quoteTheAddress = false;
const errorQuotingTheAddress: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const arg = input.args[0] as { kind?: string } | undefined;
      if (quoteTheAddress && ctx.info.activityType === 'sendEmail' && arg?.kind === 'case_opened') throw new Error(`recipient rejected: <${SECRETS.email}>`);
      return next(input);
    },
  },
});

beforeAll(async () => {
  // No sticky cache: the restarted worker picks the case up at once instead of after a sticky timeout.
  t = await startCaseTestEnv({ keyring: k1, maxCachedWorkflows: 0, interceptors: { activity: [errorQuotingTheAddress] } });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'team@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => t?.teardown());

/**
 * Every payload in a history as stored, but search attributes (never encrypted: stage names, flags,
 * opaque codes) and patch markers (the SDK's core writes them unencrypted: `patchMarkers` says what they hold).
 */
function payloadsOf(value: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(value)) value.forEach((v) => payloadsOf(v, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') out.push(o as Payload);
    else if (o.markerName !== PATCH_MARKER) for (const [k, v] of Object.entries(o)) if (k !== 'searchAttributes') payloadsOf(v, out);
  }
  return out;
}

const PATCH_MARKER = 'core_patch';
/** What each patch marker of a history holds, decoded: only the patch's name (workflows/patches.ts) and a flag. */
function patchMarkers(history: Awaited<ReturnType<typeof rawHistory>>): unknown[] {
  return (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((m) => m?.markerName === PATCH_MARKER)
    .flatMap((m) => Object.values(m!.details ?? {}).flatMap((d) => (d.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data!).toString()))));
}

/** A client without the codec: it reads exactly what the server (and the Web UI without it) holds. */
const plainClient = () => new Client({ connection: t.env.connection, namespace: 'default' });

const rawHistory = (caseId: string) => plainClient().workflow.getHandle(`case-${caseId}`).fetchHistory();

const family = { name: SECRETS.name, email: SECRETS.email, language: 'en', timeZone: 'Europe/Warsaw' } as const;

const bytesOf = (history: Awaited<ReturnType<typeof rawHistory>>) =>
  Buffer.from(proto.temporal.api.history.v1.History.encode(proto.temporal.api.history.v1.History.fromObject(history)).finish());

async function runCaseThroughMonitoring(): Promise<string> {
  const { caseId } = await t.actions.openCase(
    sampleCase({ diagnosis: SECRETS.diagnosis, family, requiredDocuments: ['medical_report'] }),
    actor,
  );
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'en' });
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  await t.submitApproved(caseId, ['HKU'], actor);
  await t.waitForStatus(caseId, (s) => s.submissions[0]?.status === 'pending');
  await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'HKU', decision: 'accepted' });
  await t.waitForStatus(caseId, (s) => s.stage === 'admission');
  await t.actions.act(caseId, 'planAdmission', { actor, hospitalCode: 'HKU', admissionAt: new Date((await t.env.currentTimeMs()) + 3600_000).toISOString(), contact: SECRETS.contact });
  await t.actions.act(caseId, 'confirmAdmission', { actor });
  await t.waitForStatus(caseId, (s) => s.stage === 'monitoring');
  await t.actions.act(caseId, 'recordInfusion', { actor, at: new Date(await t.env.currentTimeMs()).toISOString() });
  const s = await t.waitForStatus(caseId, (x) => x.monitoring !== undefined);
  const first = s.monitoring!.checkins[0]!;
  await t.env.sleep(Date.parse(first.dueAt) - (await t.env.currentTimeMs()) + 1000);
  await t.waitForStatus(caseId, (x) => x.monitoring!.checkins[0]!.state === 'open');
  await t.actions.submitCheckin(caseId, first.id, {
    temperature: { value: 38.6, unit: 'c' },
    takenAt: new Date(await t.env.currentTimeMs()).toISOString(),
    admitted: false,
    symptoms: { breathingDifficulty: true, confusion: true },
    notes: SECRETS.symptomNote,
  });
  await t.actions.recordClinical(caseId, { temperatureC: 39.1, hypotension: 'vasopressors', vasopressors: ['norepinephrine'] }, 'dr.chan@hku.test');
  return caseId;
}

describe('patient data in Temporal', () => {
  let caseId: string;

  it('never appears in plaintext in the stored history, which still decodes whole with the codec', async () => {
    caseId = await runCaseThroughMonitoring();
    const history = await rawHistory(caseId);
    const stored = bytesOf(history);
    expect(history.events!.length).toBeGreaterThan(50);
    for (const [what, secret] of Object.entries(SECRETS)) {
      expect(stored.includes(Buffer.from(secret)), `${what} in plaintext history`).toBe(false);
    }
    // Symptom answers of the report (field names and values) are inside the encrypted payload too.
    expect(stored.includes(Buffer.from('breathingDifficulty'))).toBe(false);

    const payloads = payloadsOf(history);
    expect(payloads.every((p) => Buffer.from(p.metadata!.encoding!).toString() === 'binary/encrypted')).toBe(true);
    const patches = Object.values(PATCHES) as string[];
    for (const marker of patchMarkers(history)) expect(marker).toEqual({ id: expect.toBeOneOf(patches), deprecated: false });
    const decoded = Buffer.concat((await new EncryptionCodec(k1).decode(payloads)).map((p) => Buffer.from(p.data!)));
    for (const secret of Object.values(SECRETS)) expect(decoded.includes(Buffer.from(secret))).toBe(true);
  });

  it('shows an activity error quoting the family only encrypted, where ops see a retrying activity', async () => {
    quoteTheAddress = true;
    const { caseId } = await t.actions.openCase(sampleCase({ family }), actor);
    // What the Web UI's pending-activities panel shows, as the server holds it.
    const plain = plainClient();
    let described;
    for (let i = 0; i < 200 && !described; i++) {
      const d = await plain.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: `case-${caseId}` } });
      if (d.pendingActivities?.some((a) => a.lastFailure)) described = d;
      else await new Promise((r) => setTimeout(r, 50));
    }
    quoteTheAddress = false;
    expect(described, 'a pending activity with its last failure').toBeDefined();
    const stored = Buffer.from(proto.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described!).finish());
    expect(stored.includes(Buffer.from(SECRETS.email))).toBe(false);
    const failure = described!.pendingActivities!.find((a) => a.lastFailure)!.lastFailure!;
    expect(failure.message).toBe('Encoded failure');
    const [attributes] = await new EncryptionCodec(k1).decode([failure.encodedAttributes as Payload]);
    expect(JSON.parse(Buffer.from(attributes!.data!).toString()).message).toBe(`recipient rejected: <${SECRETS.email}>`);
    // The retry then goes through and the case carries on.
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
  });

  it('keeps old cases readable after a new key becomes current, and encrypts new payloads with it', async () => {
    const k2: Keyring = parseKeysEnv(`k2:${key()},k1:${k1.keys.get('k1')!.toString('base64')}`);
    await t.restartWorker(k2);
    // The running case carries on under the new keyring.
    const s = await t.actions.status(caseId);
    expect(s.stage).toBe('monitoring');
    for (const a of s.alerts) await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: a.id });
    await t.endCase(caseId);
    const payloads = payloadsOf(await rawHistory(caseId));
    const keyIds = new Set(payloads.map((p) => Buffer.from(p.metadata!['encryption-key-id']!).toString()));
    expect(keyIds).toEqual(new Set(['k1', 'k2']));
    const decoded = Buffer.concat((await new EncryptionCodec(k2).decode(payloads)).map((p) => Buffer.from(p.data!)));
    expect(decoded.includes(Buffer.from(SECRETS.name))).toBe(true);
    // Without the old key, the old payloads fail loudly.
    const withoutK1 = parseKeysEnv(`k2:${k2.keys.get('k2')!.toString('base64')}`);
    await expect(new EncryptionCodec(withoutK1).decode(payloads)).rejects.toThrow(/unknown key id 'k1'/);
  });
});
