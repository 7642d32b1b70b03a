// All the doors' routes as one arbitrary of requests. Each door gets a share of the run, split
// evenly among its routes, so that a door with many routes (the API) does not crowd out the others.
import fc from 'fast-check';
import type { Door, FuzzRequest } from '../request.ts';
import type { FuzzContext } from '../world.ts';
import { apiRoutes } from './api.ts';
import { casectlRoutes } from './casectl.ts';
import { checkinRoutes } from './checkin.ts';
import { hintsFor } from './common.ts';
import { consoleRoutes } from './console.ts';
import { otherRoutes } from './other.ts';
import type { DoorRoute } from './paths.ts';

/** Percent of the requests each door gets. */
const SHARE: Record<Door, number> = { api: 45, console: 18, checkin: 15, casectl: 12, codec: 5, probe: 5 };

export function doorRoutes(ctx: FuzzContext): DoorRoute[] {
  const hints = hintsFor(ctx);
  return [...apiRoutes(ctx, hints), ...consoleRoutes(ctx, hints), ...checkinRoutes(ctx), ...casectlRoutes(ctx, hints), ...otherRoutes(ctx)];
}

export function requestArbitrary(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const routes = doorRoutes(ctx);
  const perDoor = (door: Door) => routes.filter((r) => r.door === door).length;
  return fc.oneof(...routes.map((r) => ({ weight: Math.max(1, Math.round((SHARE[r.door] * 100) / perDoor(r.door))), arbitrary: r.arb })));
}
