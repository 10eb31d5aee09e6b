/**
 * The rate limits' counters in PostgreSQL, shared by every API replica (RATE_LIMIT_STORE=postgres): with the default
 * in-memory store each replica counts alone, so N replicas behind a load balancer let a caller through N times the limit.
 *
 * A fixed window per key, counted by ONE upsert statement whose window comes from the database's clock — replicas
 * whose clocks differ still agree on the window and the reset time. The counters live in an UNLOGGED table (0035): a
 * crash of the database loses at most a minute's counts, which costs nothing worth the write-ahead log. Windows
 * that have ended are deleted now and then by the replica that happens to count.
 *
 * Considered instead: @acpr/rate-limit-postgresql, the store express-rate-limit lists for PostgreSQL — it takes an
 * ACCESS EXCLUSIVE lock on its sessions table for every request (every request of every replica waits in one queue),
 * needs the uuid-ossp extension, and brings its own pg 8.11 pool and migration runner (docs/dependencies.md).
 */
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { PrismaClient } from '../../platform/db.js';

/** How often (in counted requests, on average) a replica deletes the windows that have ended. */
const SWEEP_EVERY = 500;

export class PostgresRateLimitStore implements Store {
  /** Not local: every replica reads and writes the same counters. */
  readonly localKeys = false;
  private windowMs = 60_000;

  /** `prefix` keeps two limiters' keys apart (the per-address and the per-caller limit share the table). */
  constructor(
    private readonly prisma: PrismaClient,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const rows = await this.prisma.$queryRaw<{ hits: number; reset_at: Date }[]>`
      WITH w AS (SELECT to_timestamp(floor(extract(epoch FROM clock_timestamp()) * 1000 / ${this.windowMs}) * ${this.windowMs}::float8 / 1000) AS start)
      INSERT INTO rate_limit_hit AS r (key, window_start, hits)
      SELECT ${this.prefix + key}, w.start, 1 FROM w
      ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1
      RETURNING r.hits, r.window_start + make_interval(secs => ${this.windowMs}::float8 / 1000) AS reset_at`;
    if (Math.random() * SWEEP_EVERY < 1) await this.sweep();
    const row = rows[0]!;
    return { totalHits: row.hits, resetTime: row.reset_at };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const rows = await this.prisma.$queryRaw<{ hits: number; reset_at: Date }[]>`
      SELECT hits, window_start + make_interval(secs => ${this.windowMs}::float8 / 1000) AS reset_at FROM rate_limit_hit
      WHERE key = ${this.prefix + key} AND window_start + make_interval(secs => ${this.windowMs}::float8 / 1000) > clock_timestamp()
      ORDER BY window_start DESC LIMIT 1`;
    return rows[0] ? { totalHits: rows[0].hits, resetTime: rows[0].reset_at } : undefined;
  }

  /** express-rate-limit's skipSuccessfulRequests / skipFailedRequests take a hit back (not used today; correct anyway). */
  async decrement(key: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE rate_limit_hit SET hits = greatest(hits - 1, 0)
      WHERE key = ${this.prefix + key} AND window_start + make_interval(secs => ${this.windowMs}::float8 / 1000) > clock_timestamp()`;
  }

  async resetKey(key: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM rate_limit_hit WHERE key = ${this.prefix + key}`;
  }

  /** Deletes the windows that have ended (of every key and prefix: the longest window is a minute). */
  async sweep(): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM rate_limit_hit WHERE window_start < clock_timestamp() - make_interval(secs => ${(2 * this.windowMs) / 1000}::float8)`;
  }
}
