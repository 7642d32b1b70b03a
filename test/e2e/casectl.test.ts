// casectl end to end: the real CLI as a subprocess against the shared Temporal server, a test
// database and an SMTP sink, with the service's case worker running (startService: in this
// process, or two worker processes in the production project). Asserts on what a coordinator
// sees (stdout, stderr, exit codes) and on the emails that actually went out. casectl acts as the
// staff account of CASECTL_TOKEN: the coordinator's is made with casectl's own bootstrap commands,
// the clinician's and ops' through the accounts store.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CaseStatus } from '../../domain/case.ts';
import { createAccounts, type Accounts } from '../../client/accounts.ts';
import type { SmtpSink } from '../harness/smtp.ts';
import { startService, type Service } from '../harness/service.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ACTOR = 'coordinator.ana@care.test';
const CLINICIAN = 'clinician.bo@care.test';
const OPS = 'ops.cy@care.test';
const PASSWORD = `casectl-e2e-${randomBytes(6).toString('hex')}`;
const FAMILY_EMAIL = 'lucia.family@example.org';
const HOSPITAL_EMAIL = 'intake@hcb.example.org';

let service: Service;
let sink: SmtpSink;
let tmp: string;
let cliEnv: NodeJS.ProcessEnv;
/** casectl's environment without a token. */
let unsignedEnv: NodeJS.ProcessEnv;
let accounts: Accounts;
/** The environment of each account's token. */
const tokenEnv: Record<'clinician' | 'ops', NodeJS.ProcessEnv> = { clinician: {}, ops: {} };

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node client/casectl.ts ...args` and resolves with its exit code and output (never rejects on exit codes). */
function cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['client/casectl.ts', ...args], { cwd: root, env: opts.env ?? cliEnv, timeout: 45_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

/** Runs a command that must succeed and returns its stdout parsed as JSON. */
async function cliJson<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  expect(r.stderr, `casectl ${args.join(' ')}`).toBe('');
  expect(r.code, `casectl ${args.join(' ')}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** Polls `casectl case show --json` until `pred` holds: the workflow moves on asynchronously after each action. */
