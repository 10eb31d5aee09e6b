/**
 * The chaos harness's HTTP client: what a well-behaved caller of a replicated partnerflow does. Requests go round-robin
 * over the API replicas; a connection that fails (a replica killed mid-request) is retried on the next replica, and a
 * 503 or 429 after its Retry-After — each time with the SAME Idempotency-Key, so a retried write has one outcome.
 * Every answer is counted by status: the harness's verdict needs "0 answers 500", and the 503s (with or without
 * Retry-After, as problem+json or not) are reported, not hidden by the retries.
 */
import { randomUUID } from 'node:crypto';

export type Tally = {
  byStatus: Map<number, number>;
  /** Answers 500 (or any 5xx other than 503), with what they said: each one fails the run. */
  serverErrors: string[];
  /** 503s without Retry-After or not problem+json: each one fails the run too. */
  badUnavailable: string[];
  connectionFailures: number;
  retried: number;
};

export const newTally = (): Tally => ({ byStatus: new Map(), serverErrors: [], badUnavailable: [], connectionFailures: 0, retried: 0 });

export type Answer = { status: number; body: unknown; headers: Headers };

export function replicaClient(apis: string[], tally: Tally, { giveUpMs = 180_000 }: { giveUpMs?: number } = {}) {
  let next = 0;
  /**
   * One logical request, retried until it gets an answer that is not 503/429 and not a lost connection (or `giveUpMs`
   * passes). Writes carry one Idempotency-Key across the retries (given, or made here).
   */
  async function send(method: string, path: string, token: string, body?: unknown, idempotencyKey?: string): Promise<Answer> {
    const key = method === 'GET' ? undefined : (idempotencyKey ?? randomUUID());
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) tally.retried++;
      const base = apis[next++ % apis.length]!;
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { 'idempotency-key': key } : {}) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch {
        tally.connectionFailures++;
        if (Date.now() - started > giveUpMs) throw new Error(`${method} ${path}: no replica answered within ${giveUpMs / 1000} s`);
        await pause(200);
        continue;
      }
      const text = await res.text();
      const parsed = text ? safeJson(text) : undefined;
      tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
      if (res.status >= 500 && res.status !== 503) tally.serverErrors.push(`${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
      if (res.status === 503 || res.status === 429) {
        const retryAfter = Number(res.headers.get('retry-after'));
        const problem = (res.headers.get('content-type') ?? '').startsWith('application/problem+json');
        if (res.status === 503 && (!retryAfter || !problem)) tally.badUnavailable.push(`${method} ${path} → 503 retry-after=${res.headers.get('retry-after')} ${res.headers.get('content-type')}`);
        if (Date.now() - started > giveUpMs) return { status: res.status, body: parsed, headers: res.headers };
        await pause(Math.min(5, retryAfter || 1) * 1000);
        continue;
      }
      return { status: res.status, body: parsed, headers: res.headers };
    }
  }
  return { send };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Runs `work` over `items`, `lanes` at a time. */
export async function inLanes<T, R>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (i < items.length) {
        const index = i++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}
