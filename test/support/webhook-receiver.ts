/**
 * A real HTTP receiver for webhook tests, on 127.0.0.1 and a random port: one server, one behaviour per path (the
 * status it answers to its n-th request, optionally with headers), every request kept as received; and the emitter of
 * the events the tests deliver.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import type { createActivities } from '../../activities/index.js';
import type { PrismaClient } from '../../platform/db.js';
import { WINDOW_REMINDER_TOPIC } from '../../workflows/path-review/contract.js';

export type Received = { headers: IncomingMessage['headers']; body: string; at: number };
/** The answer to the n-th request of a path: a status, or a status with headers. */
export type Behaviour = (attempt: number) => number | { status: number; headers: Record<string, string> } | Promise<number>;

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export async function startReceiver() {
  const behaviours = new Map<string, Behaviour>();
  const received = new Map<string, Received[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      const list = received.get(path) ?? [];
      list.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      received.set(path, list);
      const answer = await (behaviours.get(path) ?? (() => 404))(list.length);
      if (typeof answer === 'number') res.writeHead(answer).end();
      else res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    base,
    received,
    /** A receiver path answering `behaviour(n)` to its n-th request. */
    hook(behaviour: Behaviour): { url: string; path: string } {
      const path = `/hook/${randomUUID().slice(0, 8)}`;
      behaviours.set(path, behaviour);
      return { url: base + path, path };
    },
    /** The requests a path got so far. */
    requests: (path: string): Received[] => received.get(path) ?? [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (bound, then released): a connection to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * What a process appends: a path review window reminder of a partner, through the real writer activity (announced after
 * commit, to the worker of `queue`). Returns the outbox row.
 */
export function windowReminderEmitter(deps: { activities: ReturnType<typeof createActivities>; env: Pick<TestWorkflowEnvironment, 'currentTimeMs'>; prisma: PrismaClient; taskQueue: string }) {
  return async (partnerId: string, due?: Date, queue = deps.taskQueue) => {
    const dueAt = due ?? new Date(await deps.env.currentTimeMs());
    const reviewId = `SOFTWARE-${partnerId}-2026`;
    const dedupeKey = `webhooks-test-${randomUUID()}`;
    await new MockActivityEnvironment({ taskQueue: queue }).run(deps.activities.enqueuePathReviewMessage, {
      topic: WINDOW_REMINDER_TOPIC,
      aggregateId: reviewId,
      dedupeKey,
      payload: { reviewId, pathId: 'SOFTWARE', partnerId, year: 2026, windowEndsAt: dueAt.toISOString(), daysBefore: 3 },
      dueAt: dueAt.toISOString(),
    });
    return deps.prisma.outbox.findUniqueOrThrow({ where: { dedupeKey } });
  };
}
