import { describe, expect, it } from 'vitest';
import { checkinSchedule, protocolSchema } from './monitoring.ts';
import { toLocal } from './time.ts';

const defaults = protocolSchema().parse({});
const localHM = (ms: number, tz: string) => {
  const l = toLocal(ms, tz);
  return `${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`;
};

describe('check-in schedule', () => {
  it('is twice a day on days 0-7 and once a day on days 8-14, after the infusion, in the family zone', () => {
    const infusion = Date.parse('2026-12-01T10:30:00+01:00'); // Madrid, day 0 at 10:30 local
    const { checkins, windowEndsAt } = checkinSchedule(infusion, defaults, 'Europe/Madrid');
    expect(checkins[0]).toMatchObject({ id: 1, day: 0 });
    expect(localHM(checkins[0]!.dueAt, 'Europe/Madrid')).toBe('21:00'); // 09:00 on day 0 was before the infusion
    expect(checkins.filter((c) => c.day >= 1 && c.day <= 7)).toHaveLength(14);
    expect(checkins.filter((c) => c.day >= 8)).toHaveLength(7);
    expect(checkins).toHaveLength(22);
    expect(checkins.map((c) => c.id)).toEqual(checkins.map((_, i) => i + 1));
    // Each link expires when the next check-in is due; the last with the window.
    for (let i = 0; i < checkins.length - 1; i++) expect(checkins[i]!.expiresAt).toBe(checkins[i + 1]!.dueAt);
    expect(checkins.at(-1)!.expiresAt).toBe(windowEndsAt);
    expect(new Date(windowEndsAt).toISOString()).toBe('2026-12-15T23:00:00.000Z'); // end of day 14, Madrid midnight
  });

  it('keeps the same local hour across the spring daylight-saving change', () => {
    const infusion = Date.parse('2027-03-25T08:00:00Z'); // Europe moves to summer time on 28 March 2027
    const { checkins } = checkinSchedule(infusion, defaults, 'Europe/Madrid');
    for (const c of checkins) expect(['09:00', '21:00']).toContain(localHM(c.dueAt, 'Europe/Madrid'));
    const before = checkins.find((c) => c.day === 2 && localHM(c.dueAt, 'Europe/Madrid') === '09:00')!;
    const after = checkins.find((c) => c.day === 4 && localHM(c.dueAt, 'Europe/Madrid') === '09:00')!;
    expect(new Date(before.dueAt).toISOString()).toBe('2027-03-27T08:00:00.000Z'); // CET, UTC+1
    expect(new Date(after.dueAt).toISOString()).toBe('2027-03-29T07:00:00.000Z'); // CEST, UTC+2
  });

  it('keeps the same local hour across the autumn change, and in the southern hemisphere', () => {
    const autumn = checkinSchedule(Date.parse('2026-10-20T12:00:00Z'), defaults, 'America/New_York'); // US back on 1 Nov 2026
    for (const c of autumn.checkins) expect(['09:00', '21:00']).toContain(localHM(c.dueAt, 'America/New_York'));
    const sydney = checkinSchedule(Date.parse('2026-09-30T00:00:00Z'), defaults, 'Australia/Sydney'); // forward on 4 Oct 2026
    for (const c of sydney.checkins) expect(['09:00', '21:00']).toContain(localHM(c.dueAt, 'Australia/Sydney'));
  });

  it('follows a centre protocol given as data', () => {
    const p = protocolSchema().parse({ windowDays: 28, schedule: [{ fromDay: 0, toDay: 28, times: ['08:00'] }], feverThresholdC: 37.5 });
    const { checkins } = checkinSchedule(Date.parse('2026-12-01T06:00:00Z'), p, 'Asia/Shanghai'); // 14:00 local
    expect(checkins).toHaveLength(28);
    expect(checkins.every((c) => localHM(c.dueAt, 'Asia/Shanghai') === '08:00')).toBe(true);
    expect(() => protocolSchema().parse({ feverThresholdC: 36 })).toThrow();
    expect(() => protocolSchema().parse({ schedule: [{ fromDay: 0, toDay: 7, times: ['9am'] }] })).toThrow(/HH:MM/);
  });
});
