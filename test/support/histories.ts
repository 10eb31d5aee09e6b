/** Recorded workflow histories (test/histories/, replayed by test/replay.test.ts). */
import { writeFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

/** RECORD_HISTORIES=1 writes the run's history as test/histories/<name>.json — only when adding a history. */
export async function recordHistory(handle: Pick<WorkflowHandle, 'fetchHistory'>, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  writeFileSync(new URL(`../histories/${name}.json`, import.meta.url), historyToJSON(await handle.fetchHistory()));
}
