// The case's Postgres projection against a real database: writes that arrive out of order (an
// activity retried, or two in flight at once) leave each row with the newest state the case reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseRecords, rowOrder, type CaseEvent, type RecordChange } from './case-records.ts';
import { openCaseSchema } from '../domain/case.ts';
import { refusedForGood } from './refusals.ts';
import { createTestDatabase, type TestDatabase } from '../test/harness/postgres.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const caseId = 'cseqtest00001';
const at = '2026-12-01T10:00:00.000Z';
type CheckinChange = Extract<RecordChange, { type: 'checkin' }>;
const checkin = (state: CheckinChange['state'], more: Partial<CheckinChange> = {}): CheckinChange => ({
  type: 'checkin',
  checkinId: 1,
  day: 0,
  dueAt: '2026-12-01T10:00:00.000Z',
  expiresAt: '2026-12-01T22:00:00.000Z',
  state,
  answeredAt: null,
  tier: null,
  temperatureC: null,
  escalation: null,
  ...more,
});
const event = (seq: number, kind: string, changes: RecordChange[]): CaseEvent => ({
  caseId,
  eventKey: `case-${caseId}/run/${seq}`,
  seq,
  at,
  actor: 'system',
  kind,
  summary: kind,
  stage: 'monitoring',
  waitingFor: { what: 'test', from: 'nobody' },
  changes,
});

describe('check-in rows', () => {
  it('keep the newest state when an older write lands after a newer one, and keep the report', async () => {
    const records = caseRecords(database.db);
    const open = openCaseSchema().parse({
      patientRef: 'P-seq',
      diagnosis: 'Relapsed diffuse large B-cell lymphoma',
      therapy: 'CD19 CAR-T',
      family: { name: 'Test Family', email: 'family@example.org', language: 'en', timeZone: 'UTC' },
      requiredDocuments: ['medical_report'],
    });
    await records.recordCaseOpened({ ...open, caseId, openedBy: 'coordinator@care.test', at, eventKey: `case-${caseId}/opened` });
    const row = () => database.db.selectFrom('checkins').select(['state', 'tier', 'report', 'escalation']).where('case_id', '=', caseId).where('checkin_id', '=', 1).executeTakeFirstOrThrow();

    await records.recordEvent(event(5, 'monitoring_started', [checkin('upcoming')]));
    expect(await row()).toMatchObject({ state: 'upcoming', tier: null });

    // The family's answer (event 7) reaches Postgres before the "sent" write (event 6).
    const answered = { answeredAt: '2026-12-01T10:05:00.000Z', tier: 'urgent' as const, temperatureC: 38.9 };
    await records.recordEvent(event(7, 'checkin_answered', [{ ...checkin('answered', answered), report: { notes: 'breathing fast' } }]));
    await records.recordEvent(event(6, 'checkin_sent', [checkin('open')]));
    expect(await row()).toMatchObject({ state: 'answered', tier: 'urgent', report: { notes: 'breathing fast' } });
    // The late write still has its timeline entry: the history of what happened is whole.
    const kinds = await database.db.selectFrom('timeline').select('kind').where('case_id', '=', caseId).orderBy('id').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['case_opened', 'monitoring_started', 'checkin_answered', 'checkin_sent']);

    // A later change without the report (the team told) updates the state and keeps the report.
    await records.recordEvent(event(8, 'checkin_escalated', [checkin('answered', { ...answered, escalation: 'team' })]));
    expect(await row()).toMatchObject({ state: 'answered', escalation: 'team', report: { notes: 'breathing fast' } });
  });
});

