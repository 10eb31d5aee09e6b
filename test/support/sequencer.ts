/**
 * The order test files start in, with two workers: the long files first (longest-processing-time first, so no long
 * file starts last and runs alone at the end). The files that start process trees of their own (they take the lock of
 * support/one-at-a-time.ts) are spaced out with in-process files between them, so that one seldom waits for another.
 * The others follow in Vitest's own order (the last run's durations when known, else larger files first).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds measured on a 2-core machine, roughly: a file added here should take 15 s or more. */
const SLOW_FIRST = [
  'test/supervisor.test.ts', // ~35 s, process trees: npm start
  'test/fuzz.path-reviews.test.ts', // ~30 s: every accepted request makes fresh certifications and path reviews
  'test/fuzz.certifications.test.ts',
  'test/crash.test.ts', // ~30 s, process trees: worker processes killed, activity timeouts waited out
  'test/fuzz.organization.test.ts',
  'test/access-matrix.test.ts',
  'test/stack.test.ts', // ~25 s, process trees: npm start
  'test/fuzz.incentives.test.ts',
  'test/deadline-boundaries.path-review.test.ts',
  'test/fuzz.test.ts',
  'test/outage.test.ts', // ~25 s, process trees: its own PostgreSQL stopped under load
  'test/incentive-run.test.ts',
  'test/webhooks.test.ts',
];

const rank = (spec: TestSpecification) => {
  const index = SLOW_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
  return index === -1 ? SLOW_FIRST.length : index;
};

export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    // Array.prototype.sort is stable: the files off the list keep Vitest's order.
    return ordered.sort((a, b) => rank(a) - rank(b));
  }
}
