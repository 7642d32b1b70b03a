// The case's rules without a server: what it waits for, which actions fit it now and why not, and
// when its timed steps fall due.
import { describe, expect, it } from 'vitest';
import { openCaseSchema } from './case.ts';
import { admissionReminders, followUpDue, hospitalDeadline, newCaseState, recordsSchedule, refusalOf, sharingSchedule, translationSchedule, unapprovedHospitals, waitingFor, type CaseState } from './case-rules.ts';
import { toLocal } from './time.ts';

const { settings } = openCaseSchema().parse({
  patientRef: 'P-1',
  diagnosis: 'DLBCL',
  therapy: 'CD19 CAR-T',
  family: { name: 'Lucía', email: 'l@example.org', language: 'es', timeZone: 'Europe/Madrid' },
});
const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T09:00:00Z');
const fresh = (over: Partial<CaseState> = {}): CaseState => ({ ...newCaseState({ requiredDocuments: ['medical_report', 'scans'], settings }), ...over });
const ctx = { now: T0, monitoring: { ended: false } };

describe('what a case waits for', () => {
  it('names the missing documents, from the family, until the next reminder', () => {
    expect(waitingFor(fresh({ stage: 'records', deadline: T0 + 3 * DAY }))).toEqual({ what: 'documents: medical_report, scans', from: 'family', until: '2026-12-04T09:00:00.000Z' });
  });

  it('in review: decisions from the hospitals still pending, then a choice when two accepted', () => {
    const pending = fresh({ stage: 'hospital_review', submissions: [{ hospitalCode: 'HKU', language: 'en', round: 1, status: 'pending', submittedAt: '2026-12-01T09:00:00Z' }] });
    expect(waitingFor(pending)).toMatchObject({ what: 'decisions from HKU', from: 'hospital' });
    const two = fresh({
      stage: 'hospital_review',
      submissions: [
        { hospitalCode: 'HKU', language: 'en', round: 1, status: 'accepted' },
        { hospitalCode: 'MAD', language: 'es', round: 1, status: 'accepted' },
      ],
    });
    expect(waitingFor(two)).toEqual({ what: 'choice of hospital among HKU, MAD', from: 'coordinator' });
    expect(waitingFor({ ...two, chosenHospital: 'HKU' })).toEqual({ what: 'moving on to the next stage', from: 'nobody' });
  });

  it("in translation: the family's approval of the hospitals not yet approved, until the reminder; nobody once the last is in", () => {
    const submissions: CaseState['submissions'] = [
      { hospitalCode: 'HKU', language: 'en', round: 1, status: 'to_send', sharingApproved: true },
      { hospitalCode: 'MAD', language: 'es', round: 1, status: 'to_send' },
    ];
    const asking = fresh({ stage: 'translation', awaitingApproval: true, deadline: T0 + 2 * DAY, submissions });
    expect(waitingFor(asking)).toEqual({ what: "the family's approval to share the case with MAD", from: 'family', until: '2026-12-03T09:00:00.000Z' });
    const approved = fresh({ stage: 'translation', awaitingApproval: true, submissions: submissions.map((x) => ({ ...x, sharingApproved: true })) });
    expect(waitingFor(approved)).toEqual({ what: 'packets for the hospitals', from: 'nobody' });
  });

  it("files to review: the coordinator's, before the family's documents; beside a hospital's wait; not once the case is over", () => {
    const files = ['9b1d0c1e-0000-4000-8000-000000000001', '9b1d0c1e-0000-4000-8000-000000000002'];
    expect(waitingFor(fresh({ stage: 'records', filesToReview: files }))).toEqual({ what: 'review of 2 uploaded files (casectl docs list), then documents: medical_report, scans', from: 'coordinator' });
    const pending = fresh({ stage: 'hospital_review', filesToReview: files.slice(1), submissions: [{ hospitalCode: 'HKU', language: 'en', round: 1, status: 'pending', submittedAt: '2026-12-01T09:00:00Z' }] });
    expect(waitingFor(pending)).toMatchObject({ what: 'decisions from HKU; and review of 1 uploaded file (casectl docs list)', from: 'hospital' });
    expect(waitingFor(fresh({ stage: 'closed', filesToReview: files }))).toEqual({ what: 'nothing', from: 'nobody' });
  });

  it('consent withdrawn: the family, while records are gathered or a packet waits to go; a hospital that has the case may still answer', () => {
    expect(waitingFor(fresh({ stage: 'records', consentWithdrawn: true }))).toEqual({
      what: "the family's consent to process their records, withdrawn on their records page (then: documents: medical_report, scans)",
      from: 'family',
    });
    const toSend = fresh({ stage: 'hospital_review', consentWithdrawn: true, submissions: [{ hospitalCode: 'HKU', language: 'en', round: 2, status: 'to_send', submittedAt: '2026-11-20T09:00:00Z' }] });
    expect(waitingFor(toSend)).toMatchObject({ from: 'family' });
    const pending = fresh({ stage: 'hospital_review', consentWithdrawn: true, submissions: [{ hospitalCode: 'HKU', language: 'en', round: 1, status: 'pending', submittedAt: '2026-12-01T09:00:00Z' }] });
    expect(waitingFor(pending)).toMatchObject({ what: 'decisions from HKU', from: 'hospital' });
  });

  it('asks no approval for a hospital that has the case already (more information, or chosen again)', () => {
    const s = fresh({
      stage: 'translation',
      submissions: [
        // Sent before the family was asked (a case chosen before the gate), now asking for more.
        { hospitalCode: 'HKU', language: 'en', round: 2, status: 'to_send', submittedAt: '2026-11-20T09:00:00Z' },
        { hospitalCode: 'MAD', language: 'es', round: 2, status: 'to_send', submittedAt: '2026-11-20T09:00:00Z', sharingApproved: true },
        { hospitalCode: 'BCN', language: 'es', round: 1, status: 'to_send' },
      ],
    });
    expect(unapprovedHospitals(s)).toEqual(['BCN']);
  });

  it('in monitoring: the infusion from the coordinator, then what monitoring asks of the family', () => {
    expect(waitingFor(fresh({ stage: 'monitoring' }))).toEqual({ what: 'infusion record', from: 'coordinator' });
    const infused = fresh({ stage: 'monitoring', infusionAt: '2026-12-01T09:00:00Z' });
    expect(waitingFor(infused, { what: 'answer to the day 0 check-in #1', until: '2026-12-01T21:00:00.000Z' })).toEqual({ what: 'answer to the day 0 check-in #1', from: 'family', until: '2026-12-01T21:00:00.000Z' });
  });

  it('in follow-up: the outcome of a contact sent, from the coordinator', () => {
    const s = fresh({ stage: 'follow_up', followUps: [{ day: 28, sentAt: '2026-12-29T09:00:00Z' }, { day: 90 }] });
    expect(waitingFor(s)).toEqual({ what: 'outcome of the day 28 follow-up', from: 'coordinator' });
  });
});

