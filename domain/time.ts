// Wall-clock arithmetic in a family's time zone, with Intl only (no I/O), so the workflow can
// schedule "10:00 local, 7 days before admission" and keep it right across daylight saving.

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

// Building an Intl formatter costs far more than using one, and there are only a few zones and
// languages: each one is built once, under a key that names its options.
const intlObjects = new Map<string, Intl.DateTimeFormat | Intl.DisplayNames>();
export function keptIntl<T extends Intl.DateTimeFormat | Intl.DisplayNames>(key: string, build: () => T): T {
  let made = intlObjects.get(key) as T | undefined;
  if (!made) intlObjects.set(key, (made = build()));
  return made;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  return keptIntl(`parts ${timeZone}`, () => new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }));
}

/** The local date and time in `timeZone` at the instant `epochMs`. */
export function toLocal(epochMs: number, timeZone: string): LocalDateTime & { second: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour! % 24, minute: +parts.minute!, second: +parts.second! };
}

function offsetMs(epochMs: number, timeZone: string): number {
  const l = toLocal(epochMs, timeZone);
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant at which it is `local` in `timeZone`. A local time skipped by a spring-forward
 * gap resolves to the instant just after the gap; a repeated (fall-back) hour to the first one.
 */
export function fromLocal(local: LocalDateTime, timeZone: string): number {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // The zone's offsets a day either side bound any change on this date.
  const before = offsetMs(asUtc - DAY_MS, timeZone);
  const after = offsetMs(asUtc + DAY_MS, timeZone);
  const matches = (t: number) => {
    const l = toLocal(t, timeZone);
    return l.year === local.year && l.month === local.month && l.day === local.day && l.hour === local.hour && l.minute === local.minute;
  };
  const candidates = [asUtc - before, asUtc - after].filter(matches);
  if (candidates.length > 0) return Math.min(...candidates);
  return asUtc - before; // in a gap: the wall clock had not moved yet, so read it with the old offset
}

const DAY_MS = 24 * 3600 * 1000;

/** The calendar date `days` after the local date of `epochMs` in `timeZone` (negative: before). */
export function addLocalDays(local: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  return { ...local, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The instant at `hour`:00 local time, `daysBefore` calendar days before the local date of `epochMs`. */
export function localHourDaysBefore(epochMs: number, daysBefore: number, hour: number, timeZone: string): number {
  const date = addLocalDays(toLocal(epochMs, timeZone), -daysBefore);
  return fromLocal({ ...date, hour, minute: 0 }, timeZone);
}
