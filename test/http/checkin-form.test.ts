// The pure parts of the check-in pages: form fields → report JSON, local time → ISO with offset,
// languages, tel: links, escaping.
import { describe, expect, it } from 'vitest';
import { SYMPTOMS } from '../../domain/checkin-report.ts';
import { emptyCheckinForm, fromDatetimeLocal, isoWithOffset, parseTemperature, readCheckinForm, reportFromForm, toDatetimeLocal } from '../../client/http/checkin-form.ts';
import { checkinView } from '../../client/http/checkin.ts';
import { answeredPage, formPage, resultPage, telHref } from '../../client/http/pages.ts';
import { TEXTS, languageFromHeader, pageLanguage } from '../../client/http/texts.ts';
import { monitoringStatus } from './fixture.ts';

const NOW = Date.UTC(2026, 10, 24, 8, 0);

describe('local time and offsets', () => {
  it.each([
    [Date.UTC(2026, 10, 24, 7, 30), 'Europe/Madrid', '2026-11-24T08:30:00+01:00'],
    [Date.UTC(2026, 6, 1, 7, 30), 'Europe/Madrid', '2026-07-01T09:30:00+02:00'],
    [Date.UTC(2026, 10, 24, 7, 30), 'Asia/Shanghai', '2026-11-24T15:30:00+08:00'],
    [Date.UTC(2026, 10, 24, 7, 30), 'America/New_York', '2026-11-24T02:30:00-05:00'],
    [Date.UTC(2026, 10, 24, 7, 30), 'Asia/Kolkata', '2026-11-24T13:00:00+05:30'],
    [Date.UTC(2026, 10, 24, 7, 30), 'UTC', '2026-11-24T07:30:00+00:00'],
  ])('isoWithOffset(%s, %s) = %s', (at, tz, iso) => {
    expect(isoWithOffset(at, tz)).toBe(iso);
    expect(Date.parse(iso)).toBe(at);
  });

  it('reads datetime-local values in the zone, across daylight saving', () => {
    // Madrid falls back on 25 Oct 2026: 02:30 happens twice; either is a faithful reading of what was typed.
    expect(['2026-10-25T02:30:00+02:00', '2026-10-25T02:30:00+01:00']).toContain(isoWithOffset(fromDatetimeLocal('2026-10-25T02:30', 'Europe/Madrid')!, 'Europe/Madrid'));
    // Springs forward on 29 Mar 2026: 02:30 does not exist, the instant just after the gap.
    expect(isoWithOffset(fromDatetimeLocal('2026-03-29T02:30', 'Europe/Madrid')!, 'Europe/Madrid')).toBe('2026-03-29T03:30:00+02:00');
    expect(fromDatetimeLocal('2026-11-24T08:30:59', 'UTC')).toBe(Date.UTC(2026, 10, 24, 8, 30));
    for (const bad of ['', '2026-11-24', '2026-13-01T08:00', '2026-02-29T08:00', '2026-11-24T24:00', '1999-01-01T00:00', '2026-11-24 08:00']) {
      expect(fromDatetimeLocal(bad, 'UTC'), bad).toBeUndefined();
    }
    expect(toDatetimeLocal(NOW, 'Asia/Shanghai')).toBe('2026-11-24T16:00');
  });
});

describe('the form', () => {
  const base = { temperature: '38.1', unit: 'c', takenAt: '2026-11-24T08:30', admitted: 'no' };

  it.each([
    ['38.1', 38.1],
    ['38,1', 38.1],
    [' 38.1 °C ', 38.1],
    ['３８．１', 38.1],
    ['100.4', 100.4],
    ['37', 37],
    ['38.', undefined],
    ['thirty-eight', undefined],
    ['38.123', undefined],
    ['-38', undefined],
    ['1e2', undefined],
  ])('parseTemperature(%j) = %s', (text, value) => {
    expect(parseTemperature(text)).toBe(value);
  });

  it('reads repeated checkboxes, ignores unknown symptoms and fields, never throws', () => {
    const v = readCheckinForm({ ...base, symptoms: ['seizure', 'chills', 'telepathy'], extra: 'x', notes: 'a\r\nb' });
    expect(v.symptoms).toEqual(['chills', 'seizure']);
    expect(v.notes).toBe('a\nb');
    expect(readCheckinForm({ ...base, symptoms: 'confusion' }).symptoms).toEqual(['confusion']);
    expect(readCheckinForm(undefined)).toEqual({ temperature: '', unit: 'c', takenAt: '', noTemperature: false, admitted: '', symptoms: [], notes: '' });
    expect(readCheckinForm('a=b').admitted).toBe('');
    expect(readCheckinForm({ ...base, unit: 'k', admitted: 'maybe' })).toMatchObject({ unit: 'c', admitted: '' });
  });

  it('a complete form becomes the report JSON parseCheckinReport accepts', () => {
    const r = reportFromForm(readCheckinForm({ ...base, symptoms: ['dizziness'], notes: '  ' }), { timeZone: 'Europe/Madrid', nowMs: NOW });
    expect(r).toEqual({
      ok: true,
      report: {
        temperature: { value: 38.1, unit: 'c' },
        takenAt: '2026-11-24T08:30:00+01:00',
        admitted: false,
        symptoms: { ...Object.fromEntries(SYMPTOMS.map((s) => [s, false])), dizziness: true },
        notes: null,
      },
    });
  });

  it('reports every problem at once, each on its field', () => {
    const r = reportFromForm(readCheckinForm({ temperature: '50', unit: 'c', takenAt: '', notes: 'x'.repeat(2001) }), { timeZone: 'UTC', nowMs: NOW });
    expect(r).toEqual({ ok: false, problems: { temperature: 'temperatureRange', takenAt: 'takenAtMissing', admitted: 'admittedMissing', notes: 'notesTooLong' } });
  });

  it('notes with a character no store can hold are named, not saved', () => {
    const r = reportFromForm(readCheckinForm({ noTemperature: 'on', admitted: 'no', notes: 'feels warm\u0000' }), { timeZone: 'UTC', nowMs: NOW });
    expect(r).toEqual({ ok: false, problems: { notes: 'notesUnreadable' } });
  });

  it('a fresh form starts at now, local time, °C, nothing ticked', () => {
    expect(emptyCheckinForm(NOW, 'Europe/Madrid')).toEqual({ temperature: '', unit: 'c', takenAt: '2026-11-24T09:00', noTemperature: false, admitted: '', symptoms: [], notes: '' });
  });
});

