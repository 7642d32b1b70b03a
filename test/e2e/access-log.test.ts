// The access log end to end: a worker and the HTTP server (the records stack: console, API and
// vault), behind one trusted proxy (TRUST_PROXY=1), so that each request's client address is the
// one the proxy names in X-Forwarded-For; casectl as a subprocess. A coordinator reads a case at the
// console, through the API and casectl, and downloads its file at both doors: each read is in the
// log with the account, the action and the address, and the three doors give the log back. A read
// whose entry cannot be written is refused, not answered.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAccounts } from '../../client/accounts.ts';
import { createAccessLog, type AccessRecord } from '../../client/access-log.ts';
import type { Db } from '../../db/connect.ts';
import { startRecordsStack, type RecordsStack } from '../harness/records-stack.ts';
import { signInCode } from '../harness/staff.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tag = randomBytes(3).toString('hex');
const COORDINATOR = { email: `coordinator.${tag}@care.test`, password: `coordinator-password-${tag}` };
const OPS = { email: `ops.${tag}@care.test`, password: `ops-password-${tag}` };
/** A file name that says who the patient is: it must never reach the log. */
const FILE_NAME = `Informe Lucía Fernández ${tag}.pdf`;
const PDF = Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n${'x'.repeat(3000)}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
/** An address that is not the test's own, so that only X-Forwarded-For through the trusted proxy can have put it in the log. */
const from = (n: number) => ({ 'x-forwarded-for': `203.0.113.${n}` });

let stack: RecordsStack;
let db: Db;
let caseId = '';
let fileId = '';
let coordinator: { cookie: string };
let ops: { cookie: string };
let cliEnv: NodeJS.ProcessEnv;

