// The check-in HTTP server over real sockets: the real Fastify app on 127.0.0.1, a real test
// database with the family's contact, the shared Temporal dev server for readiness, and stand-ins
// for the case workflow's status and submitCheckin Update (the workflow side is tested elsewhere).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { createTestDatabase } from '../harness/postgres.ts';
import { ActionRefusedError, CaseNotFoundError } from '../../client/case-calls.ts';
import { createCodecHandler, bearerTokenAuthorizer } from '../../codec/codec-server.ts';
import { EncryptionCodec } from '../../codec/encryption-codec.ts';
import { parseKeysEnv } from '../../codec/keys.ts';
import { SYMPTOMS } from '../../domain/checkin-report.ts';
import { STYLE_HASH } from '../../client/http/pages.ts';
import { NOW, TEAM_PHONE, TEAM_TEL, get, insertCase, monitoringStatus, post, startCheckinServer, startOn, textOf, type CheckinServer } from './fixture.ts';

const ES = 'ces000000001';
const ZH = 'czh000000001';
const EN = 'cen000000001';
const NY = 'cny000000001';

const allFalse = Object.fromEntries(SYMPTOMS.map((s) => [s, false]));

let s: CheckinServer;
/** Every token any test used: none may ever appear in a log line. */
const tokens: string[] = [];
const tok = (caseId: string, checkinId: number, expiresAt?: number) => {
  const t = s.token(caseId, checkinId, expiresAt);
  tokens.push(t);
  return t;
};
const page = (token: string) => `${s.url}/checkin/${token}`;

beforeAll(async () => {
  s = await startCheckinServer();
  await insertCase(s.database.db, { caseId: ES, language: 'es-ES', timeZone: 'Europe/Madrid' });
  await insertCase(s.database.db, { caseId: ZH, language: 'zh-CN', timeZone: 'Asia/Shanghai' });
  await insertCase(s.database.db, { caseId: EN, language: 'en', timeZone: 'Europe/London' });
  await insertCase(s.database.db, { caseId: NY, language: 'fr', timeZone: 'America/New_York' });
  for (const id of [ES, ZH, EN, NY]) s.statuses.set(id, monitoringStatus(id, [{ id: 1, state: 'answered', tier: 'none' }, { id: 2, state: 'open' }, { id: 3, state: 'upcoming' }]));
});

afterAll(async () => {
  await s?.close();
});

/** A fresh open check-in for a case, so tests do not depend on one another. */
let nextCheckin = 10;
function openCheckin(caseId: string): number {
  const id = nextCheckin++;
  const status = s.statuses.get(caseId)!;
  status.monitoring!.checkins.push({ ...status.monitoring!.checkins[1]!, id, day: 3, state: 'open' });
  return id;
}
function setState(caseId: string, id: number, state: 'answered' | 'missed' | 'open', tier?: 'none' | 'contact_team' | 'urgent' | 'critical') {
  const c = s.statuses.get(caseId)!.monitoring!.checkins.find((x) => x.id === id)!;
  c.state = state;
  if (tier) c.tier = tier;
}

