// Post-infusion CRS monitoring as data: the check-in protocol a case runs on, the schedule it
// yields in the family's time zone, and what the monitoring stage reports. Pure (the workflow
// computes the schedule; the HTTP pages and casectl read the status).
import { z } from 'zod';
import { textSchema } from './validation.ts';
import type { Tier } from './crs.ts';
import { addLocalDays, fromLocal, toLocal } from './time.ts';

const DAY_MINUTES = 24 * 60;
/** A whole number of minutes up to a day: a ladder step or a repeat longer than that is a mistake. */
const minutes = (max: number) => z.number().int('must be whole minutes').positive('must be more than 0 minutes').max(max, `must be at most ${max} minutes`);
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:MM');

/** A centre's check-in protocol. Defaults follow the reference: twice daily days 0-7, daily 8-14. */
const PROTOCOL_SCHEMA = z
  .object({
    name: textSchema(100).default('default'),
    windowDays: z.number().int().min(1).max(60).default(14),
    schedule: z
      .array(z.object({ fromDay: z.number().int().min(0).max(60), toDay: z.number().int().min(0).max(60), times: z.array(localTime).min(1).max(24) }).strict())
      .min(1)
      .max(10)
      .default([
        { fromDay: 0, toDay: 7, times: ['09:00', '21:00'] },
        { fromDay: 8, toDay: 14, times: ['09:00'] },
      ]),
    /** "Call us" threshold: 38.0 °C by ASTCT; some centres use 37.5. */
    feverThresholdC: z.number().min(37).max(38).default(38.0),
    reminderAfterMinutes: minutes(DAY_MINUTES).default(60),
    coordinatorAfterMinutes: minutes(DAY_MINUTES).default(120),
    teamAfterMinutes: minutes(DAY_MINUTES).default(240),
    /** How often an unacknowledged urgent or critical alert is sent again. */
    alertRepeatMinutes: minutes(DAY_MINUTES).default(15),
    team: z
      .object({ name: textSchema(200), email: z.email(), phone24h: textSchema(40, { min: 3 }) })
      .strict()
      .optional(),
  })
  .strict();
export type Protocol = z.output<typeof PROTOCOL_SCHEMA>;

// Leaves this module only through a function: see domain/case.ts.
export const protocolSchema = () => PROTOCOL_SCHEMA;
export type TreatingTeam = NonNullable<Protocol['team']>;

export interface ScheduledCheckin {
  id: number;
  /** Day after infusion (0 = infusion day, in the family's calendar). */
  day: number;
  dueAt: number;
  /** A link works until the next check-in is due (the last one: until the window closes). */
  expiresAt: number;
}

/**
 * Every check-in of the window, at the protocol's local times in `timeZone`. Each falls at the
 * same local hour whatever the daylight-saving offset; times before the infusion are skipped.
 */
export function checkinSchedule(infusionAt: number, protocol: Protocol, timeZone: string): { checkins: ScheduledCheckin[]; windowEndsAt: number } {
  const day0 = toLocal(infusionAt, timeZone);
  const due: { day: number; at: number }[] = [];
  for (let day = 0; day <= protocol.windowDays; day++) {
    const date = addLocalDays(day0, day);
    const times = protocol.schedule.filter((r) => day >= r.fromDay && day <= r.toDay).flatMap((r) => r.times);
    for (const t of [...new Set(times)].sort()) {
      const [hour, minute] = t.split(':').map(Number) as [number, number];
      const at = fromLocal({ ...date, hour, minute }, timeZone);
      if (at > infusionAt) due.push({ day, at });
    }
  }
  // The window closes at the end of its last day, local time.
  const windowEndsAt = fromLocal({ ...addLocalDays(day0, protocol.windowDays + 1), hour: 0, minute: 0 }, timeZone);
  const checkins = due.map((d, i) => ({ id: i + 1, day: d.day, dueAt: d.at, expiresAt: due[i + 1]?.at ?? windowEndsAt }));
  return { checkins, windowEndsAt };
}

export type CheckinState = 'upcoming' | 'open' | 'answered' | 'missed';

export interface CheckinStatus {
  id: number;
  day: number;
  dueAt: string;
  expiresAt: string;
  state: CheckinState;
  answeredAt?: string;
  tier?: Tier;
  temperatureC?: number | null;
  /** How far the missed-check-in ladder climbed: reminder, coordinator, team. */
  escalation?: 'reminder' | 'coordinator' | 'team';
}

export interface MonitoringStatus {
  protocol: Protocol;
  infusionAt: string;
  windowEndsAt: string;
  checkins: CheckinStatus[];
  highestCrsGrade: number;
  highestIcansGrade: number;
  feverDays: number;
  lastCheckin?: CheckinStatus;
  nextCheckin?: CheckinStatus;
  ended?: { at: string; reason: string };
}

/** What the family's page says after a report: the tier and the instruction that goes with it. */
export interface CheckinOutcome {
  checkinId: number;
  tier: Tier;
  reasons: string[];
  teamPhone: string;
}

export interface ClinicalOutcome {
  crs: { grade: number; clinicianReview: boolean; reason: string };
  icans: { grade: number; clinicianReview: boolean; reason: string };
  tier: Tier;
  alertId?: string;
}