async function signIn(who: { email: string; password: string }): Promise<{ cookie: string }> {
  const r = await fetch(`${stack.servers[0]!.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...who, code: await signInCode(db, who.email) }) });
  expect(r.status).toBe(200);
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]! };
}

const get = (path: string, opts: { as?: { cookie: string }; headers?: Record<string, string> } = {}) =>
  fetch(`${stack.servers[0]!.url}${path}`, { headers: { ...(opts.as ? { cookie: opts.as.cookie } : {}), ...opts.headers } });

function casectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['client/casectl.ts', ...args], { cwd: root, env: cliEnv, timeout: 45_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** The case's entries as stored, oldest first. */
const rows = (id = caseId) => db.selectFrom('access_log').select(['party', 'actor', 'action', 'detail', 'client_address']).where('case_id', '=', id).orderBy('id').execute();

beforeAll(async () => {
  stack = await startRecordsStack({ name: 'access', config: { TRUST_PROXY: '1' } });
  db = stack.database.db;
  const accounts = createAccounts(db);
  await accounts.createUser({ ...COORDINATOR, name: 'Coordinator', role: 'coordinator' });
  await accounts.createUser({ ...OPS, name: 'Ops', role: 'ops' });
  [coordinator, ops] = [await signIn(COORDINATOR), await signIn(OPS)];
  ({ caseId } = await stack.openCase());
  ({ id: fileId } = await stack.documents().store({ caseId, documentType: 'medical_report', fileName: FILE_NAME, body: Readable.from([PDF]), sender: 'coordinator', actor: COORDINATOR.email }));
  const { token } = await accounts.createApiToken(COORDINATOR.email, 'access casectl', 1);
  cliEnv = { ...process.env, ...stack.env, DATABASE_URL: stack.database.url, DATA_DIR: stack.dataDir, TEMPORAL_ADDRESS: inject('temporalAddress'), CASECTL_TOKEN: token };
});

afterAll(async () => {
  await stack?.stop();
});

describe('the access log', () => {
  it("records a coordinator's console case view, API read and downloads at both doors, with the account, the action and the client's address", async () => {
    const page = await get(`/console/cases/${caseId}`, { as: coordinator, headers: from(10) });
    expect(page.status).toBe(200);
    expect((await get(`/api/cases/${caseId}`, { as: coordinator, headers: from(11) })).status).toBe(200);
    const download = await get(`/api/cases/${caseId}/documents/${fileId}`, { as: coordinator, headers: from(12) });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
    const consoleDownload = await get(`/console/cases/${caseId}/files/${fileId}`, { as: coordinator, headers: from(13) });
    expect([consoleDownload.status, Buffer.from(await consoleDownload.arrayBuffer()).equals(PDF)]).toEqual([200, true]);

    const staff = { party: 'staff', actor: COORDINATOR.email };
    expect(await rows()).toEqual([
      { ...staff, action: 'case_viewed', detail: { via: 'console' }, client_address: '203.0.113.10' },
      { ...staff, action: 'case_viewed', detail: { via: 'api' }, client_address: '203.0.113.11' },
      { ...staff, action: 'file_downloaded', detail: { via: 'api', fileId }, client_address: '203.0.113.12' },
      { ...staff, action: 'file_downloaded', detail: { via: 'console', fileId }, client_address: '203.0.113.13' },
    ]);
    // Ids only: nothing of the file's name, the family or the diagnosis.
    expect(JSON.stringify(await db.selectFrom('access_log').selectAll().execute())).not.toMatch(/Informe|Lucía|Ana Ops|lymphoma/i);
  });

  it('records a file that is not there as nothing: a read that fails was no read', async () => {
    const before = (await rows()).length;
    expect((await get(`/api/cases/${caseId}/documents/00000000-0000-4000-8000-000000000000`, { as: coordinator })).status).toBe(404);
    expect((await get(`/api/cases/c000000000000`, { as: coordinator })).status).toBe(404);
    expect(await rows()).toHaveLength(before);
    expect(await rows('c000000000000')).toEqual([]);
  });

  it('is given back by casectl access-log --json, newest first, which records its own reading (no client address from casectl)', async () => {
    const r = await casectl(['access-log', caseId, '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const listed = JSON.parse(r.stdout) as AccessRecord[];
    expect(listed.map((e) => [e.action, e.detail?.via, e.clientAddress])).toEqual([
      ['file_downloaded', 'console', '203.0.113.13'],
      ['file_downloaded', 'api', '203.0.113.12'],
      ['case_viewed', 'api', '203.0.113.11'],
      ['case_viewed', 'console', '203.0.113.10'],
    ]);
    expect(listed.every((e) => e.party === 'staff' && e.actor === COORDINATOR.email)).toBe(true);
    expect((await rows()).at(-1)).toEqual({ party: 'staff', actor: COORDINATOR.email, action: 'access_log_viewed', detail: { via: 'casectl' }, client_address: null });

    const text = await casectl(['access-log', caseId, '--limit', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^AT\s+PARTY\s+ACTOR\s+ACTION\s+DETAIL\s+ADDRESS$/);
    expect(text.stdout.split('\n')[1]).toMatch(new RegExp(`^\\S+Z\\s+staff\\s+${COORDINATOR.email.replaceAll('.', '\\.')}\\s+access_log_viewed\\s+via=casectl\\s+-$`));
    expect((await casectl(['access-log', 'c000000000000'])).code).toBe(3);
  });

  it('answers GET /api/cases/:caseId/access-log to any staff role (ops too), refuses anonymous callers, and knows no unknown case', async () => {
    const anonymous = await get(`/api/cases/${caseId}/access-log`);
    expect(anonymous.status).toBe(401);
    expect((await get(`/api/cases/c000000000000/access-log`, { as: ops })).status).toBe(404);
    expect(await rows('c000000000000')).toEqual([]);

    const seen = await get(`/api/cases/${caseId}/access-log?limit=2`, { as: ops, headers: from(20) });
    expect(seen.status).toBe(200);
    expect(((await seen.json()) as AccessRecord[]).map((e) => [e.actor, e.action])).toEqual([
      [COORDINATOR.email, 'access_log_viewed'],
      [COORDINATOR.email, 'access_log_viewed'],
    ]);
    expect((await rows()).at(-1)).toEqual({ party: 'staff', actor: OPS.email, action: 'access_log_viewed', detail: { via: 'api' }, client_address: '203.0.113.20' });
    expect((await get(`/api/cases/${caseId}/access-log?limit=0`, { as: ops })).status).toBe(400);
  });

  it("shows the newest 50 on the case page under 'Who has seen this case', saying where the rest are", async () => {
    const log = createAccessLog(db);
    for (let i = 0; i < 50; i++) await log.record({ caseId, party: 'hospital', actor: 'HKU', action: 'packet_viewed', detail: { hospitalCode: 'HKU', round: 1 }, clientAddress: '198.51.100.7' });
    const html = await (await get(`/console/cases/${caseId}`, { as: ops, headers: from(30) })).text();
    const section = html.slice(html.indexOf('Who has seen this case'));
    expect(section).toContain(`${OPS.email} <span class="muted">staff</span>`);
    expect(section).toContain('203.0.113.30');
    expect(section.match(/<tr><td class="nowrap">/g)).toHaveLength(50);
    expect(section).toContain(`casectl access-log ${caseId}`);
  });

  it('refuses a read (503, nothing of the case) while its entry cannot be written, and answers again once it can', async () => {
    await sql`create function access_log_refuse() returns trigger language plpgsql as $$ begin raise exception 'access log refused'; end $$`.execute(db);
    await sql`create trigger access_log_refuse before insert on access_log for each row execute function access_log_refuse()`.execute(db);
    try {
      const read = await get(`/api/cases/${caseId}`, { as: coordinator });
      expect([read.status, read.headers.get('retry-after')]).toEqual([503, '60']);
      expect(await read.json()).toEqual({ error: 'the access log cannot be written just now, so the case is not shown: try again shortly' });
      const download = await get(`/api/cases/${caseId}/documents/${fileId}`, { as: coordinator });
      expect(download.status).toBe(503);
      const page = await get(`/console/cases/${caseId}`, { as: coordinator });
      expect(page.status).toBe(503);
      expect(await page.text()).not.toMatch(/Ana Ops|Who has seen/);
      const cli = await casectl(['case', 'show', caseId, '--json']);
      expect([cli.code, cli.stdout]).toEqual([1, '']);
    } finally {
      await sql`drop trigger access_log_refuse on access_log`.execute(db);
    }
    expect((await get(`/api/cases/${caseId}`, { as: coordinator })).status).toBe(200);
  });
});
