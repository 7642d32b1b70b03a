// Every recorded history (test/replay/histories, from released workflow versions) must replay on
// the current workflow code: a change that would break running cases fails here. Changes that
// alter what a running case does go behind patched() (or worker versioning), with new recordings.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { decodeHistory } from './history-file.ts';
import { createDataConverter } from '../../codec/keys.ts';
import { workflowBundle } from '../harness/temporal.ts';
import { fixtureKeyring } from './fixture-keys.ts';
import { PATCHES } from '../../workflows/patches.ts';

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replaying recorded case histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  // A patch no recorded history has taken is a path replay never checks (the SDK writes its name in the clear).
  it.each(Object.values(PATCHES))('has a recorded history through the patch %s', (patch) => {
    const through = files.filter((f) => Buffer.from((JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { data: string }).data, 'base64').includes(patch));
    expect(through).not.toEqual([]);
  });

  it.each(files)('%s replays on the current workflow code', async (file) => {
    const history = decodeHistory(readFileSync(new URL(file, dir), 'utf8'));
    expect(history.events!.length).toBeGreaterThan(20);
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle(new URL('../../workflows/index.ts', import.meta.url)), dataConverter: createDataConverter(fixtureKeyring()) },
      history,
      `replay-${file}`,
    );
  });
});
