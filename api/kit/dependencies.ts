/**
 * Telling an outage from a bug. A request that fails because PostgreSQL or Temporal cannot be reached (refused,
 * reset, pool or socket timeout, shutting down, too many connections) answers 503 problem+json with Retry-After and
 * the dependency's name — never 500 — so a client knows to retry (with the same Idempotency-Key) rather than report a
 * bug. Everything else stays a 500.
 */
import { Problem } from '../../domain/problems.js';
import { isUpdateNotReady } from '../../platform/temporal.js';

export type Dependency = 'database' | 'temporal';

/** How long a client should wait before retrying after an outage answer. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

// Prisma's own codes for "cannot reach / lost / timed out / too many connections", and P2028: a transaction that could
// not start within its wait for a pooled connection, or ran out of its time (rolled back) — the database too busy to
// serve it now, not a bug; the transaction did nothing, so a retry is safe.
const PRISMA_UNREACHABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);
// The driver adapter's kinds (@prisma/adapter-pg) for the same.
const ADAPTER_UNREACHABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
// SQLSTATE: class 08 (connection exception), 57P01–57P03 (admin / crash shutdown, cannot connect now), 53300 (too many).
const SQLSTATE_UNREACHABLE = /^(08...|57P0[123]|53300)$/;
// node-postgres raises these without a code: the server went away mid-query, or the pool could not connect in time.
const PG_UNREACHABLE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/;
// gRPC status codes from the Temporal frontend: UNAVAILABLE (14), and RESOURCE_EXHAUSTED (8) when it sheds load.
const GRPC_UNAVAILABLE = new Set([8, 14]);

type Shape = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };

function databaseDown(error: Shape): boolean {
  if (typeof error.code === 'string' && PRISMA_UNREACHABLE.has(error.code)) return true;
  const adapter = (error.meta?.driverAdapterError ?? (error.name === 'DriverAdapterError' ? error : undefined)) as Shape | undefined;
  const cause = adapter?.cause as { kind?: string; code?: string } | undefined;
  if (cause?.kind && ADAPTER_UNREACHABLE.has(cause.kind)) return true;
  if (cause?.kind === 'postgres' && typeof cause.code === 'string' && SQLSTATE_UNREACHABLE.test(cause.code)) return true;
  return typeof error.message === 'string' && PG_UNREACHABLE.test(error.message);
}

// @temporalio/client's ServiceError carries the gRPC error as its cause; a raw call (health probe) throws it directly.
// The API's own namespace "not found" is a Temporal that cannot serve it yet — measured right after a restart of the
// real server (npm run chaos), while its namespace cache loads — or a misconfigured namespace: either way nothing the
// caller did, and retrying is right (the log says which).
// An update the server was not ready for (its workflow task failed; platform/temporal.ts isUpdateNotReady), still so
// after the connection's retries: Temporal cannot take it now, and a retry is what it asks for.
const temporalDown = (error: Shape & { details?: unknown }) =>
  (typeof error.code === 'number' && GRPC_UNAVAILABLE.has(error.code)) ||
  (typeof error.code === 'number' && isUpdateNotReady({ code: error.code, details: typeof error.details === 'string' ? error.details : String(error.message ?? '') })) || error.name === 'NamespaceNotFoundError' || (typeof error.message === 'string' && /^Namespace \S+ is not found\.?$/.test(error.message));

/** Which dependency's outage caused this error (searching its causes), or undefined for anything else. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  for (let current = error as Shape | undefined, depth = 0; current && typeof current === 'object' && depth < 8; depth++) {
    if (databaseDown(current)) return 'database';
    if (temporalDown(current)) return 'temporal';
    current = current.cause as Shape | undefined;
  }
  return undefined;
}

export function dependencyProblem(dependency: Dependency): Problem {
  const what = dependency === 'database' ? 'The database' : 'The workflow engine (Temporal)';
  return new Problem(
    503,
    'dependency-unavailable',
    'Service unavailable',
    `${what} cannot be reached right now. Retry after ${OUTAGE_RETRY_AFTER_SECONDS} s; a write retried with the same Idempotency-Key takes effect at most once.`,
    undefined,
    { dependency, retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS },
  );
}
