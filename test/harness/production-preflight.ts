// Before each file of the production project: fails the file, saying why, when its global setup
// (test/global-setup-production.ts) found no Temporal server binaries or no PostgreSQL server.
import { inject } from 'vitest';

const reason = inject('productionUnavailable');
if (reason) throw new Error(reason);
