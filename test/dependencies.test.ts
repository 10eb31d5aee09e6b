/**
 * Telling an outage from a bug (api/kit/dependencies.ts): the errors the database and Temporal raise while they are
 * down or just restarted — shapes captured from real failures — are 503s naming the dependency; a missing workflow or
 * a constraint violation are not outages.
 */
import { NamespaceNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { unavailableDependency } from '../api/kit/dependencies.js';
import { apiGrpcRetryOptions } from '../platform/temporal.js';

const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });

describe('unavailableDependency', () => {
  it('Temporal unreachable or shedding load (gRPC UNAVAILABLE, RESOURCE_EXHAUSTED) is Temporal', () => {
    expect(unavailableDependency(grpc(14, 'UNAVAILABLE: No connection established'))).toBe('temporal');
    expect(unavailableDependency(Object.assign(new Error('service error'), { cause: grpc(8, 'RESOURCE_EXHAUSTED') }))).toBe('temporal');
  });

  it("the API's namespace not found — the real server just restarted, its namespace cache loading (npm run chaos) — is Temporal", () => {
    // As the client raised it on the cluster: "Namespace default is not found." caused by the gRPC NOT_FOUND.
    const seen = Object.assign(new Error('Namespace default is not found.'), { cause: grpc(5, 'NOT_FOUND: Update-with-Start could not be executed.') });
    expect(unavailableDependency(seen)).toBe('temporal');
    expect(unavailableDependency(new NamespaceNotFoundError('default'))).toBe('temporal');
  });

  // As the server answered an update whose workflow task failed under load (FAILED_PRECONDITION, its WorkflowNotReady).
  const notReady = 'Unable to perform workflow execution update due to unexpected workflow task failure.';

  it("an update the server was not ready for is retried by the API's connection, and after its retries is Temporal's (503)", () => {
    const { retryableDecider } = apiGrpcRetryOptions(5);
    const status = (code: number, details: string) => ({ code, details, metadata: undefined as never });
    expect(retryableDecider(1, status(9, notReady))).toBe(true);
    expect(retryableDecider(1, status(9, 'Unable to perform workflow execution update due to Workflow Task in failed state.'))).toBe(true);
    expect(retryableDecider(5, status(9, notReady))).toBe(false); // the last attempt
    expect(retryableDecider(1, status(9, 'Workflow execution already completed.'))).toBe(false); // another precondition: the caller's
    expect(retryableDecider(1, status(14, 'UNAVAILABLE'))).toBe(true);
    expect(unavailableDependency(Object.assign(new Error('Workflow Update failed'), { cause: grpc(9, notReady) }))).toBe('temporal');
    expect(unavailableDependency(Object.assign(new Error('Workflow Update failed'), { cause: grpc(9, 'Workflow execution already completed.') }))).toBeUndefined();
  });

  it('a workflow not found (gRPC NOT_FOUND of another kind) and a plain bug are no outage', () => {
    expect(unavailableDependency(grpc(5, 'NOT_FOUND: workflow not found for ID: opportunity-1'))).toBeUndefined();
    expect(unavailableDependency(new Error('Namespaces are fun'))).toBeUndefined();
    expect(unavailableDependency(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
  });

  it('the database refusing connections or shutting down is the database', () => {
    expect(unavailableDependency(Object.assign(new Error('terminating connection due to administrator command'), { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57P01' } }))).toBe('database');
    expect(unavailableDependency(Object.assign(new Error('x'), { code: 'P1001' }))).toBe('database');
  });

  it('a transaction that cannot start in its wait for a connection (P2028, as Prisma raised it in a burst) is the database', () => {
    expect(unavailableDependency(Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { name: 'PrismaClientKnownRequestError', code: 'P2028', meta: {} }))).toBe('database');
  });
});
