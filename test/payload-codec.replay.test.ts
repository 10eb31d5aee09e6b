/**
 * Switching the codec on needs no migration: every history recorded before it (test/histories, all in clear) replays
 * on a worker whose data converter has the codec — its decoding passes unencrypted payloads through.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { dataConverterOf, payloadCodecOf } from '../platform/payload-codec.js';
import { workflowBundle } from './support/temporal.js';

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const dataConverter = dataConverterOf(payloadCodecOf(`replay:${Buffer.alloc(32, 5).toString('base64')}`))!;

describe('recorded histories replay with the codec on', () => {
  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: file, dataConverter }, history, file)).resolves.toBeUndefined();
  });
});