describe('languages, links, escaping', () => {
  it('the family language, primary subtag, English otherwise', () => {
    expect(pageLanguage('zh-CN')).toBe('zh');
    expect(pageLanguage('zh_TW')).toBe('zh');
    expect(pageLanguage('ES')).toBe('es');
    expect(pageLanguage('fr')).toBe('en');
    expect(pageLanguage(undefined)).toBe('en');
    expect(languageFromHeader('fr-FR,fr;q=0.9,es;q=0.8,en;q=0.7')).toBe('es');
    expect(languageFromHeader('en;q=0.1, zh-Hans')).toBe('zh');
    expect(languageFromHeader('de, es;q=0')).toBe('en');
    expect(languageFromHeader(undefined)).toBe('en');
  });

  it('every language has every text', () => {
    const keys = (o: object) => Object.keys(o).sort();
    expect(keys(TEXTS.zh)).toEqual(keys(TEXTS.en));
    expect(keys(TEXTS.es)).toEqual(keys(TEXTS.en));
    for (const t of Object.values(TEXTS)) {
      expect(keys(t.symptoms)).toEqual([...SYMPTOMS].sort());
      for (const tier of ['contact_team', 'urgent', 'critical'] as const) expect(t.instruction[tier].withPhone).toContain('{phone}');
      expect(t.advice.withPhone).toContain('{phone}');
    }
  });

  it('tel: links keep only digits and a leading +', () => {
    expect(telHref('+34 91 555 01 23')).toBe('tel:+34915550123');
    expect(telHref('(212) 555-0100')).toBe('tel:2125550100');
    expect(telHref('javascript:alert(1)')).toBe(undefined);
    expect(telHref('+1 "onmouseover=x 555 0100')).toBe('tel:+15550100');
  });

  it('a hostile phone number or value is escaped everywhere', () => {
    const phone = '+1 555 <script>alert(1)</script> "x"';
    const pages = [
      resultPage({ lang: 'en', tier: 'urgent', phone }),
      resultPage({ lang: 'zh', tier: 'none', phone }),
      answeredPage({ lang: 'es', tier: 'critical', phone }),
      formPage({ lang: 'en', phone, timeZone: 'Europe/Madrid"><script>', values: { ...emptyCheckinForm(NOW, 'UTC'), temperature: '"><script>', notes: '</textarea><script>' } }),
    ];
    for (const html of pages) {
      expect(html).not.toContain('<script');
      expect(html).toContain('&lt;script&gt;');
    }
  });

  it('a protocol without a 24/7 number still tells the family whom to call', () => {
    const html = resultPage({ lang: 'en', tier: 'urgent' });
    expect(html).toContain("Call the treating team&#39;s 24/7 number now. If you cannot reach them, call emergency services.");
    expect(html).not.toContain('tel:');
  });

  it('where a check-in stands', () => {
    const s = monitoringStatus('c1', [
      { id: 1, state: 'answered', tier: 'urgent' },
      { id: 2, state: 'open' },
      { id: 3, state: 'missed' },
      { id: 4, state: 'upcoming' },
    ]);
    expect(checkinView(s, 1)).toMatchObject({ kind: 'answered', checkin: { tier: 'urgent' }, phone: '+34 91 555 01 23' });
    expect(checkinView(s, 2).kind).toBe('open');
    expect(checkinView(s, 3).kind).toBe('closed');
    expect(checkinView(s, 4).kind).toBe('upcoming');
    expect(checkinView(s, 5).kind).toBe('closed');
    expect(checkinView({ ...s, stage: 'cancelled' }, 2).kind).toBe('closed');
    expect(checkinView({ ...s, monitoring: { ...s.monitoring!, ended: { at: '2026-11-30T00:00:00Z', reason: 'ended' } } }, 2).kind).toBe('closed');
    expect(checkinView({ ...s, monitoring: undefined }, 2)).toEqual({ kind: 'closed' });
    expect(checkinView(monitoringStatus('c1', [{ id: 2, state: 'open' }], { phone: null }), 2)).not.toHaveProperty('phone');
  });
});
