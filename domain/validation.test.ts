// The one check of typed text: what PostgreSQL, UTF-8 or a log line cannot hold is refused, naming
// the field and the character; what people write in any script passes untouched.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InputError, parseInput, secretTextSchema, textProblem, textSchema } from './validation.ts';
import { openCaseSchema } from './case.ts';
import { actionSchema } from './actions.ts';
import { parseCheckinReport } from './checkin-report.ts';
import { protocolSchema } from './monitoring.ts';

const problems = (schema: z.ZodType, value: unknown) => {
  try {
    parseInput(schema, value);
    return [];
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return err.fields;
  }
};

describe('text a person typed', () => {
  it.each([
    ['U+0000', 'a\u0000b', /control character \(U\+0000\)/],
    ['a bell', 'a\u0007b', /control character \(U\+0007\)/],
    ['a C1 control', 'a\u0085b', /control character \(U\+0085\)/],
    ['DEL', 'a\u007fb', /control character \(U\+007F\)/],
    ['a lone high surrogate', 'a\ud800b', /unpaired surrogate/],
    ['a lone low surrogate', '\udc00', /unpaired surrogate/],
    ['U+FFFE', 'a\ufffe', /not text \(U\+FFFE\)/],
    ['U+FDD0', '\ufdd0', /not text \(U\+FDD0\)/],
    ['U+10FFFF', 'x\u{10ffff}', /not text \(U\+10FFFF\)/],
  ])('refuses %s', (_name, value, message) => {
    expect(textProblem(value, { multiline: true })).toMatch(message);
    expect(problems(z.object({ note: textSchema(100, { multiline: true }) }), { note: value })).toEqual([{ field: 'note', message: expect.stringMatching(message) }]);
  });

  it('lets free text hold line breaks and tabs, but not a one-line field', () => {
    expect(textProblem('line one\r\nline two\tend', { multiline: true })).toBeUndefined();
    expect(textProblem('Lucía\nFernández')).toMatch(/control character \(U\+000A\); it must be on one line/);
  });

  it('passes what people write in any script untouched but for the trim', () => {
    for (const s of ['Lucía Fernández', '李伟', 'محمد الأحمد', 'Юлия', '👩‍👧 family', 'e\u0301', '\u200fRTL mark']) {
      expect(parseInput(textSchema(200), `  ${s} `)).toBe(s.trim());
    }
  });

  it('bounds length and requires text, naming the field', () => {
    expect(problems(z.object({ n: textSchema(5) }), { n: 'toolong' })).toEqual([{ field: 'n', message: 'must be at most 5 characters' }]);
    expect(problems(z.object({ n: textSchema(5) }), { n: '   ' })).toEqual([{ field: 'n', message: 'is required' }]);
    expect(problems(z.object({ n: textSchema(5) }), { n: '\u200b\u200b' })).toEqual([{ field: 'n', message: 'is required' }]);
    expect(problems(z.object({ n: textSchema(5) }), { n: 42 })).toEqual([{ field: 'n', message: 'must be text' }]);
    expect(problems(z.object({ n: textSchema(5) }), {})).toEqual([{ field: 'n', message: 'is required' }]);
  });

  it('keeps passwords as typed, refusing only what cannot be typed', () => {
    expect(parseInput(secretTextSchema(3, 50), ' pass word ')).toBe(' pass word ');
    expect(problems(secretTextSchema(3, 50), 'pass\u0000word')).toHaveLength(1);
  });
});

describe('the schemas every door shares', () => {
  const family = { name: 'Lucía', email: 'l@example.org', language: 'es', timeZone: 'Europe/Madrid' };
  const open = { patientRef: 'P-1', diagnosis: 'DLBCL', therapy: 'CD19 CAR-T', family };

  it('refuses U+0000 in every text of a case file, naming the field', () => {
    const fields = problems(openCaseSchema(), { patientRef: 'P\u0000', diagnosis: 'x\u0000', therapy: 't\u0000', family: { ...family, name: 'L\u0000' } }).map((p) => p.field);
    expect(fields.sort()).toEqual(['diagnosis', 'family.name', 'patientRef', 'therapy']);
  });

  it('bounds settings by what a case means', () => {
    const fields = (settings: unknown) => problems(openCaseSchema(), { ...open, settings });
    expect(fields({ recordsReminderDays: [1e10] })).toEqual([{ field: 'settings.recordsReminderDays[0]', message: 'must be at most 365 days' }]);
    expect(fields({ recordsStalledAfterDays: 1e300 })).toEqual([{ field: 'settings.recordsStalledAfterDays', message: 'must be at most 365 days' }]);
    expect(fields({ admissionReminderDays: Array.from({ length: 5000 }, () => 1) })).toEqual([{ field: 'settings.admissionReminderDays', message: 'at most 10 entries' }]);
    expect(fields({ followUpDays: [0] })).toEqual([{ field: 'settings.followUpDays[0]', message: 'must be more than 0 days' }]);
    expect(fields({ followUpDays: [28, 90, 365, 730] })).toEqual([]);
    expect(fields({ reminderLocalHour: 24 })).toEqual([{ field: 'settings.reminderLocalHour', message: 'must be an hour from 0 to 23' }]);
  });

  it('refuses such text in actions, check-in notes and protocols too', () => {
    expect(problems(actionSchema('waiveDocument'), { actor: 'a', documentType: 'scans', reason: 'x\u0000' })).toEqual([{ field: 'reason', message: 'contains a control character (U+0000)' }]);
    expect(() => parseCheckinReport({ admitted: false, notes: 'fine\u0000' })).toThrow(/notes: contains a control character \(U\+0000\)/);
    expect(parseCheckinReport({ admitted: false, notes: 'fine\r\nthanks' }).notes).toBe('fine\r\nthanks');
    expect(problems(protocolSchema(), { alertRepeatMinutes: 1e9 })).toEqual([{ field: 'alertRepeatMinutes', message: 'must be at most 1440 minutes' }]);
  });
});
