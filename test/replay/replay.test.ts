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

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replaying recorded case histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
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
