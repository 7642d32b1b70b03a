// The grading contract: the reference's 18 worked examples, every boundary, every policy rule
// where ASTCT is silent, and every validation error (by the field it names).
import { describe, it, expect } from 'vitest';
import { InputError } from './validation.ts';
import { TIERS, celsius, gradeObservation, maxTier, parseObservation, tierRank } from './crs.ts';
import type { Grading, Tier } from './crs.ts';

function grade(input: Record<string, unknown>, feverThresholdC?: number): Grading {
  const obs = parseObservation(input);
  return feverThresholdC === undefined ? gradeObservation(obs) : gradeObservation(obs, { feverThresholdC });
}

/** The fields an InputError names, or a failure when the input is accepted. */
function rejectedFields(input: unknown): string[] {
  try {
    parseObservation(input);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).fields.map((f) => f.field);
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

function rejection(input: unknown): InputError {
  try {
    parseObservation(input);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe('reference examples', () => {
  const examples: [number, Record<string, unknown>, number, number, Tier][] = [
    [1, { temperatureC: 37.9 }, 0, 0, 'none'],
    [2, { temperatureC: 38.0 }, 1, 0, 'contact_team'],
    [3, { temperatureC: 38.9, hypotension: 'fluids_only' }, 2, 0, 'urgent'],
    [4, { temperatureC: 38.3, oxygen: { device: 'nasal_cannula', flowLpm: 6 } }, 2, 0, 'urgent'],
    [5, { temperatureC: 38.3, oxygen: { device: 'nasal_cannula', flowLpm: 7 } }, 3, 0, 'critical'],
    [6, { temperatureC: 39.1, hypotension: 'vasopressors', vasopressors: ['norepinephrine'] }, 3, 0, 'critical'],
    [7, { temperatureC: 39.1, hypotension: 'vasopressors', vasopressors: ['norepinephrine', 'vasopressin'] }, 3, 0, 'critical'],
    [8, { temperatureC: 39.3, hypotension: 'vasopressors', vasopressors: ['norepinephrine', 'phenylephrine'] }, 4, 0, 'critical'],
    [9, { temperatureC: 38.7, oxygen: { device: 'bipap' } }, 4, 0, 'critical'],
    [10, { temperatureC: 37.2, feverMasked: true, hypotension: 'vasopressors', vasopressors: ['norepinephrine'] }, 3, 0, 'critical'],
    [11, { temperatureC: 37.5, feverMasked: false, hypotension: 'vasopressors', vasopressors: ['norepinephrine'] }, 0, 0, 'urgent'],
    [12, { temperatureC: 37.0, iceScore: 9 }, 0, 1, 'contact_team'],
    [13, { temperatureC: 37.0, iceScore: 6 }, 0, 2, 'urgent'],
    [14, { temperatureC: 37.0, iceScore: 2 }, 0, 3, 'critical'],
    [15, { temperatureC: 37.0, consciousness: 'awakens_to_voice', iceScore: 10 }, 0, 2, 'urgent'],
    [16, { temperatureC: 37.0, iceScore: 0, consciousness: 'unarousable' }, 0, 4, 'critical'],
    [17, { temperatureC: 36.8, iceScore: 4 }, 0, 2, 'urgent'],
    [
      18,
      {
        temperatureC: 38.4,
        hypotension: 'vasopressors',
        vasopressors: ['norepinephrine'],
        oxygen: { device: 'nasal_cannula', flowLpm: 2 },
        iceScore: 5,
        consciousness: 'awakens_to_voice',
      },
      3,
      2,
      'critical',
    ],
  ];

  it.each(examples)('example %i', (_n, input, crs, icans, tier) => {
    const g = grade(input);
    expect(g.crs.grade).toBe(crs);
    expect(g.icans.grade).toBe(icans);
    expect(g.tier).toBe(tier);
  });

  it('example 11 is not CRS by ASTCT but urgent, with a reason saying why', () => {
    expect(grade({ temperatureC: 37.5, hypotension: 'vasopressors', vasopressors: ['norepinephrine'] })).toEqual({
      crs: { grade: 0, clinicianReview: false, reason: 'no fever (37.5 °C), so not CRS by ASTCT; one vasopressor' },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'urgent',
    });
  });

  it('example 18 gives the exact contract output', () => {
    expect(
      grade({
        temperatureC: 38.4,
        hypotension: 'vasopressors',
        vasopressors: ['norepinephrine'],
        oxygen: { device: 'nasal_cannula', flowLpm: 2 },
        iceScore: 5,
        consciousness: 'awakens_to_voice',
      }),
    ).toEqual({
      crs: { grade: 3, clinicianReview: false, reason: 'one vasopressor' },
      icans: { grade: 2, clinicianReview: false, reason: 'ICE 5, awakens to voice' },
      tier: 'critical',
    });
  });

  it('the contract sample input grades as documented', () => {
    const g = grade({
      temperatureC: 38.2,
      feverMasked: false,
      systolicBp: 84,
      spo2: 95,
      hypotension: 'vasopressors',
      vasopressors: ['norepinephrine', 'vasopressin'],
      oxygen: { device: 'room_air' },
      iceScore: 10,
      consciousness: 'alert',
      sedated: false,
      globalAphasia: false,
      seizure: 'none',
      motorWeakness: false,
      cerebralEdema: 'none',
      ageYears: 54,
    });
    expect(Object.keys(g)).toEqual(['crs', 'icans', 'tier']);
    expect(g).toEqual({
      crs: { grade: 3, clinicianReview: false, reason: 'one vasopressor with vasopressin' },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'critical',
    });
  });
});

describe('fever', () => {
  it.each([
    [{ temperatureC: 37.9 }, 0],
    [{ temperatureC: 37.95 }, 0],
    [{ temperatureC: 37.99 }, 0],
    [{ temperatureC: 38.0 }, 1],
    [{ temperatureC: 38 }, 1],
    [{ temperatureC: 41.5 }, 1],
    [{ temperatureF: 100.3 }, 0],
    [{ temperatureF: 100.39 }, 0],
    [{ temperatureF: 100.4 }, 1],
    [{ temperatureF: 102.2 }, 1],
  ])('%j is CRS grade %i', (input, crs) => {
    expect(grade(input).crs.grade).toBe(crs);
  });

  it('reasons show the temperature as given', () => {
    expect(grade({ temperatureC: 37.95 }).crs.reason).toBe('no fever (37.95 °C)');
    expect(grade({ temperatureC: 38.0 }).crs.reason).toBe('fever 38 °C, no hypotension or hypoxia');
    expect(grade({ temperatureF: 100.4 }).crs.reason).toBe('fever 100.4 °F, no hypotension or hypoxia');
  });

  it('normalises °F to °C without rounding', () => {
    expect(parseObservation({ temperatureF: 100.4 }).temperatureC).toBe(38);
    expect(parseObservation({ temperatureF: 100.3 }).temperatureC).toBeCloseTo(37.9444444444, 9);
    expect(parseObservation({ temperatureF: 100.3 }).temperature).toEqual({ value: 100.3, unit: 'f' });
    expect(parseObservation({ temperatureC: 37.95 }).temperatureC).toBe(37.95);
    expect(celsius(212, 'f')).toBe(100);
    expect(celsius(98.6, 'f')).toBeCloseTo(37, 12);
    expect(celsius(36.6, 'c')).toBe(36.6);
  });

  it('the centre threshold moves only the contact_team tier, never the grade', () => {
    const g = grade({ temperatureC: 37.6 }, 37.5);
    expect(g.crs.grade).toBe(0);
    expect(g.tier).toBe('contact_team');
    expect(grade({ temperatureC: 37.5 }, 37.5).tier).toBe('contact_team');
    expect(grade({ temperatureC: 37.4 }, 37.5).tier).toBe('none');
    expect(grade({ temperatureF: 99.5 }, 37.5).tier).toBe('contact_team');
    expect(grade({ temperatureF: 99.4 }, 37.5).tier).toBe('none');
    expect(grade({ temperatureC: 37.6 }).tier).toBe('none');
  });

  it('refuses an unusable centre threshold', () => {
    const obs = parseObservation({ temperatureC: 37 });
    for (const t of [38.5, 36.9, Number.NaN]) {
      try {
        gradeObservation(obs, { feverThresholdC: t });
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).fields.map((f) => f.field)).toEqual(['feverThresholdC']);
      }
    }
    expect(gradeObservation(obs, { feverThresholdC: 37.0 }).tier).toBe('contact_team');
    expect(gradeObservation(obs, { feverThresholdC: 38.0 }).tier).toBe('none');
  });
});

describe('CRS hypotension', () => {
  const fever = { temperatureC: 38.5 };

  it('fluids only is grade 2', () => {
    expect(grade({ ...fever, hypotension: 'fluids_only' }).crs).toEqual({ grade: 2, clinicianReview: false, reason: 'hypotension needing fluids only' });
  });

  it('one vasopressor is grade 3', () => {
    expect(grade({ ...fever, vasopressors: ['epinephrine'] }).crs).toEqual({ grade: 3, clinicianReview: false, reason: 'one vasopressor' });
  });

  it('vasopressin alone counts as one vasopressor and asks for clinician review', () => {
    expect(grade({ ...fever, hypotension: 'vasopressors', vasopressors: ['vasopressin'] })).toEqual({
      crs: { grade: 3, clinicianReview: true, reason: 'vasopressin alone, counted as one vasopressor' },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'critical',
    });
  });

  it('vasopressin plus one other is grade 3: vasopressin does not make "multiple"', () => {
    expect(grade({ ...fever, vasopressors: ['vasopressin', 'phenylephrine'] }).crs).toEqual({
      grade: 3,
      clinicianReview: false,
      reason: 'one vasopressor with vasopressin',
    });
  });

  it('vasopressin plus two others is grade 4', () => {
    expect(grade({ ...fever, vasopressors: ['norepinephrine', 'vasopressin', 'dopamine'] }).crs).toEqual({
      grade: 4,
      clinicianReview: false,
      reason: '2 vasopressors (vasopressin not counted)',
    });
  });

  it('two without vasopressin is grade 4', () => {
    expect(grade({ ...fever, vasopressors: ['norepinephrine', 'epinephrine'] }).crs).toEqual({ grade: 4, clinicianReview: false, reason: '2 vasopressors' });
  });

  it('aliases are the same drug: noradrenaline + adrenaline is two, noradrenaline + norepinephrine is refused', () => {
    expect(grade({ ...fever, vasopressors: ['noradrenaline', 'adrenaline'] }).crs.grade).toBe(4);
    expect(parseObservation({ ...fever, vasopressors: ['noradrenaline'] }).vasopressors).toEqual(['norepinephrine']);
    expect(rejectedFields({ ...fever, vasopressors: ['noradrenaline', 'norepinephrine'] })).toEqual(['vasopressors[1]']);
  });

  it('a vasopressor list implies hypotension "vasopressors"', () => {
    expect(parseObservation({ ...fever, vasopressors: ['norepinephrine'] }).hypotension).toBe('vasopressors');
    expect(parseObservation({ ...fever }).hypotension).toBe('none');
  });
});

describe('CRS hypoxia', () => {
  const fever = { temperatureC: 38.5 };
  it.each([
    [{ device: 'room_air' }, 1, 'fever 38.5 °C, no hypotension or hypoxia'],
    [{ device: 'blow_by' }, 2, 'blow-by oxygen'],
    [{ device: 'blow_by', flowLpm: 10 }, 2, 'blow-by oxygen'],
    [{ device: 'nasal_cannula', flowLpm: 0.5 }, 2, 'low-flow nasal cannula 0.5 L/min'],
    [{ device: 'nasal_cannula', flowLpm: 4 }, 2, 'low-flow nasal cannula 4 L/min'],
    [{ device: 'nasal_cannula', flowLpm: 6 }, 2, 'low-flow nasal cannula 6 L/min'],
    [{ device: 'nasal_cannula', flowLpm: 6.5 }, 3, 'nasal cannula 6.5 L/min (high flow, over 6 L/min)'],
    [{ device: 'nasal_cannula', flowLpm: 7 }, 3, 'nasal cannula 7 L/min (high flow, over 6 L/min)'],
    [{ device: 'high_flow_nasal_cannula', flowLpm: 40 }, 3, 'high-flow nasal cannula 40 L/min'],
    [{ device: 'high_flow_nasal_cannula', flowLpm: 7 }, 3, 'high-flow nasal cannula 7 L/min'],
    [{ device: 'high_flow_nasal_cannula' }, 3, 'high-flow nasal cannula'],
    [{ device: 'facemask' }, 3, 'facemask oxygen'],
    [{ device: 'facemask', flowLpm: 2 }, 3, 'facemask oxygen'],
    [{ device: 'non_rebreather', flowLpm: 15 }, 3, 'non-rebreather mask'],
    [{ device: 'venturi', flowLpm: 4 }, 3, 'Venturi mask'],
    [{ device: 'cpap' }, 4, 'CPAP'],
    [{ device: 'bipap' }, 4, 'BiPAP'],
    [{ device: 'mechanical_ventilation' }, 4, 'mechanical ventilation'],
  ])('%j is grade %i', (oxygen, crs, reason) => {
    expect(grade({ ...fever, oxygen }).crs).toEqual({ grade: crs, clinicianReview: false, reason });
  });

  it('a "high-flow" cannula at 6 L/min or less is low flow by ASTCT, flagged for review', () => {
    expect(grade({ ...fever, oxygen: { device: 'high_flow_nasal_cannula', flowLpm: 5 } })).toEqual({
      crs: { grade: 2, clinicianReview: true, reason: 'high-flow nasal cannula at only 5 L/min, graded as low flow' },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'urgent',
    });
  });

  it('the grade is the more severe of hypotension and hypoxia', () => {
    expect(grade({ ...fever, vasopressors: ['norepinephrine'], oxygen: { device: 'nasal_cannula', flowLpm: 2 } }).crs).toEqual({
      grade: 3,
      clinicianReview: false,
      reason: 'one vasopressor',
    });
    expect(grade({ ...fever, hypotension: 'fluids_only', oxygen: { device: 'bipap' } }).crs).toEqual({ grade: 4, clinicianReview: false, reason: 'BiPAP' });
    expect(grade({ ...fever, hypotension: 'fluids_only', oxygen: { device: 'nasal_cannula', flowLpm: 3 } }).crs).toEqual({
      grade: 2,
      clinicianReview: false,
      reason: 'hypotension needing fluids only and low-flow nasal cannula 3 L/min',
    });
  });

  it('SpO2 and systolic pressure never change the grade', () => {
    expect(grade({ ...fever, spo2: 82, systolicBp: 70 }).crs.grade).toBe(1);
  });
});

describe('masked fever', () => {
  it('with neither hypotension nor hypoxia: no automatic grade (0), clinician review, team told', () => {
    expect(grade({ temperatureC: 36.9, feverMasked: true })).toEqual({
      crs: {
        grade: 0,
        clinicianReview: true,
        reason: 'masked fever with neither hypotension nor hypoxia: no automatic grade, clinician review needed',
      },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'contact_team',
    });
  });

  it('with hypotension the grade follows it', () => {
    expect(grade({ temperatureC: 36.9, feverMasked: true, hypotension: 'fluids_only' }).crs).toEqual({
      grade: 2,
      clinicianReview: false,
      reason: 'masked fever; hypotension needing fluids only',
    });
  });

  it('with hypoxia the grade follows it', () => {
    expect(grade({ temperatureC: 37.4, feverMasked: true, oxygen: { device: 'non_rebreather' } }).crs).toEqual({
      grade: 3,
      clinicianReview: false,
      reason: 'masked fever; non-rebreather mask',
    });
    expect(grade({ temperatureC: 37.4, feverMasked: true, oxygen: { device: 'mechanical_ventilation' } }).crs.grade).toBe(4);
  });

  it('masked but still febrile grades as fever', () => {
    expect(grade({ temperatureC: 38.1, feverMasked: true }).crs).toEqual({ grade: 1, clinicianReview: false, reason: 'fever 38.1 °C, no hypotension or hypoxia' });
  });

  it('without the flag, no fever means grade 0 whatever the interventions', () => {
    expect(grade({ temperatureC: 37.4, oxygen: { device: 'bipap' } }).crs).toEqual({
      grade: 0,
      clinicianReview: false,
      reason: 'no fever (37.4 °C), so not CRS by ASTCT; BiPAP',
    });
  });
});

describe('escalation without CRS', () => {
  it('hypotension without fever: grade 0, urgent', () => {
    const g = grade({ temperatureC: 36.5, hypotension: 'fluids_only' });
    expect(g.crs.grade).toBe(0);
    expect(g.tier).toBe('urgent');
  });

  it('a new oxygen need without fever: grade 0, urgent (even blow-by or low flow)', () => {
    expect(grade({ temperatureC: 36.5, oxygen: { device: 'blow_by' } })).toMatchObject({ crs: { grade: 0 }, tier: 'urgent' });
    expect(grade({ temperatureC: 36.5, oxygen: { device: 'nasal_cannula', flowLpm: 1 } })).toMatchObject({ crs: { grade: 0 }, tier: 'urgent' });
    expect(grade({ temperatureC: 36.5, oxygen: { device: 'facemask' } })).toMatchObject({ crs: { grade: 0 }, tier: 'urgent' });
  });

  it('SpO2 under 90 % is urgent with or without fever; 90 is not', () => {
    expect(grade({ temperatureC: 36.5, spo2: 89 }).tier).toBe('urgent');
    expect(grade({ temperatureC: 38.5, spo2: 89.9 }).tier).toBe('urgent');
    expect(grade({ temperatureC: 36.5, spo2: 90 }).tier).toBe('none');
    expect(grade({ temperatureC: 38.5, spo2: 90 }).tier).toBe('contact_team');
  });

  it('systolic under 90 mmHg is treated as hypotension for escalation only', () => {
    expect(grade({ temperatureC: 36.5, systolicBp: 84 })).toMatchObject({ crs: { grade: 0 }, tier: 'urgent' });
    expect(grade({ temperatureC: 36.5, systolicBp: 90 }).tier).toBe('none');
  });

  it('nothing of concern is tier none', () => {
    expect(grade({ temperatureC: 36.8, spo2: 98, systolicBp: 120, ageYears: 40 })).toEqual({
      crs: { grade: 0, clinicianReview: false, reason: 'no fever (36.8 °C)' },
      icans: { grade: 0, clinicianReview: false, reason: 'ICE 10, alert' },
      tier: 'none',
    });
  });
});

describe('ICANS', () => {
  const calm = { temperatureC: 37.0 };

  it.each([
    [10, 0, 'none'],
    [9, 1, 'contact_team'],
    [8, 1, 'contact_team'],
    [7, 1, 'contact_team'],
    [6, 2, 'urgent'],
    [5, 2, 'urgent'],
    [3, 2, 'urgent'],
    [2, 3, 'critical'],
    [1, 3, 'critical'],
    [0, 3, 'critical'],
  ])('ICE %i alone is grade %i, tier %s', (iceScore, icans, tier) => {
    const g = grade({ ...calm, iceScore });
    expect(g.icans).toEqual({ grade: icans, clinicianReview: false, reason: icans === 0 ? 'ICE 10, alert' : `ICE ${iceScore}` });
    expect(g.tier).toBe(tier);
    expect(g.crs.grade).toBe(0);
  });

  it.each([
    ['alert', 0, 'ICE 10, alert', 'none'],
    ['awakens_spontaneously', 1, 'awakens spontaneously', 'contact_team'],
    ['awakens_to_voice', 2, 'awakens to voice', 'urgent'],
    ['awakens_to_touch', 3, 'awakens only to touch', 'critical'],
    ['unarousable', 4, 'unarousable', 'critical'],
  ])('consciousness %s is grade %i', (consciousness, icans, reason, tier) => {
    const g = grade({ ...calm, consciousness });
    expect(g.icans).toEqual({ grade: icans, clinicianReview: false, reason });
    expect(g.tier).toBe(tier);
  });

  it('ICE 0 awake with global aphasia is grade 3; ICE 0 and unarousable is grade 4', () => {
    expect(grade({ ...calm, iceScore: 0, globalAphasia: true }).icans).toEqual({ grade: 3, clinicianReview: false, reason: 'ICE 0, global aphasia' });
    expect(grade({ ...calm, iceScore: 0, consciousness: 'unarousable' }).icans).toEqual({ grade: 4, clinicianReview: false, reason: 'unarousable' });
  });

  it('global aphasia is grade 3 on its own', () => {
    expect(grade({ ...calm, globalAphasia: true })).toMatchObject({ icans: { grade: 3, reason: 'global aphasia' }, tier: 'critical' });
  });

  it('seizures: rapidly resolving grade 3, prolonged or repetitive grade 4, both critical', () => {
    expect(grade({ ...calm, seizure: 'resolved_rapidly' })).toEqual({
      crs: { grade: 0, clinicianReview: false, reason: 'no fever (37 °C)' },
      icans: { grade: 3, clinicianReview: false, reason: 'seizure, resolved rapidly' },
      tier: 'critical',
    });
    expect(grade({ ...calm, seizure: 'prolonged_or_repetitive' })).toMatchObject({
      icans: { grade: 4, clinicianReview: false, reason: 'prolonged or repetitive seizure' },
      tier: 'critical',
    });
  });

  it('deep focal motor weakness is grade 4', () => {
    expect(grade({ ...calm, motorWeakness: true })).toMatchObject({ icans: { grade: 4, reason: 'deep focal motor weakness' }, tier: 'critical' });
  });

  it('oedema: focal grade 3, diffuse grade 4', () => {
    expect(grade({ ...calm, cerebralEdema: 'focal' })).toMatchObject({ icans: { grade: 3, reason: 'focal cerebral oedema' }, tier: 'critical' });
    expect(grade({ ...calm, cerebralEdema: 'diffuse' })).toMatchObject({ icans: { grade: 4, reason: 'diffuse cerebral oedema' }, tier: 'critical' });
  });

  it('the most severe domain wins and the reason names it', () => {
    expect(grade({ ...calm, iceScore: 8, consciousness: 'awakens_to_voice', cerebralEdema: 'focal' }).icans).toEqual({
      grade: 3,
      clinicianReview: false,
      reason: 'focal cerebral oedema',
    });
    expect(grade({ ...calm, iceScore: 2, motorWeakness: true, seizure: 'resolved_rapidly' }).icans.grade).toBe(4);
  });

  it('depressed consciousness under sedation is left out, the rest graded, clinician review', () => {
    expect(grade({ ...calm, sedated: true, consciousness: 'awakens_to_touch', iceScore: 8 })).toEqual({
      crs: { grade: 0, clinicianReview: false, reason: 'no fever (37 °C)' },
      icans: { grade: 1, clinicianReview: true, reason: 'ICE 8; awakens only to touch under sedation, not graded: clinician review needed' },
      tier: 'contact_team',
    });
  });

  it('sedated and unarousable: not grade 4 nor critical by consciousness, but reviewed and reported', () => {
    expect(grade({ ...calm, sedated: true, consciousness: 'unarousable' })).toEqual({
      crs: { grade: 0, clinicianReview: false, reason: 'no fever (37 °C)' },
      icans: { grade: 0, clinicianReview: true, reason: 'ICE 10; unarousable under sedation, not graded: clinician review needed' },
      tier: 'contact_team',
    });
  });

  it('sedated with ICE 0 and unarousable is grade 3 from ICE, flagged', () => {
    expect(grade({ ...calm, sedated: true, consciousness: 'unarousable', iceScore: 0 }).icans).toEqual({
      grade: 3,
      clinicianReview: true,
      reason: 'ICE 0; unarousable under sedation, not graded: clinician review needed',
    });
  });

  it('sedated but alert changes nothing', () => {
    expect(grade({ ...calm, sedated: true }).icans).toEqual({ grade: 0, clinicianReview: false, reason: 'ICE 10, alert' });
  });

  it('a child under 12: no ICE, other domains graded', () => {
    expect(parseObservation({ ...calm, ageYears: 8 }).iceScore).toBeNull();
    expect(grade({ ...calm, ageYears: 8 }).icans).toEqual({
      grade: 0,
      clinicianReview: false,
      reason: 'alert; under 12: ICE not used, CAPD assessment by the team',
    });
    expect(grade({ ...calm, ageYears: 8, seizure: 'resolved_rapidly' }).icans.grade).toBe(3);
    expect(grade({ ...calm, ageYears: 8 }).tier).toBe('none');
    expect(parseObservation({ ...calm, ageYears: 12, iceScore: 7 }).iceScore).toBe(7);
  });

  it('ICANS does not need fever and does not change the CRS grade', () => {
    const g = grade({ temperatureC: 38.2, iceScore: 4 });
    expect(g.crs.grade).toBe(1);
    expect(g.icans.grade).toBe(2);
    expect(g.tier).toBe('urgent');
  });
});

describe('tiers', () => {
  it('are ordered none < contact_team < urgent < critical', () => {
    expect(TIERS).toEqual(['none', 'contact_team', 'urgent', 'critical']);
    expect(TIERS.map(tierRank)).toEqual([0, 1, 2, 3]);
  });

  it('maxTier picks the more severe, either order', () => {
    expect(maxTier('none', 'contact_team')).toBe('contact_team');
    expect(maxTier('urgent', 'contact_team')).toBe('urgent');
    expect(maxTier('critical', 'urgent')).toBe('critical');
    expect(maxTier('none', 'critical')).toBe('critical');
    expect(maxTier('none', 'none')).toBe('none');
  });

  it('any new neurological sign is at least contact_team', () => {
    expect(grade({ temperatureC: 37, consciousness: 'awakens_spontaneously' }).tier).toBe('contact_team');
    expect(grade({ temperatureC: 37, iceScore: 9 }).tier).toBe('contact_team');
  });

  it('CRS grade 1 is contact_team, grade 2 urgent, grade 3 critical', () => {
    expect(grade({ temperatureC: 38.0 }).tier).toBe('contact_team');
    expect(grade({ temperatureC: 38.0, oxygen: { device: 'blow_by' } }).tier).toBe('urgent');
    expect(grade({ temperatureC: 38.0, oxygen: { device: 'venturi' } }).tier).toBe('critical');
  });
});

describe('parseObservation defaults', () => {
  it('fills every default', () => {
    expect(parseObservation({ temperatureC: 37.1 })).toEqual({
      temperatureC: 37.1,
      temperature: { value: 37.1, unit: 'c' },
      feverMasked: false,
      systolicBp: null,
      spo2: null,
      hypotension: 'none',
      vasopressors: [],
      oxygen: { device: 'room_air', flowLpm: null },
      iceScore: 10,
      consciousness: 'alert',
      sedated: false,
      globalAphasia: false,
      seizure: 'none',
      motorWeakness: false,
      cerebralEdema: 'none',
      ageYears: null,
    });
  });
});

describe('parseObservation rejects, naming the field', () => {
  it.each([
    ['not an object', 'hello', ['']],
    ['null', null, ['']],
    ['an array', [], ['']],
    ['neither temperature', { feverMasked: true }, ['temperatureC']],
    ['both temperatures', { temperatureC: 38, temperatureF: 100.4 }, ['temperatureC', 'temperatureF']],
    ['a temperature as a string', { temperatureC: '38.2' }, ['temperatureC']],
    ['a temperature below 25 °C', { temperatureC: 24.9 }, ['temperatureC']],
    ['a temperature above 45 °C', { temperatureC: 45.1 }, ['temperatureC']],
    ['a °F value given as °C', { temperatureC: 101 }, ['temperatureC']],
    ['a temperature below 77 °F', { temperatureF: 76.9 }, ['temperatureF']],
    ['a temperature above 113 °F', { temperatureF: 113.1 }, ['temperatureF']],
    ['a °C value given as °F', { temperatureF: 38.5 }, ['temperatureF']],
    ['an unknown field', { temperatureC: 38, heartRate: 120 }, ['heartRate']],
    ['an unknown oxygen field', { temperatureC: 38, oxygen: { device: 'facemask', fio2: 0.4 } }, ['oxygen.fio2']],
    ['an unknown hypotension', { temperatureC: 38, hypotension: 'severe' }, ['hypotension']],
    ['an unknown device', { temperatureC: 38, oxygen: { device: 'tent' } }, ['oxygen.device']],
    ['oxygen without a device', { temperatureC: 38, oxygen: { flowLpm: 2 } }, ['oxygen.device']],
    ['an unknown consciousness', { temperatureC: 38, consciousness: 'drowsy' }, ['consciousness']],
    ['an unknown seizure', { temperatureC: 38, seizure: 'yes' }, ['seizure']],
    ['an unknown oedema', { temperatureC: 38, cerebralEdema: 'mild' }, ['cerebralEdema']],
    ['an unknown vasopressor', { temperatureC: 38, vasopressors: ['dobutamine'] }, ['vasopressors[0]']],
    ['a negative flow', { temperatureC: 38, oxygen: { device: 'nasal_cannula', flowLpm: -1 } }, ['oxygen.flowLpm']],
    ['a zero flow', { temperatureC: 38, oxygen: { device: 'nasal_cannula', flowLpm: 0 } }, ['oxygen.flowLpm']],
    ['an absurd flow', { temperatureC: 38, oxygen: { device: 'high_flow_nasal_cannula', flowLpm: 500 } }, ['oxygen.flowLpm']],
    ['a nasal cannula without flow', { temperatureC: 38, oxygen: { device: 'nasal_cannula' } }, ['oxygen.flowLpm']],
    ['room air with a flow', { temperatureC: 38, oxygen: { device: 'room_air', flowLpm: 2 } }, ['oxygen.flowLpm']],
    ['systolic too low', { temperatureC: 38, systolicBp: 10 }, ['systolicBp']],
    ['systolic too high', { temperatureC: 38, systolicBp: 400 }, ['systolicBp']],
    ['SpO2 over 100', { temperatureC: 38, spo2: 101 }, ['spo2']],
    ['SpO2 negative', { temperatureC: 38, spo2: -5 }, ['spo2']],
    ['ICE 11', { temperatureC: 38, iceScore: 11 }, ['iceScore']],
    ['ICE -1', { temperatureC: 38, iceScore: -1 }, ['iceScore']],
    ['ICE 6.5', { temperatureC: 38, iceScore: 6.5 }, ['iceScore']],
    ['a negative age', { temperatureC: 38, ageYears: -1 }, ['ageYears']],
    ['an age over 130', { temperatureC: 38, ageYears: 131 }, ['ageYears']],
    ['a flag as a string', { temperatureC: 38, feverMasked: 'yes' }, ['feverMasked']],
    ['sedated as a number', { temperatureC: 38, sedated: 1 }, ['sedated']],
    ['vasopressors with hypotension none', { temperatureC: 38, hypotension: 'none', vasopressors: ['norepinephrine'] }, ['vasopressors']],
    ['vasopressors with fluids only', { temperatureC: 38, hypotension: 'fluids_only', vasopressors: ['norepinephrine'] }, ['vasopressors']],
    ['hypotension vasopressors without a list', { temperatureC: 38, hypotension: 'vasopressors' }, ['vasopressors']],
    ['hypotension vasopressors with an empty list', { temperatureC: 38, hypotension: 'vasopressors', vasopressors: [] }, ['vasopressors']],
    ['the same vasopressor twice', { temperatureC: 38, vasopressors: ['norepinephrine', 'norepinephrine'] }, ['vasopressors[1]']],
    ['an ICE score under 12', { temperatureC: 38, ageYears: 11.9, iceScore: 10 }, ['iceScore']],
  ])('%s', (_what, input, fields) => {
    expect(rejectedFields(input)).toEqual(fields);
  });

  it('an ICE score for a child says CAPD is required', () => {
    const e = rejection({ temperatureC: 37, ageYears: 7, iceScore: 8 });
    expect(e.fields).toEqual([{ field: 'iceScore', message: 'ICE is not used under 12 years: CAPD is required for a patient aged 7' }]);
    expect(e.message).toContain('CAPD is required');
  });

  it('reports several bad fields at once', () => {
    expect(rejectedFields({ temperatureC: 60, spo2: 120, consciousness: 'asleep' })).toEqual(['temperatureC', 'spo2', 'consciousness']);
  });

  it('messages say what is wrong', () => {
    expect(rejection({ temperatureC: 38, heartRate: 1 }).message).toBe('heartRate: unknown field');
    expect(rejection({ temperatureC: 50 }).message).toBe('temperatureC: above 45 °C is not a plausible body temperature');
    expect(rejection({ temperatureC: 38, oxygen: { device: 'nasal_cannula' } }).message).toBe(
      'oxygen.flowLpm: required for a nasal cannula: up to 6 L/min is low flow, more is high flow',
    );
  });
});