async function waitForCase(caseId: string, pred: (s: CaseStatus) => boolean, what: string, timeoutMs = 30_000): Promise<CaseStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: CaseStatus | undefined;
  for (;;) {
    last = await cliJson<CaseStatus>(['case', 'show', caseId]);
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`case ${caseId} never reached ${what}; last status: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A refused or invalid command: exit code, one line on stderr, nothing on stdout. */
function expectFailure(r: CliResult, code: number, stderr: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.code).toBe(code);
  expect(r.stderr.trimEnd()).toMatch(stderr);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  const payloadKeys = `test:${randomBytes(32).toString('base64')}`;
  service = await startService({ name: 'casectl', env: { PAYLOAD_KEYS: payloadKeys, CHECKIN_LINK_SECRET: randomBytes(32).toString('base64') } });
  ({ sink, dataDir: tmp } = service);
  const { CASECTL_TOKEN: _theDevelopersOwn, ...inherited } = process.env;
  unsignedEnv = {
    ...inherited,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: service.database.url,
    TASK_QUEUE: service.taskQueue,
    PAYLOAD_KEYS: payloadKeys,
    DATA_DIR: tmp,
  };
  // The first account and its token, as an operator makes them: before any account exists, no token needed.
  const added = await cli(['user', 'add', '--email', ACTOR, '--name', 'Ana', '--role', 'coordinator'], { input: `${PASSWORD}\n`, env: unsignedEnv });
  expect(added.stderr).toBe('');
  const made = await cli(['user', 'token', ACTOR, '--name', 'e2e laptop', '--json'], { env: unsignedEnv });
  expect(made.stderr).toBe('');
  cliEnv = { ...unsignedEnv, CASECTL_TOKEN: (JSON.parse(made.stdout) as { token: string }).token };

  accounts = createAccounts(service.database.db);
  for (const [role, email] of [['clinician', CLINICIAN], ['ops', OPS]] as const) {
    await accounts.createUser({ email, name: role, role, password: PASSWORD });
    tokenEnv[role] = { ...unsignedEnv, CASECTL_TOKEN: (await accounts.createApiToken(email, 'e2e', 1)).token };
  }
});

afterAll(async () => {
  await service?.stop();
});

describe('casectl against a running case worker', () => {
  const patientRef = `P-${randomBytes(4).toString('hex')}`;
  let caseId = '';

  it('adds a hospital and lists it', async () => {
    const add = await cli(['hospital', 'add', '--code', 'HCB', '--name', 'Hospital Clínic Barcelona', '--email', HOSPITAL_EMAIL, '--language', 'es', '--timezone', 'Europe/Madrid']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/HCB added/);

    const again = await cli(['hospital', 'add', '--code', 'HCB', '--name', 'Again', '--email', HOSPITAL_EMAIL, '--language', 'es', '--timezone', 'Europe/Madrid']);
    expectFailure(again, 2, /^error: code \(--code\): a hospital with code HCB already exists$/);

    const bad = await cli(['hospital', 'add', '--code', 'X1', '--name', 'X', '--email', 'nope', '--language', 'es', '--timezone', 'Mars/Olympus']);
    expectFailure(bad, 2, /email \(--email\): must be an email address.*timezone \(--timezone\): must be an IANA time zone/);

    const hospitals = await cliJson<{ code: string; language: string }[]>(['hospital', 'list']);
    expect(hospitals).toEqual([expect.objectContaining({ code: 'HCB', language: 'es', email: HOSPITAL_EMAIL })]);
  });

  it('opens a case from a file, and finds the same case when the patient is opened again', async () => {
    const file = join(tmp, 'case.json');
    writeFileSync(
      file,
      JSON.stringify({
        patientRef,
        diagnosis: 'Relapsed diffuse large B-cell lymphoma after two lines of therapy',
        therapy: 'CD19 CAR-T (axicabtagene ciloleucel)',
        family: { name: 'Lucía Fernández', email: FAMILY_EMAIL, language: 'es', timeZone: 'Europe/Madrid' },
      }),
    );

    const opened = await cliJson<{ caseId: string; created: boolean }>(['case', 'open', '--file', file]);
    expect(opened.created).toBe(true);
    expect(opened.caseId).toMatch(/^c[0-9a-f]{12}$/);
    caseId = opened.caseId;

    const [ack] = await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'case_opened', 20_000);
    expect(ack!.to && 'text' in ack!.to ? ack!.to.text : '').toContain(FAMILY_EMAIL);

    const human = await cli(['case', 'open', '--file', file]);
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toContain(caseId);
    expect(human.stdout).toMatch(/already existed/);

    const again = await cliJson<{ caseId: string; created: boolean }>(['case', 'open', '--file', file]);
    expect(again).toEqual({ caseId, created: false });
  });

  it('refuses a case with a bad field, naming it, and a case file that is not JSON', async () => {
    const r = await cli(['case', 'open', '--patient-ref', 'P-bad', '--diagnosis', 'd', '--therapy', 't', '--family-name', 'N', '--family-email', 'not-an-email', '--family-language', 'en', '--family-timezone', 'Europe/Madrid']);
    expectFailure(r, 2, /^error: family\.email \(--family-email\): must be an email address$/m);

    const file = join(tmp, 'broken.json');
    writeFileSync(file, '{"patientRef": ');
    expectFailure(await cli(['case', 'open', '--file', file]), 2, /not valid JSON/);

    const missing = join(tmp, 'missing-email.json');
    writeFileSync(missing, JSON.stringify({ patientRef: 'P-x', diagnosis: 'd', therapy: 't', family: { name: 'N', email: 'x', language: 'en', timeZone: 'UTC' } }));
    expectFailure(await cli(['case', 'open', '--file', missing]), 2, /^error: family\.email: must be an email address$/);

    // Text PostgreSQL cannot hold, and settings no case could run on, are named before anything starts.
    const nul = join(tmp, 'nul.json');
    writeFileSync(nul, JSON.stringify({ patientRef: 'P-nul', diagnosis: 'DLBCL\u0000', therapy: 't', family: { name: 'N', email: 'n@example.org', language: 'en', timeZone: 'UTC' } }));
    expectFailure(await cli(['case', 'open', '--file', nul]), 2, /^error: diagnosis: contains a control character \(U\+0000\)$/);
    const absurd = join(tmp, 'absurd.json');
    writeFileSync(absurd, JSON.stringify({ patientRef: 'P-absurd', diagnosis: 'd', therapy: 't', family: { name: 'N', email: 'n@example.org', language: 'en', timeZone: 'UTC' }, settings: { recordsReminderDays: [1e10], recordsStalledAfterDays: 1e300 } }));
    expectFailure(await cli(['case', 'open', '--file', absurd]), 2, /^error: settings\.recordsReminderDays\[0\]: must be at most 365 days; settings\.recordsStalledAfterDays: must be at most 365 days$/);
    expect(await service.database.db.selectFrom('cases').select('case_id').where('patient_ref', 'in', ['P-nul', 'P-absurd']).execute()).toEqual([]);
  });

  it('records all five documents, in the family language', async () => {
    await waitForCase(caseId, (s) => s.stage === 'records', 'records');
    for (const doc of ['medical_report', 'scans', 'pathology', 'biomarkers']) {
      await cliJson<CaseStatus>(['records', 'receive', caseId, doc, '--language', 'es']);
    }
    const human = await cli(['records', 'receive', caseId, 'treatment_history', '--language', 'es']);
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Received treatment_history/);
    expect(human.stdout).toMatch(new RegExp(`Case ${caseId}: stage \\w+`));
    expect(human.stdout).toMatch(/Waiting for: /);

    const s = await waitForCase(caseId, (x) => x.stage === 'translation', 'translation (waiting for hospitals)');
    expect(Object.values(s.documents).every((d) => d.status === 'received' && d.language === 'es')).toBe(true);
    expect(s.waitingFor.from).toBe('coordinator');
  });

  it('refuses an action without a live token (none, revoked, expired, a disabled account), saying how to get one; the case is untouched', async () => {
    const revoked = await accounts.createApiToken(ACTOR, 'revoked', 1);
    await accounts.revokeApiToken(ACTOR, 'revoked');
    const expired = await createAccounts(service.database.db, { now: () => Date.now() - 2 * 86_400_000 }).createApiToken(ACTOR, 'expired', 1);
    await accounts.createUser({ email: 'left@care.test', name: 'Left', role: 'coordinator', password: PASSWORD });
    const disabled = await accounts.createApiToken('left@care.test', 'e2e', 1);
    await accounts.setDisabled('left@care.test', true);

    const how = /; make a token with `casectl user token <your email> --name <this machine>` and export CASECTL_TOKEN=<token>$/;
    const none = await cli(['case', 'cancel', caseId, '--reason', 'not mine to cancel'], { env: unsignedEnv });
    expectFailure(none, 6, /^error: not signed in: CASECTL_TOKEN is not set; /);
    expect(none.stderr.trimEnd()).toMatch(how);
    for (const { token } of [revoked, expired, disabled]) {
      const r = await cli(['case', 'cancel', caseId, '--reason', 'not mine to cancel'], { env: { ...unsignedEnv, CASECTL_TOKEN: token } });
      expectFailure(r, 6, /^error: not signed in: CASECTL_TOKEN is not a live API token \(unknown, expired or revoked, or its account is disabled\); /);
      expect(r.stderr.trimEnd()).toMatch(how);
    }
    expectFailure(await cli(['case', 'show', caseId], { env: unsignedEnv }), 6, /^error: not signed in/);

    const after = await cliJson<CaseStatus>(['case', 'show', caseId]);
    expect(after.stage).toBe('translation');
    expect(after.cancelled).toBeUndefined();
  });

  it('refuses what does not fit the case: one line on stderr, nothing on stdout', async () => {
    expectFailure(await cli(['records', 'receive', caseId, 'xray']), 4, /^error: refused: xray is not on this case's document list/);
    expectFailure(await cli(['records', 'receive', caseId, 'scans']), 4, /scans is already received/);
    expectFailure(await cli(['hospital', 'decision', caseId, 'HCB', 'accepted']), 4, /HCB has not been sent this case/);
    expectFailure(await cli(['records', 'receive', caseId, 'Not A Type']), 2, /^error: documentType \(<documentType>\): must be a document type/);
    expectFailure(await cli(['hospital', 'submit', caseId, 'NOPE']), 2, /hospitalCode: no hospital with code NOPE/);
    expectFailure(await cli(['hospital', 'decision', caseId, 'HCB', 'maybe']), 2, /maybe.*invalid/);
    expectFailure(await cli(['records', 'waive', caseId, 'scans']), 2, /--reason/);
  });

  it('says an unknown case does not exist (exit 3)', async () => {
    expectFailure(await cli(['case', 'show', 'c000000000000']), 3, /^error: case c000000000000 does not exist$/);
    expectFailure(await cli(['emails', 'c000000000000', '--json']), 3, /does not exist/);
    expectFailure(await cli(['records', 'receive', 'c000000000000', 'scans']), 3, /does not exist/);
  });

  it('submits to the hospital, records its acceptance and reaches admission', async () => {
    const submitted = await cliJson<CaseStatus>(['hospital', 'submit', caseId, 'HCB']);
    expect(submitted.submissions).toEqual([expect.objectContaining({ hospitalCode: 'HCB', language: 'es' })]);

    // The family approves by phone: the coordinator records it, once.
    const asking = await waitForCase(caseId, (s) => s.waitingFor.from === 'family', "the family's approval");
    expect(asking.waitingFor.what).toBe("the family's approval to share the case with HCB");
    expectFailure(await cli(['hospital', 'approve', caseId, 'HKU']), 4, /HKU is not among the hospitals chosen for this case/);
    const approved = await cli(['hospital', 'approve', caseId, 'HCB']);
    expect([approved.code, approved.stderr]).toEqual([0, '']);
    expect(approved.stdout).toMatch(/^Sharing with HCB approved\.$/m);
    expectFailure(await cli(['hospital', 'approve', caseId, 'HCB']), 4, /sharing with HCB is already approved/);

    const review = await waitForCase(caseId, (s) => s.stage === 'hospital_review' && s.submissions[0]?.status === 'pending', 'hospital review');
    expect(review.waitingFor).toMatchObject({ from: 'hospital' });
    // Same language as the documents: nothing needed translating.
    expect(Object.values(review.documents).every((d) => d.translation === 'not_needed')).toBe(true);
    await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'hospital_submission', 20_000);

    const decided = await cli(['hospital', 'decision', caseId, 'HCB', 'accepted']);
    expect(decided.stderr).toBe('');
    expect(decided.code).toBe(0);
    expect(decided.stdout).toMatch(/Recorded: HCB accepted/);

    const admission = await waitForCase(caseId, (s) => s.stage === 'admission', 'admission');
    expect(admission).toMatchObject({ caseId, stage: 'admission', chosenHospital: 'HCB', waitingFor: { what: 'admission plan', from: 'coordinator' } });

    const shown = await cli(['case', 'show', caseId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/stage admission/);
    expect(shown.stdout).toMatch(/Waiting for: coordinator: admission plan$/m);
    expect(shown.stdout).toMatch(/\[x\] scans/);
    expect(shown.stdout).toMatch(/HCB \(es\): round 1, accepted/);
  });

  it('lists cases, with --json before or after the subcommand', async () => {
    const rows = await cliJson<{ caseId: string; patientRef: string; stage: string }[]>(['case', 'list', '--stage', 'admission']);
    expect(rows).toEqual([expect.objectContaining({ caseId, patientRef, stage: 'admission' })]);
    const before = await cli(['--json', 'case', 'list']);
    expect(JSON.parse(before.stdout)).toEqual([expect.objectContaining({ caseId })]);

    const table = await cli(['case', 'list']);
    expect(table.stdout).toMatch(/^CASE\s+PATIENT\s+STAGE\s+ATTENTION\s+WAITING FOR\s+UPDATED/);
    expect(table.stdout).toContain(caseId);

    expectFailure(await cli(['case', 'list', '--stage', 'limbo']), 2, /stage \(--stage\): must be one of/);
  });

  it('shows the emails sent, to whom and with what status; one acknowledgement despite opening twice', async () => {
    await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'hospital_accepted_family', 20_000);
    let emails: { to: string; subject: string; kind: string; status: string; sentAt: string | null }[] = [];
    for (let i = 0; i < 50; i++) {
      emails = await cliJson<typeof emails>(['emails', caseId]);
      if (emails.some((e) => e.kind === 'hospital_accepted_family' && e.status === 'sent')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(emails.map((e) => e.kind)).toEqual(expect.arrayContaining(['case_opened', 'sharing_request', 'hospital_submission', 'hospital_accepted_family']));
    for (const e of emails) {
      expect(e.status).toBe('sent');
      expect(e.subject).not.toBe('');
      expect(Number.isNaN(Date.parse(e.sentAt ?? ''))).toBe(false);
    }
    expect(emails.find((e) => e.kind === 'case_opened')!.to).toBe(FAMILY_EMAIL);
    expect(emails.filter((e) => e.kind === 'sharing_request').map((e) => e.to)).toEqual([FAMILY_EMAIL]);
    expect(emails.find((e) => e.kind === 'hospital_submission')!.to).toBe(HOSPITAL_EMAIL);
    expect(emails.filter((e) => e.kind === 'case_opened')).toHaveLength(1);
    expect(sink.messages.filter((m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'case_opened')).toHaveLength(1);

    const human = await cli(['emails', caseId]);
    expect(human.stdout).toMatch(/^SENT\s+STATUS\s+KIND\s+TO\s+SUBJECT/);
    expect(human.stdout).toContain(FAMILY_EMAIL);
  });

  it('plans and confirms admission, records the infusion', async () => {
    const admitAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    expectFailure(await cli(['admission', 'plan', caseId, '--hospital', 'HCB', '--date', 'tomorrow']), 2, /^error: admissionAt \(--date\): must be an ISO date-time/);
    expectFailure(await cli(['admission', 'plan', caseId, '--hospital', 'OTHER', '--date', admitAt]), 4, /the chosen hospital is HCB, not OTHER/);
    expectFailure(await cli(['admission', 'confirm', caseId]), 4, /no admission plan to confirm/);

    const planned = await cliJson<CaseStatus>(['admission', 'plan', caseId, '--hospital', 'HCB', '--date', admitAt, '--contact', 'Dr. Ortega, 3rd floor']);
    expect(planned.admission).toMatchObject({ hospitalCode: 'HCB', admissionAt: admitAt, contact: 'Dr. Ortega, 3rd floor' });
    await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'admission_plan', 20_000);

    await cliJson<CaseStatus>(['admission', 'confirm', caseId]);
    await waitForCase(caseId, (s) => s.stage === 'monitoring', 'monitoring');
    expectFailure(await cli(['monitoring', 'end', caseId]), 4, /record the infusion first/);

    const infused = await cliJson<CaseStatus>(['infusion', 'record', caseId]);
    expect(Date.now() - Date.parse(infused.infusionAt!)).toBeLessThan(120_000);
    expectFailure(await cli(['alert', 'ack', caseId, 'a9']), 4, /there is no alert a9 on this case/);
  });

  it("lets a clinician record an observation and acknowledge its alert but not take a coordinator's action; ops only read", async () => {
    const observed = await cli(['checkin', 'clinical', caseId, '--json'], { env: tokenEnv.clinician, input: JSON.stringify({ temperatureC: 39.1, vasopressors: ['norepinephrine'] }) });
    expect(observed.stderr).toBe('');
    expect(observed.code).toBe(0);
    const { alertId } = JSON.parse(observed.stdout) as { alertId: string };
    expect(alertId).toMatch(/^a\d+$/);

    const ops = tokenEnv.ops;
    expectFailure(await cli(['alert', 'ack', caseId, alertId], { env: ops }), 4, /^error: refused: ops\.cy@care\.test has role ops; only coordinators and clinicians may acknowledge an alert \(acknowledgeAlert\)$/);
    expectFailure(await cli(['checkin', 'clinical', caseId], { env: ops, input: '{"temperatureC": 38.2}' }), 4, /has role ops; only coordinators and clinicians may record a clinical observation/);
    const read = await cli(['case', 'show', caseId, '--json'], { env: ops });
    expect(read.code).toBe(0);
    expect((JSON.parse(read.stdout) as CaseStatus).alerts.find((a) => a.id === alertId)).toMatchObject({ kind: 'clinical', tier: 'critical' });
    expect((JSON.parse(read.stdout) as CaseStatus).alerts.find((a) => a.id === alertId)!.acknowledgedAt).toBeUndefined();

    const acked = await cli(['alert', 'ack', caseId, alertId, '--json'], { env: tokenEnv.clinician });
    expect(acked.stderr).toBe('');
    expect((JSON.parse(acked.stdout) as CaseStatus).alerts.find((a) => a.id === alertId)).toMatchObject({ acknowledgedBy: CLINICIAN });

    const notClinical = /^error: refused: clinician\.bo@care\.test has role clinician; only coordinators may end post-infusion monitoring \(endMonitoring\)$/;
    expectFailure(await cli(['monitoring', 'end', caseId], { env: tokenEnv.clinician }), 4, notClinical);
    // Refused by the role before Temporal is contacted: the same answer with Temporal out of reach.
    expectFailure(await cli(['monitoring', 'end', caseId], { env: { ...tokenEnv.clinician, TEMPORAL_ADDRESS: '127.0.0.1:9' } }), 4, notClinical);
    expect((await cliJson<CaseStatus>(['case', 'show', caseId])).stage).toBe('monitoring');
  });

  it('ends monitoring, then cancels the case', async () => {
    await cliJson<CaseStatus>(['monitoring', 'end', caseId]);
    const followUp = await waitForCase(caseId, (s) => s.stage === 'follow_up', 'follow-up');
    expect(followUp.waitingFor).toMatchObject({ what: 'day 28 follow-up contact', from: 'nobody' });
    expectFailure(await cli(['follow-up', 'record', caseId, '--outcome', 'well']), 4, /no follow-up contact is waiting for an outcome \(next: day 28\)/);
    expectFailure(await cli(['case', 'close', caseId, '--reason', 'done']), 4, /not possible while the case is in follow_up/);

    const cancelled = await cli(['case', 'cancel', caseId, '--reason', 'family moved the treatment home']);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/stage cancelled/);
    await sink.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'case_cancelled_family', 20_000);
    const final = await waitForCase(caseId, (s) => s.stage === 'cancelled', 'cancelled');
    expect(final.cancelled).toMatchObject({ reason: 'family moved the treatment home', by: ACTOR, fromStage: 'follow_up' });
    expectFailure(await cli(['records', 'receive', caseId, 'scans']), 4, /^error: refused: the case is (cancelled|closed)/);
  });

  it('records who did what in the timeline', async () => {
    const timeline = await cliJson<{ kind: string; actor: string; summary: string }[]>(['case', 'timeline', caseId]);
    expect(timeline.filter((t) => t.kind === 'document_received').map((t) => t.actor)).toEqual(Array(5).fill(ACTOR));
    expect(timeline.find((t) => t.kind === 'hospital_decision')).toMatchObject({ actor: ACTOR });
    expect(timeline.filter((t) => t.kind === 'sharing_approved')).toEqual([expect.objectContaining({ actor: ACTOR, summary: 'Sharing with HCB approved' })]);
    expect(timeline.find((t) => t.kind === 'case_opened')).toMatchObject({ actor: ACTOR });
    expect(timeline.find((t) => t.kind === 'clinical_observation')).toMatchObject({ actor: CLINICIAN });
    expect(timeline.find((t) => t.kind === 'alert_acknowledged')).toMatchObject({ actor: CLINICIAN });
    const rows = await service.database.db.selectFrom('timeline').select(['kind', 'actor']).where('case_id', '=', caseId).where('kind', 'in', ['case_cancelled', 'alert_acknowledged']).orderBy('at').execute();
    expect(rows).toEqual([
      { kind: 'alert_acknowledged', actor: CLINICIAN },
      { kind: 'case_cancelled', actor: ACTOR },
    ]);
    // Read by every role: ops too.
    expect((await cli(['case', 'timeline', caseId], { env: tokenEnv.ops })).stdout).toContain(CLINICIAN);
  });
});

describe('casectl crs grade (no server, no database)', () => {
  // Addresses where nothing listens: grading must not try to connect.
  const offline = () => ({ ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:9', DATABASE_URL: 'postgres://x:y@127.0.0.1:9/none', DATA_DIR: tmp });

  it('grades reference example #6 (39.1 °C, norepinephrine) from stdin: CRS 3, tier critical', async () => {
    const r = await cli(['crs', 'grade'], { input: JSON.stringify({ temperatureC: 39.1, vasopressors: ['norepinephrine'] }), env: offline() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      crs: { grade: 3, clinicianReview: false, reason: 'one vasopressor' },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'critical',
    });
  });

  it('grades from --file', async () => {
    const file = join(tmp, 'obs.json');
    writeFileSync(file, JSON.stringify({ temperatureC: 38.3, oxygen: { device: 'nasal_cannula', flowLpm: 7 } }));
    const r = await cli(['crs', 'grade', '--file', file, '--json'], { env: offline() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ crs: { grade: 3 }, icans: { grade: 0 }, tier: 'critical' });
  });

  it('refuses an implausible temperature with exit 2, naming the field, nothing on stdout', async () => {
    const r = await cli(['crs', 'grade'], { input: '{"temperatureC": 60}', env: offline() });
    expectFailure(r, 2, /^error: temperatureC: /);
    expectFailure(await cli(['crs', 'grade'], { input: '{"temperatureC": 38.5,', env: offline() }), 2, /not valid JSON/);
    expectFailure(await cli(['crs', 'grade'], { input: '{"temperatureC": 38.5, "colour": "red"}', env: offline() }), 2, /^error: colour: unknown field$/);
  });
});

describe('casectl --help', () => {
  it('explains a subcommand on stdout and exits 0', async () => {
    const r = await cli(['records', 'receive', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: casectl records receive \[options\] <caseId> <documentType>/);
    expect(r.stdout).toContain('--language');
    expect(r.stdout).toContain('--json');
  });

  it('names the bootstrap commands, which work before any account exists, apart from those run as an account', async () => {
    const r = await cli(['--help'], { env: unsignedEnv });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Commands, as the account of CASECTL_TOKEN:\n(\s+\S.*\n)*\s+case\s/m);
    expect(r.stdout).toMatch(/^Bootstrap \(operator\) commands: on the database directly, before any account exists:\n\s+user\s/m);
    expect(r.stdout).toContain('CASECTL_TOKEN is an API token of your staff account');
    expect(r.stdout).not.toContain('CASECTL_ACTOR');
    const user = await cli(['user', 'token', '--help'], { env: unsignedEnv });
    expect(user.stdout).toMatch(/Bootstrap \(operator\) commands work on the database directly, before any account exists: they need DATABASE_URL, not CASECTL_TOKEN/);
  });

  it('names an unknown command in one line (exit 2)', async () => {
    expectFailure(await cli(['case', 'shwo', 'x']), 2, /^error: unknown command 'shwo'/);
  });
});
