/**
 * Files that start whole process trees (`npm start`, worker processes killed and restarted, a PostgreSQL of their
 * own stopped under load) keep both cores busy for seconds at a time: two of them at once slow each other towards
 * their timeouts. `oneAtATime()` makes such a file wait, before its own setup, until no other file of this run holds
 * the lock, and free it after its teardown; the other worker meanwhile runs the in-process files beside it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { RUN_MARKER } from './leftovers.js';
import { alive } from './stack.js';

/** The lock of this run (the global setup's marker): another run on the machine has its own. */
export const lockPath = (run = process.env[RUN_MARKER] ?? 'local') => path.join(os.tmpdir(), `partnerflow-${run}-one-at-a-time`);

/** Registers the lock's hooks: call it first in the file, before the hooks that start anything. */
export function oneAtATime(waitMs = 600_000): void {
  const lock = lockPath();
  const owner = path.join(lock, 'pid');
  let held = false;
  beforeAll(async () => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        mkdirSync(lock); // atomic: exactly one file gets it
        writeFileSync(owner, String(process.pid));
        held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      // A holder that died without its afterAll (a killed worker) leaves the lock to the next file.
      let holder = 0;
      try {
        holder = Number(readFileSync(owner, 'utf8'));
      } catch {
        // not written yet, or freed meanwhile: try again
      }
      if (holder > 0 && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited ${waitMs} ms for another process-tree test file (pid ${holder || '?'}) to finish`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, waitMs);
  afterAll(() => {
    if (held) rmSync(lock, { recursive: true, force: true });
  });
}
