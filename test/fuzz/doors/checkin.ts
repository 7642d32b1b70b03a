// The families' check-in pages: GET and POST /checkin/:token with links signed for a seeded case's
// open check-in (most), for one answered or not yet due, expired, signed with another secret,
// tampered with, for a case that does not exist, or no token at all; and reports that are valid
// with their notes full of patient data (most), or with one field gone wrong.
import fc from 'fast-check';
import { SYMPTOMS } from '../../../domain/checkin-report.ts';
import type { Body, HttpCall, LinkSpec } from '../request.ts';
import { awkward, aroundBound, patientText } from '../values.ts';
import type { FuzzContext } from '../world.ts';
import { localDateTime, oddBody, pgAway, strayHeaders } from './common.ts';
import type { DoorRoute } from './paths.ts';

function link(ctx: FuzzContext): fc.Arbitrary<LinkSpec> {
  const slot = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...ctx.monitoringSlots) }, { weight: 1, arbitrary: fc.constantFrom(...ctx.slots) });
  const kind = fc.oneof(
    { weight: 10, arbitrary: fc.constant('open' as const) },
    { weight: 1, arbitrary: fc.constantFrom('answered' as const, 'upcoming' as const, 'expired' as const, 'forged' as const, 'tampered' as const, 'unknownCase' as const) },
  );
  const malformed = fc.tuple(slot, fc.oneof(fc.constantFrom('.', 'a.b', 'x'.repeat(300), 'djE6YzE6MTox.AAAA', '..', '%2e'), awkward)).map(([s, text]): LinkSpec => ({ kind: 'malformed', slot: s, text }));
  return fc.oneof({ weight: 8, arbitrary: fc.record({ kind, slot }) }, { weight: 1, arbitrary: malformed });
}

/** The report form as the page posts it: mostly a report a family could send, with notes full of patient data. */
function report(ctx: FuzzContext): fc.Arbitrary<[string, string][]> {
  const temperature = fc.oneof(
    { withCrossShrink: true },
    { weight: 8, arbitrary: fc.constantFrom('36.8', '37.4', '38.2', '39,1', '40.5', ' 38.2 °C', '３８．２') },
    { weight: 1, arbitrary: fc.constantFrom('', 'abc', '1e3', '-0', '٣٨٫٢', '380', '25', '45.01', 'NaN', '101.3') },
    { weight: 1, arbitrary: awkward },
  );
  const rarely = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ withCrossShrink: true }, { weight: 8, arbitrary: usual }, { weight: 1, arbitrary: odd });
  const fields = fc.record({
    lang: rarely(fc.constantFrom('en', 'es', 'zh'), fc.constantFrom('xx', '', 'EN')),
    temperature,
    unit: rarely(fc.constant('c'), fc.oneof(fc.constant('f'), awkward)),
    takenAt: localDateTime(ctx),
    noTemperature: rarely(fc.constant(undefined), fc.constant('on')),
    admitted: rarely(fc.constantFrom('yes', 'no'), fc.oneof(fc.constant(''), awkward)),
    notes: rarely(patientText(2000), aroundBound(10_000)),
  });
  const symptoms = rarely(fc.subarray([...SYMPTOMS], { maxLength: 3 }), fc.array(awkward, { maxLength: 2 }));
  const extra = rarely(fc.constant<[string, string][]>([]), fc.tuple(fc.constantFrom('extra', '__proto__', 'notes', 'temperature', 'report'), awkward).map(([k, v]): [string, string][] => [[k, v]]));
  return fc.tuple(fields, symptoms, extra).map(([f, s, x]) => [...Object.entries(f).filter((e): e is [string, string] => typeof e[1] === 'string'), ...s.map((v): [string, string] => ['symptoms', v]), ...x]);
}

export function checkinRoutes(ctx: FuzzContext): DoorRoute[] {
  const body = fc.oneof(
    { weight: 10, arbitrary: report(ctx).map((pairs): Body => ({ kind: 'form', pairs })) },
    { weight: 1, arbitrary: report(ctx).map((pairs): Body => ({ kind: 'json', value: Object.fromEntries(pairs) })) },
    { weight: 1, arbitrary: oddBody },
  );
  const call = (method: 'GET' | 'POST') =>
    fc.record({ link: link(ctx), body: method === 'POST' ? body : fc.constant(undefined), headers: strayHeaders, pgAway: pgAway(ctx) }).map(
      (r): HttpCall => ({
        door: 'checkin',
        route: `${method} /checkin/{token}`,
        method,
        path: '/checkin/{token}',
        link: r.link,
        as: 'anonymous',
        csrf: 'missing',
        headers: r.headers,
        ...(r.body ? { body: r.body } : {}),
        ...(r.pgAway ? { pgAway: true } : {}),
      }),
    );
  return [
    { door: 'checkin', route: 'GET /checkin/{token}', arb: call('GET') },
    { door: 'checkin', route: 'POST /checkin/{token}', arb: call('POST') },
  ];
}