describe('which actions fit', () => {
  it('refuses everything on a closed or cancelled case, saying so', () => {
    expect(refusalOf('receiveDocument', fresh({ stage: 'closed' }), { actor: 'a', documentType: 'scans' }, ctx)).toBe('the case is closed');
    expect(refusalOf('acknowledgeAlert', fresh({ stage: 'monitoring', cancelRequested: true }), { actor: 'a', alertId: 'a1' }, ctx)).toBe('the case is cancelled');
  });

  it('names what does not fit: a document not on the list, or already in', () => {
    expect(refusalOf('receiveDocument', fresh({ stage: 'records' }), { actor: 'a', documentType: 'xray' }, ctx)).toBe("xray is not on this case's document list (medical_report, scans)");
    const got = fresh({ stage: 'records' });
    got.documents.scans!.status = 'received';
    expect(refusalOf('waiveDocument', got, { actor: 'a', documentType: 'scans', reason: 'r' }, ctx)).toBe('scans is already received');
    expect(refusalOf('receiveDocument', got, { actor: 'a', documentType: 'medical_report' }, ctx)).toBeUndefined();
    // A file under review is accepted whatever the case has of its document: its review is done either way.
    const fileId = '9b1d0c1e-0000-4000-8000-000000000001';
    const reviewing = { ...got, filesToReview: [fileId] };
    expect(refusalOf('receiveDocument', reviewing, { actor: 'a', documentType: 'scans', fileId }, ctx)).toBeUndefined();
    expect(refusalOf('receiveDocument', reviewing, { actor: 'a', documentType: 'xray', fileId }, ctx)).toBeUndefined();
    expect(refusalOf('receiveDocument', got, { actor: 'a', documentType: 'scans', fileId }, ctx)).toBe('scans is already received');
    // A translation is sent back while done or still awaited (another language's file), never when none was asked for.
    const translating = fresh({ stage: 'translation' });
    translating.documents.scans!.translation = 'pending';
    expect(refusalOf('rejectTranslation', translating, { actor: 'a', documentType: 'scans', reason: 'r' }, ctx)).toBeUndefined();
    expect(refusalOf('rejectTranslation', translating, { actor: 'a', documentType: 'medical_report', reason: 'r' }, ctx)).toBe('medical_report has no translation to send back');
    expect(refusalOf('rejectTranslation', { ...translating, stage: 'admission' }, { actor: 'a', documentType: 'scans', reason: 'r' }, ctx)).toBe('Sending a translation back is not possible while the case is in admission');
  });

  it('admission: only the chosen hospital, not once confirmed; the infusion not far in the future', () => {
    const s = fresh({ stage: 'admission', chosenHospital: 'HKU' });
    expect(refusalOf('planAdmission', s, { actor: 'a', hospitalCode: 'MAD', admissionAt: '2026-12-10T09:00:00Z' }, ctx)).toBe('the chosen hospital is HKU, not MAD');
    expect(refusalOf('confirmAdmission', s, { actor: 'a' }, ctx)).toBe('there is no admission plan to confirm yet');
    const monitoring = fresh({ stage: 'monitoring' });
    expect(refusalOf('recordInfusion', monitoring, { actor: 'a', at: new Date(T0 + 2 * DAY).toISOString() }, ctx)).toBe('the infusion time is in the future');
    expect(refusalOf('endMonitoring', monitoring, { actor: 'a' }, ctx)).toBe('monitoring has not started: record the infusion first');
    expect(refusalOf('recordClinical', monitoring, { actor: 'a', observation: {} }, ctx)).toBe('monitoring has not started: record the infusion first');
    const infused = fresh({ stage: 'monitoring', infusionAt: '2026-12-01T09:00:00.000Z' });
    expect(refusalOf('endMonitoring', infused, { actor: 'a' }, ctx)).toBeUndefined();
    expect(refusalOf('recordClinical', infused, { actor: 'a', observation: {} }, ctx)).toBeUndefined();
  });

  it('who acknowledged an alert already is said', () => {
    const s = fresh({ stage: 'monitoring', alerts: [{ id: 'a1', kind: 'clinical', message: 'm', raisedAt: '2026-12-01T09:00:00Z', acknowledgedAt: '2026-12-01T09:05:00Z', acknowledgedBy: 'dr@example.org' }] });
    expect(refusalOf('acknowledgeAlert', s, { actor: 'a', alertId: 'a1' }, ctx)).toBe('alert a1 was already acknowledged by dr@example.org');
    expect(refusalOf('acknowledgeAlert', s, { actor: 'a', alertId: 'a9' }, ctx)).toBe('there is no alert a9 on this case');
  });

  it('a case is not cancelled or closed over a clinical alert no one acknowledged; it is once they are, or over its own alerts', () => {
    const raised = { raisedAt: '2026-12-01T09:00:00Z' };
    const alerts: CaseState['alerts'] = [
      { id: 'a1', kind: 'checkin_missed', tier: 'contact_team', message: 'Day 3 check-in #5 not answered', ...raised },
      { id: 'a2', kind: 'checkin_report', tier: 'urgent', message: 'Day 3 check-in: urgent', ...raised, acknowledgedAt: '2026-12-01T09:05:00Z' },
      { id: 'a3', kind: 'hospital_silent', message: 'MAD has not answered in 5 days', ...raised },
    ];
    const open = fresh({ stage: 'monitoring', alerts });
    expect(refusalOf('cancelCase', open, { actor: 'a', reason: 'r' }, ctx)).toBe('the case cannot be cancelled while a clinical alert is not acknowledged (a1: Day 3 check-in #5 not answered): acknowledge it first (casectl alert ack)');
    const navigating = fresh({ stage: 'navigation', alerts: alerts.map((a) => ({ ...a, acknowledgedAt: undefined })) });
    expect(refusalOf('closeCase', navigating, { actor: 'a', reason: 'r' }, ctx)).toMatch(/^the case cannot be closed while 2 clinical alerts are not acknowledged \(a1: .*; a2: .*\): acknowledge them first/);
    const seen = fresh({ stage: 'monitoring', alerts: alerts.map((a) => (a.tier ? { ...a, acknowledgedAt: '2026-12-01T09:05:00Z' } : a)) });
    expect(refusalOf('cancelCase', seen, { actor: 'a', reason: 'r' }, ctx)).toBeUndefined();
  });
});

