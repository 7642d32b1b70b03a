// The benchmarks on Temporal's own server on PostgreSQL, in miniature: the production project's
// temporal-server (test/global-setup-production.ts starts it as local/temporal-server.ts does for
// `npm run bench -- --temporal postgres`) instead of the dev server. The burst with check-in
// reports and alerts (the scenarios burst, checkin and alert) and the coordinator scenario, the
// same checks as test/bench/bench-smoke.test.ts; not a measurement.
import { describe, it } from 'vitest';
import { burstDefaults, runBurst } from '../../bench/scenarios/burst.ts';
import { runCoordinator } from '../../bench/scenarios/coordinator.ts';
import { expectAlertBurst, expectCoordinator, SCENARIO_TIMEOUT, tinyAlertBurst, tinyCoordinator, useSmokeContext } from '../bench/smoke.ts';

const smoke = useSmokeContext();

describe.concurrent('benchmark scenarios on temporal-server and PostgreSQL, in miniature', () => {
  it('burst, check-in reports and alerts', async () => {
    expectAlertBurst(await runBurst(smoke.ctx, { ...burstDefaults, ...tinyAlertBurst }));
  }, SCENARIO_TIMEOUT);

  it('coordinator actions against a bare Update', async () => {
    expectCoordinator(await runCoordinator(smoke.ctx, tinyCoordinator));
  }, SCENARIO_TIMEOUT);
});
