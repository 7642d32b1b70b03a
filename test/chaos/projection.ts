// PostgreSQL's projection of a case against the case's own state (the workflow's final status):
// the case row (stage, what it waits for, chosen hospital, close reason), every document, the
// latest round of every submission, the admission, every alert and every check-in. Each difference
// is one line naming the row and the field.
import type { Db } from '../../db/connect.ts';
import type { CaseStatus } from '../../domain/case.ts';

/** JSON with sorted keys: jsonb keeps its own key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}
const time = (v: Date | string | null | undefined): number | null => (v === null || v === undefined ? null : new Date(v).getTime());

export async function projectionMismatches(db: Db, s: CaseStatus): Promise<string[]> {
  const caseId = s.caseId;
  const out: string[] = [];
  const same = (where: string, field: string, workflow: unknown, row: unknown) => {
    if (canonical(workflow) !== canonical(row)) out.push(`${where} ${field}: workflow ${JSON.stringify(workflow ?? null)}, row ${JSON.stringify(row ?? null)}`);
  };
  const [c, documents, submissions, admission, alerts, checkins] = await Promise.all([
    db.selectFrom('cases').selectAll().where('case_id', '=', caseId).executeTakeFirst(),
    db.selectFrom('documents').selectAll().where('case_id', '=', caseId).execute(),
    db.selectFrom('submissions').selectAll().where('case_id', '=', caseId).execute(),
    db.selectFrom('admissions').selectAll().where('case_id', '=', caseId).executeTakeFirst(),
    db.selectFrom('alerts').selectAll().where('case_id', '=', caseId).execute(),
    db.selectFrom('checkins').selectAll().where('case_id', '=', caseId).execute(),
  ]);
  if (!c) return ['no case row'];
  same('case', 'stage', s.stage, c.stage);
  same('case', 'waiting_for', s.waitingFor, c.waiting_for);
  same('case', 'chosen_hospital', s.chosenHospital, c.chosen_hospital);
  same('case', 'close_reason', s.closeReason ?? s.cancelled?.reason, c.close_reason);

  same('documents', 'types', Object.keys(s.documents).sort(), documents.map((d) => d.document_type).sort());
  for (const [type, d] of Object.entries(s.documents)) {
    const row = documents.find((r) => r.document_type === type);
    if (!row) continue;
    same(`document ${type}`, 'status', d.status, row.status);
    same(`document ${type}`, 'language', d.language, row.language);
    same(`document ${type}`, 'translation', d.translation, row.translation);
    same(`document ${type}`, 'waive_reason', d.waiveReason, row.waive_reason);
  }

  for (const sub of s.submissions) {
    // A round still waiting to be sent has no row yet: the one before it is the latest.
    const round = sub.status === 'to_send' ? sub.round - 1 : sub.round;
    const rows = submissions.filter((r) => r.hospital_code === sub.hospitalCode);
    same(`submission ${sub.hospitalCode}`, 'rounds', Array.from({ length: round }, (_, i) => i + 1), rows.map((r) => r.round).sort());
    if (sub.status === 'to_send') continue;
    const row = rows.find((r) => r.round === round);
    if (!row) continue;
    same(`submission ${sub.hospitalCode} round ${round}`, 'decision', sub.status === 'pending' ? null : sub.status, row.decision);
    same(`submission ${sub.hospitalCode} round ${round}`, 'reason', sub.reason, row.decision_reason);
    same(`submission ${sub.hospitalCode} round ${round}`, 'submitted_at', time(sub.submittedAt), time(row.submitted_at));
  }
  same('submissions', 'hospitals', [...new Set(s.submissions.filter((x) => !(x.status === 'to_send' && x.round === 1)).map((x) => x.hospitalCode))].sort(), [...new Set(submissions.map((r) => r.hospital_code))].sort());

  const a = s.admission;
  same('admission', 'present', a !== undefined, admission !== undefined);
  if (a && admission) {
    same('admission', 'hospital_code', a.hospitalCode, admission.hospital_code);
    same('admission', 'admission_at', time(a.admissionAt), time(admission.admission_at));
    same('admission', 'confirmed_at', time(a.confirmedAt), time(admission.confirmed_at));
    same('admission', 'infusion_at', time(s.infusionAt), time(admission.infusion_at));
    same('admission', 'contact', a.contact, admission.contact);
    same('admission', 'notes', a.notes, admission.notes);
  }

  same('alerts', 'ids', s.alerts.map((x) => x.id).sort(), alerts.map((r) => r.alert_id).sort());
  for (const x of s.alerts) {
    const row = alerts.find((r) => r.alert_id === x.id);
    if (!row) continue;
    same(`alert ${x.id}`, 'kind', x.kind, row.kind);
    same(`alert ${x.id}`, 'tier', x.tier, row.tier);
    same(`alert ${x.id}`, 'acknowledged_at', time(x.acknowledgedAt), time(row.acknowledged_at));
    same(`alert ${x.id}`, 'acknowledged_by', x.acknowledgedBy, row.acknowledged_by);
  }

  const ours = s.monitoring?.checkins ?? [];
  same('checkins', 'ids', ours.map((x) => x.id), checkins.map((r) => r.checkin_id).sort((p, q) => p - q));
  for (const x of ours) {
    const row = checkins.find((r) => r.checkin_id === x.id);
    if (!row) continue;
    same(`check-in ${x.id}`, 'state', x.state, row.state);
    same(`check-in ${x.id}`, 'tier', x.tier, row.tier);
    same(`check-in ${x.id}`, 'temperature_c', x.temperatureC, row.temperature_c === null ? null : Number(row.temperature_c));
    same(`check-in ${x.id}`, 'escalation', x.escalation, row.escalation);
    same(`check-in ${x.id}`, 'answered_at', time(x.answeredAt), time(row.answered_at));
    same(`check-in ${x.id}`, 'due_at', time(x.dueAt), time(row.due_at));
  }
  return out;
}
