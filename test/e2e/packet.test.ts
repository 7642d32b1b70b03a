// A hospital's packet page, end to end against the real worker, HTTP server, PostgreSQL, SMTP sink
// and the shared Temporal dev server: the link in the submission email, a one-time code emailed to
// the hospital's registered address, the documents as downloads byte for byte, the decision taken
// as hospital:<CODE>; and everything the page refuses: forged, expired and revoked links, another
// case's file, wrong, expired and used codes, a link locked after five wrong codes (the
// coordinator told once), a decision without its reason or documents, a mail server that is down.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createDocuments, type Documents } from '../../client/documents.ts';
import { openVault } from '../../activities/vault/open.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { linkHashOf } from '../../client/packets.ts';
import { startHttpServer } from '../../client/http/main.ts';
import type { PacketAccess } from '../../client/http/packet.ts';
import { RETRY_AFTER_SECONDS } from '../../client/unavailable.ts';
import { startService, type Service } from '../harness/service.ts';
import { ACTOR, caseFile, openCase, toHospitalReview, waitForStatus } from '../harness/drive.ts';

const tag = randomBytes(3).toString('hex');
const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `packet:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
  VAULT_KEYS: `v1:${randomBytes(32).toString('base64')}`,
};
const PDF = (text: string) => Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${text}\n${'x'.repeat(3000)}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);

let service: Service;
let docs: Documents;
const caseIds: string[] = [];

beforeAll(async () => {
  service = await startService({ name: 'packet', env });
  const config = loadConfig({ DATA_DIR: service.dataDir, DATABASE_URL: service.database.url, APP_BASE_URL: 'http://care.test' });
  docs = createDocuments({ db: service.database.db, vault: openVault(config, service.database.db, env), limits: config.vault });
}, 120_000);

afterAll(async () => {
  await service?.stop(caseIds);
});

interface Hospital {
  code: string;
  email: string;
  language: string;
}

let hospitals = 0;
async function addHospital(language: string): Promise<Hospital> {
  const code = `H${tag}${++hospitals}`.toUpperCase();
  const h = { code, email: `intl.${code.toLowerCase()}@hospital.test`, language };
  await service.actions.addHospital({ code, name: `Hospital ${code}`, email: h.email, language, timezone: 'Europe/Madrid' });
  return h;
}

/** A file in the vault, reviewed as the coordinator would, as an original or a translation. */
async function stored(caseId: string, documentType: string, fileName: string, bytes: Buffer, opts: { accepted?: boolean; translation?: string } = {}) {
  const file = await docs.store({ caseId, documentType, fileName, body: Readable.from([bytes]), sender: 'coordinator', actor: ACTOR });
  if (opts.translation) await service.database.db.updateTable('files').set({ kind: 'translation', language: opts.translation }).where('id', '=', file.id).execute();
  if (opts.accepted ?? true) await docs.review(caseId, file.id, { status: 'accepted', documentType, by: ACTOR });
  return file;
}

const toHospital = (h: Hospital) => (m: ParsedMail) => JSON.stringify(m.to ?? '').includes(h.email);

/** A case in hospital review with `h`; the packet link from the submission email, as the hospital would follow it (on this server). */
async function inReview(h: Hospital, files?: (caseId: string) => Promise<void>): Promise<{ caseId: string; url: string; path: string }> {
  const caseId = await openCase(service.actions, caseFile());
  caseIds.push(caseId);
  await files?.(caseId);
  await toHospitalReview(service.actions, caseId, h.code, h.language);
  const [mail] = await service.sink.waitFor(1, (m) => toHospital(h)(m) && m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'hospital_submission', 20_000);
  const path = /http:\/\/care\.test(\/packet\/[A-Za-z0-9_.-]+)/.exec(mail!.text ?? '')?.[1];
  expect(path, 'the submission email holds the packet link').toBeDefined();
  return { caseId, url: `${service.http.url}${path}`, path: path! };
}

function post(url: string, fields: Record<string, string | string[]>, cookie?: string): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) }, body: body.toString(), redirect: 'manual' });
}

const codeMails = (h: Hospital) => (m: ParsedMail) => toHospital(h)(m) && !m.headers.has('x-email-kind') && /\b\d{6}\b/.test(m.text ?? '');
const codeIn = (m: ParsedMail) => /\b(\d{6})\b/.exec(m.text ?? '')![1]!;

/** Asks for a code and waits for the `nth` code mail to the hospital: its code. */
async function sendCode(url: string, h: Hospital, nth: number): Promise<string> {
  const sent = await post(url, { action: 'send' });
  expect([sent.status, sent.headers.get('location')]).toEqual([303, `${new URL(url).pathname}?sent`]);
  const mails = await service.sink.waitFor(nth, codeMails(h), 15_000);
  return codeIn(mails[nth - 1]!);
}

/** The session cookie a right code sets (name=value). */
async function signIn(url: string, code: string): Promise<string> {
  const r = await post(url, { action: 'code', code });
  expect([r.status, r.headers.get('location')]).toEqual([303, new URL(url).pathname]);
  return r.headers.get('set-cookie')!.split(';')[0]!;
}

const wrongOf = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe("a hospital's packet page", () => {
  it('opens from the submission email with a code sent to the hospital, lists the documents, downloads them byte for byte, and takes the decision as the hospital', async () => {
    const h = await addHospital('en');
    const original = PDF(`restaging ${tag}`);
    const translation = PDF(`translation ${tag}`);
    let listed: string[] = [];
    let unlisted: string[] = [];
    const { caseId, url, path } = await inReview(h, async (id) => {
      const a = await stored(id, 'medical_report', 'Informe <médico>.pdf', original);
      const b = await stored(id, 'pathology', 'Pathology (EN).pdf', translation, { translation: 'en' });
      const pending = await stored(id, 'scans', 'pending.pdf', PDF('pending'), { accepted: false });
      const spanish = await stored(id, 'pathology', 'Patología (ES).pdf', PDF('es'), { translation: 'es' });
      listed = [a.id, b.id];
      unlisted = [pending.id, spanish.id];
    });

    // Without a session: where the code goes, partly masked, and nothing of the patient.
    const first = await fetch(url);
    expect(first.status).toBe(200);
    const codePage = await first.text();
    expect(codePage).toContain(`we send a one-time code to the address we have for Hospital ${h.code}: in•••@hospital.test.`);
    expect(codePage).not.toContain(h.email);
    const summary = await service.database.db.selectFrom('cases').select(['patient_ref', 'diagnosis']).where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(codePage).not.toContain(summary.patient_ref);
    expect(await fetch(`${url}/files/${listed[0]}`).then((r) => r.status)).toBe(401);

    const code = await sendCode(url, h, 1);
    const [mail] = service.sink.messages.filter(codeMails(h));
    expect(mail!.subject).toBe('Your one-time code');
    expect(mail!.text).not.toContain(summary.patient_ref);
    // The code is kept hashed, for this link only.
    const row = await service.database.db.selectFrom('packet_codes').selectAll().where('case_id', '=', caseId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ link_hash: linkHashOf(path.slice('/packet/'.length)), hospital_code: h.code, round: 1, attempts: 0, used_at: null });
    expect(row.code_hash).not.toContain(code);
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(10 * 60_000);

    const answer = await post(url, { action: 'code', code: ` ${code.slice(0, 3)} ${code.slice(3)} ` });
    expect(answer.status).toBe(303);
    const setCookie = answer.headers.get('set-cookie')!;
    expect(setCookie).toMatch(new RegExp(`^packet_session=[A-Za-z0-9_-]{43}; Path=${path.replace(/[.]/g, '\\.')}; HttpOnly; SameSite=Strict; Max-Age=1800$`));
    const cookie = setCookie.split(';')[0]!;

    const page = await fetch(url, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(summary.patient_ref);
    expect(html).toContain(summary.diagnosis);
    expect(html).toContain('Medical reports: Informe &lt;médico&gt;.pdf');
    expect(html).toContain('Pathology reports, translation (English): Pathology (EN).pdf');
    for (const id of listed) expect(html).toContain(`${path}/files/${id}`);
    for (const id of unlisted) expect(html).not.toContain(id);
    // The case knows the packet was opened, by whom.
    const opened = await waitForStatus(service.actions, caseId, (s) => s.submissions[0]?.openedAt !== undefined, 'packet opened');
    expect(opened.waitingFor.what).toContain('packet opened');
    expect((await service.actions.timeline(caseId)).filter((e) => e.kind === 'packet_opened')).toEqual([expect.objectContaining({ actor: `hospital:${h.code}` })]);

    const download = await fetch(`${url}/files/${listed[0]}`, { headers: { cookie } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="file"; filename*=UTF-8''${encodeURIComponent('Informe <médico>.pdf')}`);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await download.arrayBuffer()).equals(original)).toBe(true);
    expect(Buffer.from(await (await fetch(`${url}/files/${listed[1]}`, { headers: { cookie } })).arrayBuffer()).equals(translation)).toBe(true);
    // Not in the packet: a file waiting for review, a translation into another language, another case's file, no file.
    const other = await openCase(service.actions, caseFile());
    caseIds.push(other);
    const elsewhere = await stored(other, 'medical_report', 'other.pdf', PDF('other case'));
    for (const id of [...unlisted, elsewhere.id, '00000000-0000-4000-8000-000000000000', 'not-a-file']) expect(await fetch(`${url}/files/${id}`, { headers: { cookie } }).then((r) => r.status), id).toBe(404);
    // A session opens only its own link's path: another link with this cookie asks for a code.
    const forgedPath = `${url.slice(0, -3)}${url.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect((await fetch(forgedPath, { headers: { cookie } })).status).toBe(400);

    const decided = await post(url, { action: 'decide', decision: 'accepted' }, cookie);
    expect([decided.status, decided.headers.get('location')]).toEqual([303, `${path}?decided`]);
    expect(await (await fetch(`${url}?decided`, { headers: { cookie } })).text()).toContain('Thank you: your decision is recorded');
    const moved = await waitForStatus(service.actions, caseId, (s) => s.stage === 'admission', 'admission');
    expect(moved).toMatchObject({ chosenHospital: h.code, submissions: [expect.objectContaining({ status: 'accepted' })] });
    expect((await service.actions.timeline(caseId)).filter((e) => e.kind === 'hospital_decision')).toEqual([expect.objectContaining({ actor: `hospital:${h.code}`, summary: `${h.code}: accepted` })]);

    // The same decision again: the same answer. A different one: refused, naming what was recorded.
    const again = await post(url, { action: 'decide', decision: 'accepted' }, cookie);
    expect([again.status, again.headers.get('location')]).toEqual([303, `${path}?decided`]);
    const different = await post(url, { action: 'decide', decision: 'declined', reason: 'No bed' }, cookie);
    expect(different.status).toBe(409);
    const refused = await different.text();
    expect(refused).toContain('A different decision is already recorded');
    expect(refused).toContain('This round already has a decision: Accepted.');
    expect((await service.actions.timeline(caseId)).filter((e) => e.kind === 'hospital_decision')).toHaveLength(1);
    // After the decision the link says what was recorded, and no longer gives the documents.
    const after = await fetch(url);
    expect([after.status, (await after.text()).includes('A decision is recorded for this round')]).toEqual([200, true]);
    expect((await fetch(`${url}/files/${listed[0]}`, { headers: { cookie } })).status).toBe(410);
  });

  it('refuses a code before one is sent, says when the mail server is down (keeping nothing), one code a minute, an expired code, a wrong one and a used one', async () => {
    const h = await addHospital('en');
    const { caseId, url } = await inReview(h);
    const codes = () => service.database.db.selectFrom('packet_codes').selectAll().where('case_id', '=', caseId).orderBy('id').execute();

    const none = await post(url, { action: 'code', code: '123456' });
    expect([none.status, (await none.text()).includes('no code has been sent for this link yet')]).toEqual([400, true]);
    expect((await post(url, { action: 'code', code: '12345' })).status).toBe(400);

    await service.sink.pause();
    try {
      const down = await post(url, { action: 'send' });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
      expect(await down.text()).toContain('We could not send the code just now, and nothing was sent.');
      expect(await codes()).toEqual([]);
    } finally {
      await service.sink.resume();
    }

    const code = await sendCode(url, h, 1);
    const soon = await post(url, { action: 'send' });
    expect(soon.status).toBe(429);
    const wait = Number(soon.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await soon.text()).toMatch(/You can ask for another in \d+ seconds?\./);

    // Ten minutes later (the row aged), the right code is refused as expired, without counting against the link.
    await service.database.db.updateTable('packet_codes').set({ expires_at: new Date(Date.now() - 1000), created_at: new Date(Date.now() - 11 * 60_000) }).where('case_id', '=', caseId).execute();
    const expired = await post(url, { action: 'code', code });
    expect([expired.status, (await expired.text()).includes('that code has expired')]).toEqual([400, true]);

    const fresh = await sendCode(url, h, 2);
    const wrong = await post(url, { action: 'code', code: wrongOf(fresh) });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('that code is not right. 4 more wrong codes lock this link.');
    await signIn(url, fresh);
    const used = await post(url, { action: 'code', code: fresh });
    expect([used.status, (await used.text()).includes('that code has already been used')]).toEqual([400, true]);
    expect((await codes()).map((c) => [c.attempts, c.used_at !== null])).toEqual([
      [0, false],
      [1, true],
    ]);
  });

  it('locks the link for good after five wrong codes and tells the coordinator once', async () => {
    const h = await addHospital('en');
    const { caseId, url } = await inReview(h);
    const code = await sendCode(url, h, 1);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(url, { action: 'code', code: wrongOf(code) })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 403]);
    const right = await post(url, { action: 'code', code });
    expect(right.status).toBe(403);
    expect(await right.text()).toContain('Please call the coordinator');
    expect((await fetch(url)).status).toBe(403);
    expect((await post(url, { action: 'send' })).status).toBe(403);

    const [locked] = await service.sink.waitFor(1, (m) => m.subject === `[${caseId}] A hospital's link to the case is locked`, 20_000);
    expect(locked!.text).toContain(`(round 1) is locked`);
    const status = await waitForStatus(service.actions, caseId, (s) => s.alerts.some((a) => a.kind === 'packet_locked'), 'packet_locked alert');
    expect(status.alerts.filter((a) => a.kind === 'packet_locked')).toHaveLength(1);
    expect(await service.database.db.selectFrom('packet_locks').select(['round', 'told_at']).where('case_id', '=', caseId).execute()).toEqual([{ round: 1, told_at: expect.any(Date) }]);
    // Whatever is tried on it afterwards, the coordinator was told once.
    await post(url, { action: 'code', code: wrongOf(code) });
    await new Promise((r) => setTimeout(r, 1500));
    expect(service.sink.messages.filter((m) => m.subject === `[${caseId}] A hospital's link to the case is locked`)).toHaveLength(1);
  });

  it('refuses a forged link, an expired one, and one revoked by withdrawn consent or a cancelled case, each saying so', async () => {
    const h = await addHospital('en');
    const { caseId, url } = await inReview(h);
    const forged = `${url.slice(0, -3)}${url.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const bad = await fetch(forged);
    expect([bad.status, (await bad.text()).includes('This link is not valid')]).toEqual([400, true]);
    expect((await fetch(`${service.http.url}/packet/not.a-token`)).status).toBe(400);
    const links = createCheckinLinks(Buffer.from(env.CHECKIN_LINK_SECRET!, 'base64'));
    const old = await fetch(`${service.http.url}/packet/${links.signPacket({ caseId, hospitalCode: h.code, round: 1, expiresAt: Date.now() - 1000 })}`);
    expect([old.status, (await old.text()).includes('This link has expired')]).toEqual([410, true]);
    // A link signed for another hospital's packet of this case opens nothing: that hospital has not been sent it.
    const other = await fetch(`${service.http.url}/packet/${links.signPacket({ caseId, hospitalCode: 'NOPE', round: 1, expiresAt: Date.now() + 60_000 })}`);
    expect(other.status).toBe(410);

    await service.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'withdrawn' });
    const withdrawn = await fetch(url);
    expect(withdrawn.status).toBe(410);
    expect(await withdrawn.text()).toContain('The family has withdrawn their consent to share the case.');
    expect((await post(url, { action: 'send' })).status).toBe(410);
    await service.actions.act(caseId, 'recordConsent', { actor: 'family', consent: 'given' });
    expect((await fetch(url)).status).toBe(200);

    await service.actions.act(caseId, 'cancelCase', { actor: ACTOR, reason: 'The family chose another centre' });
    const cancelled = await fetch(url);
    expect(cancelled.status).toBe(410);
    expect(await cancelled.text()).toContain('The case is closed.');
  });

  it('asks, in the hospital\'s language, for what a decision lacks; more information supersedes the round, whose link then opens nothing', async () => {
    const h = await addHospital('es');
    const { caseId, url } = await inReview(h, async (id) => {
      await stored(id, 'medical_report', 'informe.pdf', PDF('informe'));
    });
    const cookie = await signIn(url, await sendCode(url, h, 1));
    expect(service.sink.messages.filter(codeMails(h))[0]!.subject).toBe('Su código de un solo uso');
    const page = await (await fetch(url, { headers: { cookie } })).text();
    expect(page).toContain('<html lang="es"');
    const fileId = /\/files\/([0-9a-f-]{36})/.exec(page)![1]!;

    const nothing = await post(url, { action: 'decide' }, cookie);
    expect([nothing.status, (await nothing.text()).includes('Decisión: elija una.')]).toEqual([400, true]);
    const noReason = await post(url, { action: 'decide', decision: 'declined', reason: '  ' }, cookie);
    expect(noReason.status).toBe(400);
    const noReasonPage = await noReason.text();
    expect(noReasonPage).toContain('Motivo: indique por qué no pueden aceptar al paciente.');
    expect(noReasonPage).toContain('<input type="radio" name="decision" value="declined" checked>');
    const noDocuments = await post(url, { action: 'decide', decision: 'more_info', documents: 'nonsense' }, cookie);
    expect([noDocuments.status, (await noDocuments.text()).includes('Documentos necesarios: elija al menos uno.')]).toEqual([400, true]);
    const control = await post(url, { action: 'decide', decision: 'declined', reason: 'No\u0000' }, cookie);
    expect([control.status, (await control.text()).includes('Motivo: contiene un carácter que no podemos aceptar.')]).toEqual([400, true]);
    const long = await post(url, { action: 'decide', decision: 'declined', reason: 'x'.repeat(2001) }, cookie);
    expect([long.status, (await long.text()).includes('Motivo: escríbalo en 2000 caracteres como máximo.')]).toEqual([400, true]);
    const invisible = await post(url, { action: 'decide', decision: 'declined', reason: '\u200b' }, cookie);
    expect([invisible.status, (await invisible.text()).includes('Motivo: indique por qué no pueden aceptar al paciente.')]).toEqual([400, true]);
    expect((await service.actions.status(caseId)).submissions[0]!.status).toBe('pending');

    const more = await post(url, { action: 'decide', decision: 'more_info', documents: ['biomarkers', 'scans'] }, cookie);
    expect(more.status).toBe(303);
    const s = await waitForStatus(service.actions, caseId, (x) => x.submissions[0]?.status === 'more_info', 'more_info');
    expect(s.submissions[0]!.requestedDocuments).toEqual(['biomarkers', 'scans']);
    const recorded = await (await fetch(url)).text();
    expect(recorded).toContain('Registrado: Se necesita más información');
    expect(recorded).toContain('Resultados de biomarcadores');

    // The family sends them; the case resubmits as round 2 with its own link, and round 1's opens nothing.
    for (const documentType of ['biomarkers', 'scans']) await service.actions.act(caseId, 'receiveDocument', { actor: ACTOR, documentType, language: 'es' });
    const [, second] = await service.sink.waitFor(2, (m) => toHospital(h)(m) && m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'hospital_submission', 30_000);
    const secondPath = /http:\/\/care\.test(\/packet\/[A-Za-z0-9_.-]+)/.exec(second!.text ?? '')![1]!;
    await waitForStatus(service.actions, caseId, (x) => x.submissions[0]?.round === 2 && x.submissions[0].status === 'pending', 'round 2');
    const superseded = await fetch(url, { headers: { cookie } });
    expect(superseded.status).toBe(410);
    expect(await superseded.text()).toContain('Un envío más reciente del caso ha sustituido a este');
    expect((await fetch(`${url}/files/${fileId}`, { headers: { cookie } })).status).toBe(410);
    // Round 2's link asks for a code of its own: round 1's session does not open it; its page lists what was asked for.
    const nextUrl = `${service.http.url}${secondPath}`;
    const next = await fetch(nextUrl, { headers: { cookie } });
    expect([next.status, (await next.text()).includes('Enviarme un código')]).toEqual([200, true]);
    const round2 = await (await fetch(nextUrl, { headers: { cookie: await signIn(nextUrl, await sendCode(nextUrl, h, 2)) } })).text();
    expect(round2).toMatch(/Los documentos que pidieron, en esta ronda<\/h2><ul class="files"><li>Resultados de biomarcadores<\/li><li>Estudios de imagen \(TAC, RM, PET\)<\/li><\/ul>/);
    expect(round2).toContain('<dt>Ronda</dt><dd>2</dd>');
  });
});

describe('the access log', () => {
  it('is told of each code sent and refused, each view, download and decision, with ids only', async () => {
    const h = await addHospital('en');
    const { caseId, path } = await inReview(h, async (id) => {
      await stored(id, 'medical_report', 'Secret name.pdf', PDF('logged'));
    });
    // A second HTTP server on the same service, with an access log to read.
    const entries: PacketAccess[] = [];
    const config = loadConfig({ TEMPORAL_ADDRESS: service.temporalAddress, TASK_QUEUE: service.taskQueue, SMTP_URL: service.sink.url, DATA_DIR: service.dataDir, DATABASE_URL: service.database.url, APP_BASE_URL: 'http://care.test', PORT: '0' });
    const http = await startHttpServer(config, { env, host: '127.0.0.1', log: () => {}, logAccess: async (e) => void entries.push(e) });
    try {
      const here = `${http.url}${path}`;
      const code = await sendCode(here, h, 1);
      await post(here, { action: 'code', code: wrongOf(code) });
      const cookie = await signIn(here, code);
      const page = await (await fetch(here, { headers: { cookie } })).text();
      const fileId = /\/files\/([0-9a-f-]{36})/.exec(page)![1]!;
      expect((await fetch(`${here}/files/${fileId}`, { headers: { cookie } })).status).toBe(200);
      expect((await post(here, { action: 'decide', decision: 'declined', reason: 'No bed until March' }, cookie)).status).toBe(303);
      const base = { caseId, party: 'hospital', actor: `hospital:${h.code}`, clientAddress: '127.0.0.1' };
      const ids = { hospitalCode: h.code, round: 1 };
      expect(entries).toEqual([
        { ...base, action: 'code_sent', detail: ids },
        { ...base, action: 'code_refused', detail: { ...ids, reason: 'wrong' } },
        { ...base, action: 'packet_viewed', detail: ids },
        { ...base, action: 'file_downloaded', detail: { ...ids, fileId } },
        { ...base, action: 'decision_recorded', detail: { ...ids, status: 'declined' } },
      ]);
      const written = JSON.stringify(entries);
      for (const secret of [path.slice('/packet/'.length), code, 'Secret name', 'No bed', h.email]) expect(written).not.toContain(secret);
    } finally {
      await http.close();
    }
  });
});
