// The family's signed link end to end: the check-in email from the real case workflow, its link
// opened on the real HTTP server, the report recorded by the workflow; forged, reused and
// expired links get their page and record nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { startCaseTestEnv, caseInMonitoring, type CaseTestEnv } from '../harness/case-env.ts';
import { createHttpServer } from '../../client/http/server.ts';

let t: CaseTestEnv;
let app: FastifyInstance;
let base: string;
let serverNow = 0;
const actor = 'coordinator@care.test';

beforeAll(async () => {
  t = await startCaseTestEnv();
  await t.actions.addHospital({ code: 'MAD', name: 'Hospital Madrid', email: 'team@mad.test', language: 'en', timezone: 'Europe/Madrid', phone: '+34 91 555 01 23' });
  // The links expire on the case's clock, which the time-skipping server moves.
  app = await createHttpServer({ actions: t.actions, db: t.database.db, links: t.links, client: t.client, now: () => serverNow });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.teardown();
});

const sleep = async (ms: number) => {
  await t.env.sleep(ms);
  serverNow = await t.env.currentTimeMs();
};

/** The link in the n-th check-in email of the case, as the family's phone would open it. */
async function linkFromEmail(caseId: string, n: number): Promise<string> {
  const mails = await t.smtp.waitFor(n, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'checkin_request');
  const url = mails[n - 1]!.text!.match(/http:\/\/care\.test(\/checkin\/[A-Za-z0-9_.-]+)/)![1]!;
  expect(url).not.toContain(caseId); // no case data in the URL, only a signed token
  return `${base}${url}`;
}

const form = (fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
};

describe('check-in links', () => {
  it('lets the family answer once through the signed link, and refuses forged, reused and expired links', async () => {
    const { caseId, monitoring: m } = await caseInMonitoring(t, 'MAD');
    const [first, second] = m.checkins;
    await sleep(Date.parse(first!.dueAt) - (await t.env.currentTimeMs()) + 60_000);
    const link = await linkFromEmail(caseId, 1);

    // The form, in the family's language (Spanish).
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('lang="es"');
    expect(html).toContain('name="temperature"');

    // A forged signature: a clear page, nothing recorded.
    const forged = link.slice(0, -3) + (link.endsWith('AAA') ? 'BBB' : 'AAA');
    const bad = await fetch(forged, form({ temperature: '38.9', unit: 'c', takenAt: '2026-11-24T20:00', admitted: 'no' }));
    expect(bad.status).toBe(400);
    expect((await t.actions.status(caseId)).monitoring!.checkins[0]!.state).toBe('open');

    // A fever with difficulty breathing: recorded by the workflow, the page says call now.
    const local = new Date(serverNow + 3600_000).toISOString().slice(0, 16); // Madrid is UTC+1 in November
    const answer = await fetch(link, form({ temperature: '38.9', unit: 'c', takenAt: local, admitted: 'no', symptoms: ['breathingDifficulty'], notes: 'respira rápido' }));
    const result = await answer.text();
    expect(answer.status).toBe(200);
    expect(result).toContain('tel:+34915550123');
    const s = await t.actions.status(caseId);
    expect(s.monitoring!.checkins[0]).toMatchObject({ state: 'answered', tier: 'urgent', temperatureC: 38.9 });
    const row = await t.database.db.selectFrom('checkins').selectAll().where('case_id', '=', caseId).where('checkin_id', '=', first!.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'answered', tier: 'urgent' });
    expect(row.report).toMatchObject({ notes: 'respira rápido', symptoms: { breathingDifficulty: true } });

    // The same link again: already answered; nothing changes.
    const again = await fetch(link, form({ temperature: '36.5', unit: 'c', takenAt: local, admitted: 'no' }));
    expect(again.status).toBe(409);
    expect((await fetch(link)).status).toBe(409);
    expect((await t.actions.status(caseId)).monitoring!.checkins[0]!.tier).toBe('urgent');
    // The coordinator takes the alert (unacknowledged, it is sent again every 15 minutes of the day slept below).
    for (const a of (await t.actions.status(caseId)).alerts) await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: a.id });

    // The second check-in's link, opened after the third one is due: closed.
    await sleep(Date.parse(second!.dueAt) - serverNow + 60_000);
    const secondLink = await linkFromEmail(caseId, 2);
    await sleep(Date.parse(second!.expiresAt) - serverNow + 60_000);
    const late = await fetch(secondLink, form({ temperature: '36.5', unit: 'c', takenAt: local, admitted: 'no' }));
    expect(late.status).toBe(410);
    expect((await t.actions.status(caseId)).monitoring!.checkins[1]!.state).toBe('missed');

    for (const a of (await t.actions.status(caseId)).alerts.filter((x) => !x.acknowledgedAt)) await t.actions.act(caseId, 'acknowledgeAlert', { actor, alertId: a.id });
    await t.endCase(caseId);
  });
});
