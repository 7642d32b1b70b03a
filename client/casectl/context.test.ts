// casectl in another terminal beside `npm start`, nothing configured: it must read the keys and
// secrets npm start made in the project's data/ (payload keys, the identifier key), or the cases it
// opens are encrypted with a key the worker does not have and get ids the API does not know.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveEnv } from './context.ts';

describe("casectl's data directory", () => {
  it("defaults to the project's data/, beside its package.json, as npm start's does", () => {
    const dataDir = effectiveEnv({}).DATA_DIR!;
    expect(dataDir.replace(/\/$/, '').endsWith('/data')).toBe(true);
    expect(existsSync(join(dataDir, '..', 'package.json'))).toBe(true);
    expect(existsSync(join(dataDir, '..', 'local', 'start.ts'))).toBe(true);
  });

  it('is DATA_DIR when set', () => {
    expect(effectiveEnv({ DATA_DIR: '/srv/care' }).DATA_DIR).toBe('/srv/care');
  });
});
