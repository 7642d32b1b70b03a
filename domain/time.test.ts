import { describe, expect, it } from 'vitest';
import { fromLocal, localHourDaysBefore, toLocal } from './time.ts';

const at = (y: number, m: number, d: number, h: number, min: number, tz: string) => new Date(fromLocal({ year: y, month: m, day: d, hour: h, minute: min }, tz)).toISOString();

describe('local time in a time zone', () => {
  it('maps ordinary local times both ways', () => {
    expect(at(2026, 12, 1, 9, 0, 'Asia/Kolkata')).toBe('2026-12-01T03:30:00.000Z');
    expect(at(2026, 3, 29, 10, 0, 'Europe/Madrid')).toBe('2026-03-29T08:00:00.000Z');
    expect(toLocal(Date.parse('2026-11-24T23:30:00Z'), 'Asia/Shanghai')).toMatchObject({ year: 2026, month: 11, day: 25, hour: 7, minute: 30 });
  });

  it('reads a repeated fall-back hour as its first occurrence, east and west of UTC', () => {
    expect(at(2026, 10, 25, 2, 30, 'Europe/Madrid')).toBe('2026-10-25T00:30:00.000Z');
    expect(at(2026, 11, 1, 1, 30, 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('moves a time inside a spring-forward gap to just after it', () => {
    expect(at(2026, 3, 29, 2, 30, 'Europe/Madrid')).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(at(2026, 3, 8, 2, 30, 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
  });

  it('schedules "10:00 local, N days before" on the local calendar', () => {
    const admission = Date.parse('2026-04-02T07:00:00Z'); // 09:00 in Madrid
    expect(new Date(localHourDaysBefore(admission, 7, 10, 'Europe/Madrid')).toISOString()).toBe('2026-03-26T09:00:00.000Z'); // CET
    expect(new Date(localHourDaysBefore(admission, 1, 10, 'Europe/Madrid')).toISOString()).toBe('2026-04-01T08:00:00.000Z'); // CEST
  });
});