describe('GET /checkin/:token', () => {
  it('a valid link shows the form in Spanish, with the 24/7 number as a tel: link', async () => {
    const id = openCheckin(ES);
    const r = await get(page(tok(ES, id)));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.html).toMatch(/<html lang="es"/);
    const text = textOf(r.html);
    expect(text).toContain('¿Cómo está el paciente ahora?');
    expect(text).toContain('Día 3 después de la infusión');
    expect(text).toContain('Dificultad para respirar');
    expect(text).toContain('Confusión o desorientación');
    expect(text).toContain('Dificultad para hablar, entender o escribir (por ejemplo, ha cambiado su letra)');
    expect(text).toContain('No he podido tomar la temperatura');
    expect(text).toContain(`Si en algún momento le preocupa algo, llame ahora al teléfono de 24 horas del equipo médico, ${TEAM_PHONE}, o a emergencias.`);
    expect(r.html).toContain(`<a class="tel" href="${TEAM_TEL}">${TEAM_PHONE}</a>`);
    // "Taken at" starts at now in the family's zone (09:00 in Madrid).
    expect(r.html).toContain('value="2026-11-24T09:00"');
    expect(text).toContain('Hora local (Europe/Madrid)');
    // Every control has a label; groups have legends.
    for (const idAttr of [...r.html.matchAll(/<(?:input|select|textarea)[^>]*\sid="([^"]+)"/g)].map((m) => m[1])) {
      expect(r.html, `label for ${idAttr}`).toContain(`for="${idAttr}"`);
    }
    expect(r.html.match(/<fieldset/g)).toHaveLength(3);
    expect(r.html.match(/<legend>/g)).toHaveLength(3);
    expect(r.html.match(/type="checkbox" id="symptom-/g)).toHaveLength(10);
    expect(s.submitted).toHaveLength(0);
  });

  it('shows the form in Simplified Chinese for a zh-CN family', async () => {
    const id = openCheckin(ZH);
    const r = await get(page(tok(ZH, id)));
    expect(r.status).toBe(200);
    expect(r.html).toMatch(/<html lang="zh-Hans"/);
    const text = textOf(r.html);
    expect(text).toContain('患者现在情况如何？');
    expect(text).toContain('呼吸困难');
    expect(text).toContain('说话、理解或书写有困难（例如字迹变了）');
    expect(text).toContain(`如果您在任何时候感到担心，请立即拨打治疗团队的 24 小时电话 ${TEAM_PHONE}，或拨打急救电话。`);
    expect(r.html).toContain('value="2026-11-24T16:00"');
  });

  it('falls back to English for a language without pages', async () => {
    const id = openCheckin(NY);
    const r = await get(page(tok(NY, id)));
    expect(r.html).toMatch(/<html lang="en"/);
    expect(textOf(r.html)).toContain('Trouble speaking, understanding or writing (for example, handwriting has changed)');
    expect(r.html).toContain('value="2026-11-24T03:00"');
  });

  it('a forged link gets a kind 400 page, and nothing is asked of the workflow', async () => {
    const id = openCheckin(EN);
    const real = tok(EN, id);
    const forged = `${real.split('.')[0]}.${randomBytes(32).toString('base64url')}`;
    tokens.push(forged);
    const r = await get(page(forged));
    expect(r.status).toBe(400);
    expect(textOf(r.html)).toContain('This link is not valid');
    expect(textOf(r.html)).toContain("If you are worried at any time, call the treating team's 24/7 number now, or emergency services.");
    expect(r.html).not.toMatch(/at .*\.ts:\d+/);
    const p = await post(page(forged), { temperature: '37', unit: 'c', takenAt: '2026-11-24T08:30', admitted: 'no' });
    expect(p.status).toBe(400);
    expect(s.submitted).toHaveLength(0);
  });

  it('a malformed link gets the same page, in the browser language when there is no family to ask', async () => {
    const r = await get(`${s.url}/checkin/not-a-token`, { 'accept-language': 'es-MX,es;q=0.9,en;q=0.5' });
    expect(r.status).toBe(400);
    expect(r.html).toMatch(/<html lang="es"/);
    expect(textOf(r.html)).toContain('Este enlace no es válido');
  });

  it('an expired link says the check-in has closed (410), in the family language with the number', async () => {
    const id = openCheckin(ES);
    const r = await get(page(tok(ES, id, NOW - 1)));
    expect(r.status).toBe(410);
    expect(textOf(r.html)).toContain('Este control ya está cerrado');
    expect(r.html).toContain(`href="${TEAM_TEL}"`);
  });

  it('an answered check-in says it was already sent (409) and repeats what to do', async () => {
    const id = openCheckin(EN);
    setState(EN, id, 'answered', 'urgent');
    const r = await get(page(tok(EN, id)));
    expect(r.status).toBe(409);
    const text = textOf(r.html);
    expect(text).toContain('You already sent this check-in, thank you');
    expect(text).toContain(`If you have not done so already: Call the treating team now on ${TEAM_PHONE}. If you cannot reach them, call emergency services.`);
    expect(r.html).toContain(`href="${TEAM_TEL}"`);
    expect(r.html).not.toContain('<form');
  });

  it('a missed check-in is closed (410); one not yet due says so (409)', async () => {
    const missed = openCheckin(EN);
    setState(EN, missed, 'missed');
    const r = await get(page(tok(EN, missed)));
    expect(r.status).toBe(410);
    expect(textOf(r.html)).toContain('This check-in has closed');
    const r3 = await get(page(tok(EN, 3)));
    expect(r3.status).toBe(409);
    expect(textOf(r3.html)).toContain('This check-in is not open yet');
    // A check-in the case does not know, or a case over: closed.
    expect((await get(page(tok(EN, 999)))).status).toBe(410);
  });

  it('a case the workflow does not know gets the closed page', async () => {
    const unknown = 'cunknown0001';
    s.statuses.delete(unknown);
    const r = await startOn(s.database, { client: s.client, connection: s.client.connection as Connection }, { deps: { getCaseStatus: async (id) => { throw new CaseNotFoundError(id); } } });
    try {
      const t = r.token(unknown, 1);
      tokens.push(t);
      const res = await get(`${r.url}/checkin/${t}`);
      expect(res.status).toBe(410);
      expect(textOf(res.html)).toContain('This check-in has closed');
    } finally {
      await r.close();
    }
  });
});

describe('POST /checkin/:token', () => {
  // 07:30 local is before now (08:00 UTC) in every zone used here.
  const fever = { temperature: '38.4', unit: 'c', takenAt: '2026-11-24T07:30', admitted: 'no', symptoms: ['chills'], notes: '' };

  it('a valid report reaches the workflow as exactly the report JSON, with the family zone offset', async () => {
    const id = openCheckin(ES);
    const r = await post(page(tok(ES, id)), { ...fever, temperature: '38,4', takenAt: '2026-11-24T08:30', notes: 'Ha dormido poco.' });
    expect(r.status).toBe(200);
    expect(s.submitted.at(-1)).toEqual({
      caseId: ES,
      checkinId: id,
      report: {
        temperature: { value: 38.4, unit: 'c' },
        takenAt: '2026-11-24T08:30:00+01:00',
        admitted: false,
        symptoms: { ...allFalse, chills: true },
        notes: 'Ha dormido poco.',
      },
    });
    expect(textOf(r.html)).toContain('Gracias, hemos registrado sus respuestas');
  });

  it('a report for an open check-in is one call to the workflow, the Update: no status query first', async () => {
    const id = openCheckin(EN);
    const queries = s.statusQueries.count;
    const r = await post(page(tok(EN, id)), fever);
    expect(r.status).toBe(200);
    expect(r.html).toContain(`href="${TEAM_TEL}"`);
    expect(s.statusQueries.count).toBe(queries);
    expect(s.submitted.at(-1)).toMatchObject({ caseId: EN, checkinId: id });
  });

  it('Shanghai (+08:00), New York in winter (-05:00), °F, every symptom, admitted', async () => {
    const zh = openCheckin(ZH);
    await post(page(tok(ZH, zh)), { ...fever, takenAt: '2026-11-24T15:45' });
    expect(s.submitted.at(-1)!.report.takenAt).toBe('2026-11-24T15:45:00+08:00');
    const ny = openCheckin(NY);
    await post(page(tok(NY, ny)), { temperature: '100.4', unit: 'f', takenAt: '2026-11-23T22:10', admitted: 'yes', symptoms: [...SYMPTOMS] });
    expect(s.submitted.at(-1)!.report).toEqual({
      temperature: { value: 100.4, unit: 'f' },
      takenAt: '2026-11-23T22:10:00-05:00',
      admitted: true,
      symptoms: Object.fromEntries(SYMPTOMS.map((x) => [x, true])),
      notes: null,
    });
  });

  it('"I could not take a temperature" sends no temperature and no time', async () => {
    const id = openCheckin(EN);
    const r = await post(page(tok(EN, id)), { noTemperature: 'yes', takenAt: '2026-11-24T08:00', admitted: 'no' });
    expect(r.status).toBe(200);
    expect(s.submitted.at(-1)!.report).toEqual({ temperature: null, takenAt: null, admitted: false, symptoms: allFalse, notes: null });
  });

  it.each([
    ['none', ['Thank you, your answers are recorded', `If you are worried at any time, call the treating team's 24/7 number ${TEAM_PHONE} now, or emergency services.`]],
    ['contact_team', ['Please call now', `Please call the treating team now on ${TEAM_PHONE}.`, 'Thank you, your answers are recorded.']],
    ['urgent', ['Please call now', `Call the treating team now on ${TEAM_PHONE}. If you cannot reach them, call emergency services.`]],
    ['critical', ['Please call now', `Call emergency services (112 / 911 / 120 / local number) now, then the treating team on ${TEAM_PHONE}.`]],
  ] as const)('tier %s: the page says what to do, with the number as a tel: link', async (tier, lines) => {
    const id = openCheckin(EN);
    s.tiers.set(EN, tier);
    try {
      const r = await post(page(tok(EN, id)), fever);
      expect(r.status).toBe(200);
      const text = textOf(r.html);
      for (const line of lines) expect(text).toContain(line);
      expect(r.html).toContain(`<a class="tel" href="${TEAM_TEL}">${TEAM_PHONE}</a>`);
      if (tier === 'none') {
        expect(r.html).not.toContain('class="act');
      } else {
        expect(r.html).toContain(`class="act act-${tier}"`);
        expect(r.html).toContain(`<a class="call" href="${TEAM_TEL}"><span class="call-label">Call the treating team</span> <span class="call-number">${TEAM_PHONE}</span></a>`);
        // The instruction comes before anything else on the page.
        expect(r.html.indexOf('class="act')).toBeLessThan(r.html.indexOf('class="advice"'));
      }
    } finally {
      s.tiers.delete(EN);
    }
  });

  it('the instruction in Chinese and Spanish', async () => {
    s.tiers.set(ZH, 'critical');
    s.tiers.set(ES, 'urgent');
    try {
      const zh = await post(page(tok(ZH, openCheckin(ZH))), fever);
      expect(textOf(zh.html)).toContain(`请立即拨打急救电话（112 / 911 / 120 / 当地急救号码），然后致电治疗团队：${TEAM_PHONE}。`);
      const es = await post(page(tok(ES, openCheckin(ES))), fever);
      expect(textOf(es.html)).toContain(`Llame ahora al equipo médico: ${TEAM_PHONE}. Si no consigue hablar con ellos, llame a emergencias.`);
    } finally {
      s.tiers.delete(ZH);
      s.tiers.delete(ES);
    }
  });

  it('60 °C: the form again (400) with the error beside the field and every value kept; nothing sent', async () => {
    const before = s.submitted.length;
    const id = openCheckin(EN);
    const r = await post(page(tok(EN, id)), { ...fever, temperature: '60', symptoms: ['chills', 'seizure'], notes: 'He said <b>"ouch"</b> & more' });
    expect(r.status).toBe(400);
    expect(s.submitted.length).toBe(before);
    expect(r.html).toContain('<p class="error" id="temperature-error">This does not look like a body temperature in °C (between 25 and 45). Please check the number and the unit.</p>');
    expect(r.html).toMatch(/<input type="text" id="temperature" name="temperature"[^>]*value="60" aria-describedby="temperature-hint temperature-error" aria-invalid="true">/);
    expect(r.html).toContain('<a href="#temperature">This does not look like a body temperature');
    expect(r.html).toMatch(/id="admitted-no" name="admitted" value="no" checked>/);
    expect(r.html).toMatch(/id="symptom-chills" name="symptoms" value="chills" checked>/);
    expect(r.html).toMatch(/id="symptom-seizure" name="symptoms" value="seizure" checked>/);
    expect(r.html).toMatch(/id="symptom-dizziness" name="symptoms" value="dizziness">/);
    expect(r.html).toContain('value="2026-11-24T07:30"');
    // Kept, and escaped.
    expect(r.html).toContain('He said &lt;b&gt;&quot;ouch&quot;&lt;/b&gt; &amp; more</textarea>');
    expect(r.html).not.toContain('<b>"ouch"</b>');
  });

  it('no answer to "in hospital": the form again with that error; nothing sent', async () => {
    const before = s.submitted.length;
    const id = openCheckin(ES);
    const r = await post(page(tok(ES, id)), { ...fever, admitted: undefined });
    expect(r.status).toBe(400);
    expect(s.submitted.length).toBe(before);
    expect(r.html).toContain('<fieldset class="has-error" aria-describedby="admitted-error">');
    expect(r.html).toContain('<p class="error" id="admitted-error">Responda sí o no, por favor.</p>');
    expect(r.html).toContain('value="38.4"');
  });

  it.each([
    ['nothing written', { temperature: '', admitted: 'no' }, 'temperature', 'Write the temperature, or tick “I could not take a temperature”.'],
    ['not a number', { temperature: 'hot', unit: 'c', takenAt: '2026-11-24T08:30', admitted: 'no' }, 'temperature', 'Write the temperature as a number, for example 37.5.'],
    ['both temperature and "could not"', { temperature: '37.2', noTemperature: 'yes', takenAt: '2026-11-24T08:30', admitted: 'no' }, 'temperature', 'Please choose one.'],
    ['no time', { temperature: '37.2', unit: 'c', takenAt: '', admitted: 'no' }, 'takenAt', 'Say when the temperature was taken.'],
    ['a time in the future', { temperature: '37.2', unit: 'c', takenAt: '2026-11-24T23:30', admitted: 'no' }, 'takenAt', 'This time is later than now.'],
    ['a day that does not exist', { temperature: '37.2', unit: 'c', takenAt: '2026-02-30T08:00', admitted: 'no' }, 'takenAt', 'Write the date and time the temperature was taken.'],
    ['notes too long', { temperature: '37.2', unit: 'c', takenAt: '2026-11-24T08:30', admitted: 'no', notes: 'x'.repeat(2001) }, 'notes', 'Please keep this to 2,000 characters or fewer.'],
    ['99 °C', { temperature: '99', unit: 'c', takenAt: '2026-11-24T08:30', admitted: 'no' }, 'temperature', 'in °C (between 25 and 45)'],
    ['38 °F', { temperature: '38', unit: 'f', takenAt: '2026-11-24T08:30', admitted: 'no' }, 'temperature', 'in °F (between 77 and 113)'],
  ])('%s → error on %s', async (_what, fields, field, message) => {
    const before = s.submitted.length;
    const r = await post(page(tok(EN, openCheckin(EN))), fields);
    expect(r.status).toBe(400);
    expect(s.submitted.length).toBe(before);
    const error = new RegExp(`<p class="error" id="${field}-error">([^<]*)</p>`).exec(r.html)?.[1] ?? '';
    expect(textOf(error)).toContain(message);
  });

  it('a check-in answered or closed in the meantime: the Update is refused, the matching page shows', async () => {
    const id = openCheckin(EN);
    s.submitImpl.fn = async () => {
      setState(EN, id, 'answered', 'contact_team');
      throw new ActionRefusedError(`check-in ${id} is already answered`);
    };
    try {
      const r = await post(page(tok(EN, id)), fever);
      expect(r.status).toBe(409);
      expect(textOf(r.html)).toContain('You already sent this check-in, thank you');
      expect(textOf(r.html)).toContain(`Please call the treating team now on ${TEAM_PHONE}.`);

      const id2 = openCheckin(EN);
      s.submitImpl.fn = async () => {
        setState(EN, id2, 'missed');
        throw new ActionRefusedError(`check-in ${id2} is not open`);
      };
      const r2 = await post(page(tok(EN, id2)), fever);
      expect(r2.status).toBe(410);
      expect(textOf(r2.html)).toContain('This check-in has closed');
    } finally {
      delete s.submitImpl.fn;
    }
  });

  it('posting to an answered check-in sends nothing', async () => {
    const before = s.submitted.length;
    const id = openCheckin(ES);
    setState(ES, id, 'answered', 'none');
    const r = await post(page(tok(ES, id)), fever);
    expect(r.status).toBe(409);
    expect(textOf(r.html)).toContain('Ya nos envió este control, gracias');
    expect(s.submitted.length).toBe(before);
  });

  it('an unexpected error: a kind 500 page, no stack, one log line with the case id only', async () => {
    const id = openCheckin(ZH);
    s.submitImpl.fn = async () => {
      throw new Error('Temporal exploded while handling 38.4 and notes "secret stuff"');
    };
    try {
      const r = await post(page(tok(ZH, id)), { ...fever, notes: 'secret stuff' });
      expect(r.status).toBe(500);
      expect(textOf(r.html)).toContain('我们这边出了问题');
      expect(r.html).toContain(`href="${TEAM_TEL}"`);
      expect(r.html).not.toMatch(/exploded|Error|\.ts:\d+/);
      const line = s.logs.find((l) => l.event === 'checkin_failed');
      expect(line).toEqual({ time: expect.any(String), level: 'error', component: 'http', event: 'checkin_failed', route: '/checkin/:token', caseId: ZH, error: 'Error', msg: 'checkin_failed' });
    } finally {
      delete s.submitImpl.fn;
    }
  });

  it('a case workflow that does not answer in time: 503 with Retry-After, the same kind page with the phone', async () => {
    const id = openCheckin(EN);
    const slow = await startOn(s.database, { client: s.client, connection: s.client.connection as Connection }, { config: { workflowTimeoutMs: 200 } });
    slow.statuses.set(EN, structuredClone(s.statuses.get(EN)!));
    slow.submitImpl.fn = () => new Promise(() => {});
    try {
      const t = slow.token(EN, id);
      tokens.push(t);
      const r = await post(`${slow.url}/checkin/${t}`, fever);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('60');
      expect(textOf(r.html)).toContain('Something went wrong on our side');
      expect(r.html).toContain(`href="${TEAM_TEL}"`);
      expect(slow.logs.find((l) => l.event === 'checkin_failed')).toEqual({
        time: expect.any(String),
        level: 'error',
        component: 'http',
        event: 'checkin_failed',
        route: '/checkin/:token',
        caseId: EN,
        error: 'TimeoutError',
        msg: 'checkin_failed',
      });
    } finally {
      await slow.close();
    }
  });

  it('a body of another type or an oversized body gets a page, not a stack', async () => {
    const id = openCheckin(EN);
    const r = await fetch(page(tok(EN, id)), { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<admitted>yes</admitted>' });
    expect(r.status).toBe(415);
    expect(await r.text()).toContain('Something went wrong on our side');
    const big = await post(page(tok(EN, id)), { notes: 'x'.repeat(100_000) });
    expect(big.status).toBe(413);
  });

  it('more than 10 posts a minute for one link and address: 429 page', async () => {
    const t = tok(ES, openCheckin(ES));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post(page(t), { lang: 'es', temperature: '60' })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const r = await post(page(t), { lang: 'es', temperature: '60' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(textOf(r.html)).toContain('Demasiados intentos');
    // Another link from the same address is not held up.
    expect((await post(page(tok(ES, openCheckin(ES))), { temperature: '60' })).status).toBe(400);
  });

  it('behind one proxy (trustProxy 1), a client rotating its own X-Forwarded-For is still held at 10 posts; another client is not', async () => {
    const proxied = await startOn(s.database, { client: s.client, connection: s.client.connection as Connection }, { config: { trustProxy: 1 } });
    try {
      proxied.statuses.set(ES, s.statuses.get(ES)!);
      const t = proxied.token(ES, openCheckin(ES));
      const at = `${proxied.url}/checkin/${t}`;
      const statuses: number[] = [];
      // As the proxy forwards it: what the client wrote, then the address the proxy saw.
      for (let i = 0; i < 15; i++) statuses.push((await post(at, { lang: 'es', temperature: '60' }, { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` })).status);
      expect(statuses).toEqual([...Array(10).fill(400), ...Array(5).fill(429)]);
      expect((await post(at, { lang: 'es', temperature: '60' }, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(400);
    } finally {
      await proxied.close();
    }
  });
});

describe('probes, headers, logs', () => {
  it('/healthz is 200 {status: ok}', async () => {
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 with Postgres and Temporal up', async () => {
    const r = await fetch(`${s.url}/readyz`);
    expect(await r.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', temporal: 'ok' } });
    expect(r.status).toBe(200);
  });

  it('/readyz is 503 naming Postgres when the database is closed, Temporal when unreachable', async () => {
    // A database of its own, then closed (its server stopped or the database dropped).
    const other = await createTestDatabase();
    await other.close();
    // No retry interceptor: a retry timer firing after the connection is closed would throw from a timer.
    const deadConnection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1 second', interceptors: [] });
    const deadClient = new Client({ connection: deadConnection });
    const r1 = await startOn(other, { client: s.client, connection: s.client.connection as Connection });
    const r2 = await startOn(s.database, { client: deadClient, connection: deadConnection }, { config: { readinessTimeoutMs: 1500 } });
    try {
      const a = await fetch(`${r1.url}/readyz`);
      expect(a.status).toBe(503);
      expect(await a.json()).toEqual({ status: 'unavailable', checks: { postgres: 'failed', temporal: 'ok' } });
      const b = await fetch(`${r2.url}/readyz`);
      expect(b.status).toBe(503);
      expect(await b.json()).toEqual({ status: 'unavailable', checks: { postgres: 'ok', temporal: 'failed' } });
    } finally {
      await r1.close();
      await r2.close(); // closes deadConnection too
    }
  });

  it('security headers on every page; the stylesheet is the one the CSP allows; nothing external', async () => {
    const id = openCheckin(EN);
    for (const r of [await get(page(tok(EN, id))), await get(`${s.url}/checkin/bad`), await get(`${s.url}/nowhere`)]) {
      expect(r.headers.get('content-security-policy')).toBe(
        `default-src 'none'; style-src ${STYLE_HASH}; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
      );
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      const css = /<style>([\s\S]*?)<\/style>/.exec(r.html)?.[1] ?? '';
      expect(`'sha256-${createHash('sha256').update(css).digest('base64')}'`).toBe(STYLE_HASH);
      expect(r.html).not.toMatch(/<script|<link|<img|<iframe|\son\w+=|style="/i);
      expect(r.html).not.toMatch(/(src|href|action)="(https?:)?\/\//i);
      expect(r.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    }
  });

  it('tells browsers to keep to https (HSTS) when the service is served over https, and only then', async () => {
    expect((await get(`${s.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    const https = await startOn(s.database, { client: s.client, connection: s.client.connection as Connection }, { config: { publicUrl: 'https://care.example.org' } });
    try {
      for (const path of ['/healthz', '/checkin/bad', '/nowhere']) expect((await get(`${https.url}${path}`)).headers.get('strict-transport-security')).toBe('max-age=31536000');
    } finally {
      await https.close();
    }
  });

  it('unknown paths get an HTML 404 page', async () => {
    const r = await get(`${s.url}/cases/whatever`);
    expect(r.status).toBe(404);
    expect(textOf(r.html)).toContain('Page not found');
  });

  it('the codec endpoint is mounted at /codec when given', async () => {
    const keyring = parseKeysEnv(`k1:${randomBytes(32).toString('base64')}`);
    const handler = createCodecHandler({ codec: new EncryptionCodec(keyring), authorize: bearerTokenAuthorizer('op-token'), allowedOrigins: ['http://localhost:8233'] });
    const withCodec = await startOn(s.database, { client: s.client, connection: s.client.connection as Connection }, { deps: { codec: { handler } } });
    try {
      const data = Buffer.from('{"hello":"world"}').toString('base64');
      const body = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data }] });
      const enc = await fetch(`${withCodec.url}/codec/encode`, { method: 'POST', headers: { authorization: 'Bearer op-token', 'content-type': 'application/json' }, body });
      expect(enc.status).toBe(200);
      const encoded = (await enc.json()) as { payloads: unknown[] };
      const dec = await fetch(`${withCodec.url}/codec/decode`, { method: 'POST', headers: { authorization: 'Bearer op-token', 'content-type': 'application/json' }, body: JSON.stringify(encoded) });
      expect(((await dec.json()) as { payloads: { data: string }[] }).payloads[0]!.data).toBe(data);
      const denied = await fetch(`${withCodec.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(encoded) });
      expect(denied.status).toBe(401);
      expect((await fetch(`${withCodec.url}/codec/other`, { method: 'POST' })).status).toBe(404);
      expect(withCodec.logs.filter((l) => l.event === 'request' && l.route === '/codec/*').map((l) => l.status)).toEqual([200, 200, 401, 404]);
    } finally {
      await withCodec.close();
    }
    // Not given, not there.
    expect((await fetch(`${s.url}/codec/decode`, { method: 'POST' })).status).toBe(404);
  });

  it('log lines hold method, route pattern, status and case id: never a token or what a family typed', async () => {
    expect(tokens.length).toBeGreaterThan(20);
    // As written: fields, message and anything Fastify itself logged.
    const lines = s.logText;
    for (const line of lines) {
      for (const t of tokens) {
        expect(line).not.toContain(t);
        expect(line).not.toContain(t.split('.')[0]);
        expect(line).not.toContain(t.split('.')[1]);
      }
      expect(line).not.toMatch(/38[.,]4|secret stuff|ouch|Ha dormido|temperature|notes|\/checkin\/[A-Za-z0-9]/);
    }
    for (const l of s.logs) expect(Object.keys(l).every((k) => ['time', 'level', 'msg', 'component', 'event', 'method', 'route', 'status', 'caseId', 'error', 'ms'].includes(k))).toBe(true);
    const requests = s.logs.filter((l) => l.event === 'request' && l.route === '/checkin/:token');
    expect(requests.every((l) => l.msg === `${l.method} /checkin/:token ${l.status}` && l.component === 'http' && typeof l.ms === 'number')).toBe(true);
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.filter((l) => l.status === 200 && l.method === 'POST').every((l) => l.caseId && /^c[a-z0-9]+$/.test(l.caseId))).toBe(true);
  });
});