describe('writes the database refuses for good', () => {
  it('fail as non-retryable RecordRefused naming only the SQLSTATE, and leave nothing half-written', async () => {
    const records = caseRecords(database.db);
    const secret = 'sensitive words\u0000';
    const refused = records.recordEvent({ ...event(20, 'checkin_answered', [{ ...checkin('answered'), report: { notes: secret } }]), summary: `summary ${secret}` });
    await expect(refused).rejects.toMatchObject({ type: 'RecordRefused', nonRetryable: true, message: expect.stringMatching(/^PostgreSQL refused the write \(SQLSTATE 22\w{3}\)$/) });
    await expect(refused).rejects.not.toThrow(/sensitive/);
    const entries = await database.db.selectFrom('timeline').select('kind').where('event_key', '=', `case-${caseId}/run/20`).execute();
    expect(entries).toEqual([]);
  });

  it('are told apart from an outage, which is retried', () => {
    expect(refusedForGood({ code: '22P05' })).toBe('22P05');
    expect(refusedForGood({ code: '23505' })).toBe('23505');
    expect(refusedForGood({ code: '23503' })).toBe('23503');
    expect(refusedForGood({ code: '57P01' })).toBeUndefined();
    expect(refusedForGood({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(refusedForGood(new Error('Connection terminated unexpectedly'))).toBeUndefined();
  });
});

describe('rows written out of order', () => {
  it('keep the newest state of a document, a submission, an admission and an alert', async () => {
    const records = caseRecords(database.db);
    const doc = (seq: number, translation: 'pending' | 'done'): CaseEvent =>
      event(seq, `translation_${translation}`, [{ type: 'document', documentType: 'medical_report', status: 'received', language: 'es', waiveReason: null, translation }]);
    // "Translation done" (event 31) reaches Postgres before "translation requested" (event 30).
    await records.recordEvent(doc(31, 'done'));
    await records.recordEvent(doc(30, 'pending'));
    const d = await database.db.selectFrom('documents').select(['status', 'translation']).where('case_id', '=', caseId).where('document_type', '=', 'medical_report').executeTakeFirstOrThrow();
    expect(d).toEqual({ status: 'received', translation: 'done' });

    await database.db.insertInto('hospitals').values({ code: 'SEQ', name: 'Seq', email: 'seq@example.org', language: 'en', time_zone: 'UTC', phone: null }).onConflict((oc) => oc.doNothing()).execute();
    const alert = { type: 'alert' as const, alertId: 'a1', kind: 'checkin_report', tier: 'urgent' as const, message: 'fever', raisedAt: at };
    await records.recordEvent(event(41, 'alert_acknowledged', [{ ...alert, acknowledgedAt: at, acknowledgedBy: 'dr@example.org' }, { type: 'admission', hospitalCode: 'SEQ', admissionAt: at, contact: null, notes: null, confirmedAt: at, infusionAt: null }, { type: 'submission', hospitalCode: 'SEQ', round: 1, submittedAt: at, decision: 'accepted', reason: null, requestedDocuments: null }]));
    await records.recordEvent(event(40, 'alert_raised', [{ ...alert, acknowledgedAt: null, acknowledgedBy: null }, { type: 'admission', hospitalCode: 'SEQ', admissionAt: at, contact: null, notes: null, confirmedAt: null, infusionAt: null }, { type: 'submission', hospitalCode: 'SEQ', round: 1, submittedAt: at, decision: null, reason: null, requestedDocuments: null }]));
    expect(await database.db.selectFrom('alerts').select('acknowledged_by').where('case_id', '=', caseId).executeTakeFirstOrThrow()).toEqual({ acknowledged_by: 'dr@example.org' });
    expect(await database.db.selectFrom('admissions').select('confirmed_at').where('case_id', '=', caseId).executeTakeFirstOrThrow()).toEqual({ confirmed_at: new Date(at) });
    expect(await database.db.selectFrom('submissions').select('decision').where('case_id', '=', caseId).executeTakeFirstOrThrow()).toEqual({ decision: 'accepted' });
  });
});

describe('rows of a repaired case', () => {
  it("follow the run a reset started, which numbers its events again from the reset point, and not a late write of the run it replaced", async () => {
    const records = caseRecords(database.db);
    const later = (seq: number, kind: string, when: string, changes: RecordChange[]): CaseEvent => ({ ...event(seq, kind, changes), eventKey: `case-${caseId}/new-run/${seq}`, at: when });
    const stage = () => database.db.selectFrom('cases').select('stage').where('case_id', '=', caseId).executeTakeFirstOrThrow();
    const escalation = async () => (await database.db.selectFrom('checkins').select('escalation').where('case_id', '=', caseId).where('checkin_id', '=', 2).executeTakeFirstOrThrow()).escalation;
    // The replaced run went on to event 120: check-in 2 reminded, the case in follow-up.
    await records.recordEvent({ ...event(120, 'checkin_reminded', [checkin('open', { checkinId: 2, escalation: 'reminder' })]), stage: 'follow_up' });
    expect(await stage()).toEqual({ stage: 'follow_up' });
    // Reset to its event 80, the new run (an hour later) takes the steps again: the check-in answered before its reminder.
    await records.recordEvent({ ...later(81, 'checkin_answered', '2026-12-01T11:00:00.000Z', [checkin('answered', { checkinId: 2, answeredAt: '2026-12-01T11:00:00.000Z', tier: 'none' })]), stage: 'monitoring' });
    expect(await escalation()).toBeNull();
    expect(await stage()).toEqual({ stage: 'monitoring' });
    // A write of the replaced run that was still in flight lands last: it does not come back.
    await records.recordEvent({ ...event(121, 'checkin_escalated', [checkin('open', { checkinId: 2, escalation: 'team' })]), stage: 'follow_up' });
    expect(await escalation()).toBeNull();
    expect(await stage()).toEqual({ stage: 'monitoring' });
  });

  it('order by workflow time, then by number within the same time', () => {
    expect(BigInt(rowOrder({ at: at, seq: 121 }))).toBeLessThan(BigInt(rowOrder({ at: '2026-12-01T10:00:00.001Z', seq: 1 })));
    expect(BigInt(rowOrder({ at: at, seq: 7 }))).toBeLessThan(BigInt(rowOrder({ at: at, seq: 8 })));
  });
});
