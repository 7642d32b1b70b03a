// What a family reports at a check-in: validation (by field) and the triage policy at the top of
// checkin-report.ts, rule by rule.
import { describe, it, expect } from 'vitest';
import { InputError } from './validation.ts';
import { SYMPTOMS, celsius, countFeverDays, feverDaysTier, parseCheckinReport, triageReport } from './checkin-report.ts';
import type { CheckinReport, Symptom, Triage } from './checkin-report.ts';

const AT = '2026-11-24T08:30:00+01:00';

function report(input: Record<string, unknown>): CheckinReport {
  return parseCheckinReport({ admitted: false, ...input });
}

function triage(temperature: [number, 'c' | 'f'] | null, symptoms: Symptom[] = [], feverThresholdC?: number): Triage {
  const r = report({
    ...(temperature ? { temperature: { value: temperature[0], unit: temperature[1] }, takenAt: AT } : {}),
    symptoms: Object.fromEntries(symptoms.map((s) => [s, true])),
  });
  return feverThresholdC === undefined ? triageReport(r) : triageReport(r, { feverThresholdC });
}

function rejectedFields(input: unknown): string[] {
  try {
    parseCheckinReport(input);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).fields.map((f) => f.field);
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

const allNo = Object.fromEntries(SYMPTOMS.map((s) => [s, false]));

describe('celsius', () => {
  it('converts exactly, without rounding', () => {
    expect(celsius(38.2, 'c')).toBe(38.2);
    expect(celsius(100.4, 'f')).toBe(38);
    expect(celsius(32, 'f')).toBe(0);
    expect(celsius(212, 'f')).toBe(100);
    expect(celsius(99.5, 'f')).toBe(37.5);
    expect(celsius(100.3, 'f')).toBeCloseTo(37.944444444444, 10);
    expect(celsius(100.3, 'f')).toBeLessThan(38);
  });
});

describe('parseCheckinReport', () => {
  it('accepts a full report', () => {
    expect(
      parseCheckinReport({
        temperature: { value: 38.4, unit: 'c' },
        takenAt: '2026-11-24T07:15:00Z',
        admitted: true,
        symptoms: { ...allNo, chills: true, severeFatigue: true },
        notes: 'Shivering since the morning.',
      }),
    ).toEqual({
      temperature: { value: 38.4, unit: 'c' },
      takenAt: '2026-11-24T07:15:00Z',
      admitted: true,
      symptoms: { ...allNo, chills: true, severeFatigue: true },
      notes: 'Shivering since the morning.',
    });
  });

  it('fills defaults: no temperature, unticked symptoms are "no", no notes', () => {
    expect(parseCheckinReport({ admitted: false })).toEqual({ temperature: null, takenAt: null, admitted: false, symptoms: allNo, notes: null });
    expect(parseCheckinReport({ admitted: false, temperature: null, notes: '  ' })).toEqual({
      temperature: null,
      takenAt: null,
      admitted: false,
      symptoms: allNo,
      notes: null,
    });
    expect(parseCheckinReport({ admitted: false, symptoms: { dizziness: true } }).symptoms).toEqual({ ...allNo, dizziness: true });
  });

  it('accepts a note of exactly 2000 characters', () => {
    expect(report({ notes: 'x'.repeat(2000) }).notes).toHaveLength(2000);
  });

  it('accepts both temperature units and the plausible range edges', () => {
    expect(report({ temperature: { value: 100.4, unit: 'f' }, takenAt: AT }).temperature).toEqual({ value: 100.4, unit: 'f' });
    expect(report({ temperature: { value: 25, unit: 'c' }, takenAt: AT }).temperature?.value).toBe(25);
    expect(report({ temperature: { value: 45, unit: 'c' }, takenAt: AT }).temperature?.value).toBe(45);
    expect(report({ temperature: { value: 77, unit: 'f' }, takenAt: AT }).temperature?.value).toBe(77);
    expect(report({ temperature: { value: 113, unit: 'f' }, takenAt: AT }).temperature?.value).toBe(113);
  });

  it.each([
    ['not an object', 'fever', ['']],
    ['null', null, ['']],
    ['admitted missing', {}, ['admitted']],
    ['admitted as a string', { admitted: 'yes' }, ['admitted']],
    ['an unknown field', { admitted: false, mood: 'low' }, ['mood']],
    ['an unknown symptom', { admitted: false, symptoms: { rash: true } }, ['symptoms.rash']],
    ['a symptom as a string', { admitted: false, symptoms: { chills: 'yes' } }, ['symptoms.chills']],
    ['symptoms as a list', { admitted: false, symptoms: ['chills'] }, ['symptoms']],
    ['an unknown unit', { admitted: false, temperature: { value: 310, unit: 'k' }, takenAt: AT }, ['temperature.unit']],
    ['a missing unit', { admitted: false, temperature: { value: 38 }, takenAt: AT }, ['temperature.unit']],
    ['a missing value', { admitted: false, temperature: { unit: 'c' }, takenAt: AT }, ['temperature.value']],
    ['a value as a string', { admitted: false, temperature: { value: '38', unit: 'c' }, takenAt: AT }, ['temperature.value']],
    ['an unknown temperature field', { admitted: false, temperature: { value: 38, unit: 'c', site: 'ear' }, takenAt: AT }, ['temperature.site']],
    ['°F given as °C', { admitted: false, temperature: { value: 101, unit: 'c' }, takenAt: AT }, ['temperature.value']],
    ['°C given as °F', { admitted: false, temperature: { value: 38, unit: 'f' }, takenAt: AT }, ['temperature.value']],
    ['below 25 °C', { admitted: false, temperature: { value: 24.9, unit: 'c' }, takenAt: AT }, ['temperature.value']],
    ['above 113 °F', { admitted: false, temperature: { value: 113.1, unit: 'f' }, takenAt: AT }, ['temperature.value']],
    ['a temperature without takenAt', { admitted: false, temperature: { value: 38, unit: 'c' } }, ['takenAt']],
    ['takenAt not a date', { admitted: false, temperature: { value: 38, unit: 'c' }, takenAt: 'this morning' }, ['takenAt']],
    ['takenAt without an offset', { admitted: false, temperature: { value: 38, unit: 'c' }, takenAt: '2026-11-24T08:30:00' }, ['takenAt']],
    ['takenAt a date only', { admitted: false, temperature: { value: 38, unit: 'c' }, takenAt: '2026-11-24' }, ['takenAt']],
    ['takenAt an impossible date', { admitted: false, temperature: { value: 38, unit: 'c' }, takenAt: '2026-02-30T08:00:00Z' }, ['takenAt']],
    ['notes over 2000 characters', { admitted: false, notes: 'x'.repeat(2001) }, ['notes']],
    ['notes as a number', { admitted: false, notes: 5 }, ['notes']],
  ])('rejects %s', (_what, input, fields) => {
    expect(rejectedFields(input)).toEqual(fields);
  });

  it('messages say what is wrong', () => {
    try {
      parseCheckinReport({ admitted: false, temperature: { value: 101, unit: 'c' }, takenAt: AT });
      throw new Error('accepted');
    } catch (e) {
      expect((e as InputError).message).toBe('temperature.value: 101 °C is not a plausible body temperature (expected 25 to 45 °C); check the unit');
    }
  });
});

describe('triageReport', () => {
  it('nothing of concern is none, with no reasons', () => {
    expect(triage([36.8, 'c'])).toEqual({ tier: 'none', reasons: [], feverC: 36.8, fever: false });
  });

  it('no temperature taken is noted, and does not raise the tier', () => {
    expect(triage(null)).toEqual({ tier: 'none', reasons: ['no temperature taken'], feverC: null, fever: false });
  });

  describe('fever against the centre threshold', () => {
    it.each([
      [37.9, 'c', 38, 'none', false],
      [38.0, 'c', 38, 'contact_team', true],
      [100.3, 'f', 38, 'none', false],
      [100.4, 'f', 38, 'contact_team', true],
      [37.4, 'c', 37.5, 'none', false],
      [37.5, 'c', 37.5, 'contact_team', true],
      [99.4, 'f', 37.5, 'none', false],
      [99.5, 'f', 37.5, 'contact_team', true],
    ] as const)('%f °%s with threshold %f is %s', (value, unit, threshold, tier, fever) => {
      const t = triage([value, unit], [], threshold);
      expect(t.tier).toBe(tier);
      expect(t.fever).toBe(fever);
    });

    it('says which threshold was crossed and reports °C', () => {
      expect(triage([100.4, 'f'])).toEqual({
        tier: 'contact_team',
        reasons: ['fever 100.4 °F, at or above the centre threshold of 38.0 °C'],
        feverC: 38,
        fever: true,
      });
      expect(triage([37.6, 'c'], [], 37.5).reasons).toEqual(['fever 37.6 °C, at or above the centre threshold of 37.5 °C']);
    });

    it('defaults the threshold to 38.0 °C', () => {
      expect(triageReport(report({ temperature: { value: 37.9, unit: 'c' }, takenAt: AT })).tier).toBe('none');
      expect(triageReport(report({ temperature: { value: 37.9, unit: 'c' }, takenAt: AT }), {}).tier).toBe('none');
    });

    it('refuses a threshold above ASTCT or below 37.0', () => {
      for (const feverThresholdC of [38.5, 36.5]) {
        expect(() => triageReport(report({}), { feverThresholdC })).toThrow(InputError);
        try {
          triageReport(report({}), { feverThresholdC });
        } catch (e) {
          expect((e as InputError).fields.map((f) => f.field)).toEqual(['feverThresholdC']);
        }
      }
    });
  });

  it('a low temperature (below 35.0 °C) contacts the team', () => {
    expect(triage([34.9, 'c'])).toEqual({
      tier: 'contact_team',
      reasons: ['low temperature 34.9 °C: possible hypothermia or a wrong reading'],
      feverC: 34.9,
      fever: false,
    });
    expect(triage([35.0, 'c']).tier).toBe('none');
  });

  it('seizure is critical', () => {
    expect(triage([37, 'c'], ['seizure'])).toEqual({ tier: 'critical', reasons: ['seizure or shaking fit: emergency'], feverC: 37, fever: false });
  });

  it('difficulty breathing is urgent (possible new oxygen need)', () => {
    expect(triage([37, 'c'], ['breathingDifficulty'])).toMatchObject({ tier: 'urgent', reasons: ['difficulty breathing: may need oxygen'] });
  });

  it('unusually sleepy or hard to wake is urgent', () => {
    expect(triage([37, 'c'], ['sleepyOrHardToWake'])).toMatchObject({
      tier: 'urgent',
      reasons: ['unusually sleepy or hard to wake: possible depressed consciousness'],
    });
  });

  it('confusion alone is contact_team (new neurological sign)', () => {
    expect(triage([37, 'c'], ['confusion'])).toMatchObject({ tier: 'contact_team', reasons: ['confusion or disorientation: new neurological sign'] });
  });

  it('trouble speaking or writing alone is contact_team', () => {
    expect(triage([37, 'c'], ['troubleSpeakingOrWriting'])).toMatchObject({
      tier: 'contact_team',
      reasons: ['trouble speaking, understanding or writing: new neurological sign'],
    });
  });

  it('confusion together with trouble speaking or writing is urgent', () => {
    expect(triage([37, 'c'], ['confusion', 'troubleSpeakingOrWriting'])).toMatchObject({
      tier: 'urgent',
      reasons: ['confusion or disorientation and trouble speaking, understanding or writing: several neurological signs'],
    });
  });

  it('dizziness without fever is contact_team, with fever urgent', () => {
    expect(triage([37, 'c'], ['dizziness'])).toMatchObject({
      tier: 'contact_team',
      reasons: ['dizziness or light-headedness: possible low blood pressure'],
    });
    expect(triage([38.3, 'c'], ['dizziness'])).toEqual({
      tier: 'urgent',
      reasons: ['dizziness or light-headedness with fever: possible low blood pressure', 'fever 38.3 °C, at or above the centre threshold of 38.0 °C'],
      feverC: 38.3,
      fever: true,
    });
  });

  it('fast heartbeat without fever is contact_team, with fever urgent', () => {
    expect(triage([37.9, 'c'], ['fastHeartbeat']).tier).toBe('contact_team');
    expect(triage([38.0, 'c'], ['fastHeartbeat'])).toMatchObject({
      tier: 'urgent',
      reasons: ['fast or irregular heartbeat with fever: possible low blood pressure', 'fever 38 °C, at or above the centre threshold of 38.0 °C'],
    });
  });

  it('fever for the circulation rule follows the centre threshold', () => {
    expect(triage([37.6, 'c'], ['dizziness'], 37.5).tier).toBe('urgent');
    expect(triage([37.6, 'c'], ['dizziness']).tier).toBe('contact_team');
  });

  it('dizziness together with fast heartbeat is urgent even without fever', () => {
    expect(triage([36.9, 'c'], ['dizziness', 'fastHeartbeat'])).toMatchObject({
      tier: 'urgent',
      reasons: ['dizziness or light-headedness and fast or irregular heartbeat: possible low blood pressure'],
    });
    expect(triage(null, ['dizziness', 'fastHeartbeat']).tier).toBe('urgent');
  });

  it('chills alone contact the team (fever may be starting)', () => {
    expect(triage([37.2, 'c'], ['chills'])).toMatchObject({ tier: 'contact_team', reasons: ['chills or shaking: fever may be starting'] });
    expect(triage([38.6, 'c'], ['chills']).reasons).toEqual(['fever 38.6 °C, at or above the centre threshold of 38.0 °C', 'chills or shaking']);
  });

  it('severe GI symptoms contact the team', () => {
    expect(triage([37.2, 'c'], ['severeGiSymptoms'])).toMatchObject({
      tier: 'contact_team',
      reasons: ['severe nausea, vomiting or diarrhoea: risk of dehydration and low blood pressure'],
    });
  });

  it('severe tiredness contacts the team', () => {
    expect(triage([37.2, 'c'], ['severeFatigue'])).toMatchObject({ tier: 'contact_team', reasons: ['severe tiredness or weakness'] });
  });

  it('each symptom alone, without fever, reaches at least contact_team', () => {
    for (const s of SYMPTOMS) expect(['contact_team', 'urgent', 'critical']).toContain(triage([36.8, 'c'], [s]).tier);
  });

  it('the most severe rule wins and reasons are most severe first', () => {
    expect(triage(null, ['severeFatigue', 'breathingDifficulty', 'seizure', 'confusion'])).toEqual({
      tier: 'critical',
      reasons: [
        'seizure or shaking fit: emergency',
        'difficulty breathing: may need oxygen',
        'confusion or disorientation: new neurological sign',
        'severe tiredness or weakness',
        'no temperature taken',
      ],
      feverC: null,
      fever: false,
    });
  });

  it('being admitted never lowers the tier', () => {
    const home = report({ temperature: { value: 38.5, unit: 'c' }, takenAt: AT, symptoms: { breathingDifficulty: true } });
    const ward = { ...home, admitted: true };
    expect(triageReport(ward)).toEqual(triageReport(home));
    expect(triageReport(ward).tier).toBe('urgent');
  });

  it('free-text notes do not change the tier', () => {
    expect(triageReport(report({ notes: 'he had a seizure yesterday' })).tier).toBe('none');
  });
});

describe('fever days', () => {
  it.each([
    [0, 'none'],
    [1, 'contact_team'],
    [3, 'contact_team'],
    [4, 'urgent'],
    [10, 'urgent'],
  ] as const)('%i day(s) with fever is %s', (days, tier) => {
    expect(feverDaysTier(days)).toBe(tier);
  });

  it('refuses a negative or fractional count', () => {
    expect(() => feverDaysTier(-1)).toThrow(InputError);
    expect(() => feverDaysTier(2.5)).toThrow(InputError);
    expect(() => feverDaysTier(Number.NaN)).toThrow(InputError);
  });

  const reading = (takenAt: string, value: number, unit: 'c' | 'f' = 'c') => report({ temperature: { value, unit }, takenAt });

  it('counts distinct calendar days with fever, by the date as written', () => {
    const reports = [
      reading('2026-11-20T08:00:00+01:00', 38.1),
      reading('2026-11-20T20:00:00+01:00', 38.6), // same day
      reading('2026-11-21T08:00:00+01:00', 100.4, 'f'),
      reading('2026-11-22T08:00:00+01:00', 37.9), // no fever
      reading('2026-11-23T23:30:00-05:00', 38.0), // local date 23rd even though UTC is the 24th
      report({}), // no temperature
    ];
    expect(countFeverDays(reports)).toBe(3);
    expect(feverDaysTier(countFeverDays(reports))).toBe('contact_team');
    const more = [...reports, reading('2026-11-24T08:00:00+01:00', 38.2)];
    expect(countFeverDays(more)).toBe(4);
    expect(feverDaysTier(countFeverDays(more))).toBe('urgent');
  });

  it('uses the centre threshold', () => {
    const reports = [reading('2026-11-20T08:00:00Z', 37.6), reading('2026-11-21T08:00:00Z', 37.5), reading('2026-11-22T08:00:00Z', 37.4)];
    expect(countFeverDays(reports)).toBe(0);
    expect(countFeverDays(reports, { feverThresholdC: 37.5 })).toBe(2);
  });
});