describe('when steps fall due', () => {
  it("the family's approval: a reminder after 2 days, the coordinator alerted after 4", () => {
    expect(sharingSchedule(T0)).toEqual({ reminderAt: T0 + 2 * DAY, alertAt: T0 + 4 * DAY });
  });

  it('records: reminders on days 3, 7 and 14, stalled after 21', () => {
    expect(recordsSchedule(T0, settings)).toEqual({ reminders: [3, 7, 14].map((d, i) => ({ at: T0 + d * DAY, number: i + 1 })), stalledAt: T0 + 21 * DAY });
  });

  it('translations chased after 3 days and escalated after 5; the review stage waits for the soonest hospital reminder', () => {
    expect(translationSchedule(T0, settings)).toEqual({ dueAt: T0 + 3 * DAY, escalateAt: T0 + 5 * DAY });
    const s = fresh({
      submissions: [
        { hospitalCode: 'HKU', language: 'en', round: 1, status: 'pending', submittedAt: new Date(T0).toISOString() },
        { hospitalCode: 'MAD', language: 'es', round: 1, status: 'pending', submittedAt: new Date(T0 - DAY).toISOString() },
      ],
    });
    expect(hospitalDeadline(s, settings)).toBe(T0 + 6 * DAY);
  });

  it('admission reminders at 10:00 in the family zone, 7 days and 1 day before', () => {
    const r = admissionReminders(Date.parse('2026-12-20T12:00:00Z'), settings, 'Europe/Madrid');
    expect(r.map((x) => x.daysBefore)).toEqual([7, 1]);
    for (const x of r) expect(toLocal(x.at, 'Europe/Madrid')).toMatchObject({ hour: 10, minute: 0 });
    expect(followUpDue(T0, 28)).toBe(T0 + 28 * DAY);
  });
});
