/**
 * Recorded histories of real runs must replay on today's workflow code. A change that would break open
 * workflows (non-determinism) fails here. Record again with `RECORD_HISTORIES=1 npx vitest run test/opportunity.test.ts`
 * only when adding a history — never to make this test pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import * as workflowTypes from '../workflows/index.js';
import { workflowBundle } from './support/temporal.js';

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('workflow histories replay', () => {
  it('has a recorded history for every workflow type the worker runs', () => {
    const recorded = new Set(
      files.map((file) => {
        const history = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
          events: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[];
        };
        return history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      }),
    );
    const types = Object.keys(workflowTypes).sort();
    expect(types.length).toBeGreaterThan(5); // the registry really lists the workflow functions
    expect(types.filter((type) => !recorded.has(type))).toEqual([]);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: file }, history, file),
    ).resolves.toBeUndefined();
  });
});
