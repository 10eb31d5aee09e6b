/** One place that knows how to reach Temporal and what the cluster must provide (search attributes). */
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions, defaultGrpcRetryOptions, type GrpcRetryOptions, isRetryableError, makeGrpcRetryInterceptor, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import protos from '@temporalio/proto';
import type { Config } from './config.js';
import { searchAttributeTypes } from '../workflows/kit/search-attributes.js';

/** The settings that say how a connection is secured (docs/temporal-security.md). */
export type TemporalSecuritySettings = Partial<
  Pick<Config, 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA_PATH' | 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'>
>;

/**
 * What the client's Connection and the worker's NativeConnection both take to be secured: `tls` (absent: plain TCP, as
 * the dev server speaks) and `apiKey` (sent as `authorization: Bearer …` on every call).
 */
export type TemporalSecurity = { tls?: TLSConfig; apiKey?: string };

/**
 * The configuration turned into connection options, reading the certificate files once (at start: a missing file stops
 * the process naming its variable). TLS is on when TEMPORAL_TLS says so or any TLS file, the server name or an API key
 * is set (a CA or a client certificate only makes sense over TLS, and an API key must never travel in clear text);
 * without a CA the system's roots verify the server. A client certificate needs its key and the other way round.
 */
export function temporalSecurity(settings: TemporalSecuritySettings, readFile: (path: string) => Buffer = readFileSync): TemporalSecurity {
  const { TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key, TEMPORAL_TLS_SERVER_NAME: serverName, TEMPORAL_API_KEY: apiKey } = settings;
  if (Boolean(cert) !== Boolean(key)) {
    const [set, missing] = cert ? ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH'] : ['TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_CERT_PATH'];
    throw new Error(`${set} is set without ${missing}: mTLS needs the client certificate and its private key — set both, or neither.`);
  }
  const tlsOn = settings.TEMPORAL_TLS === true || Boolean(ca ?? cert ?? serverName ?? apiKey);
  if (!tlsOn) return {};
  const read = (variable: string, path: string) => {
    try {
      return readFile(path);
    } catch (error) {
      throw new Error(`${variable}: cannot read ${path} (${(error as Error).message})`);
    }
  };
  const tls: TLSConfig = {
    ...(ca ? { serverRootCACertificate: read('TEMPORAL_TLS_CA_PATH', ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: read('TEMPORAL_TLS_CERT_PATH', cert), key: read('TEMPORAL_TLS_KEY_PATH', key) } } : {}),
    ...(serverName ? { serverNameOverride: serverName } : {}),
  };
  return { tls, ...(apiKey ? { apiKey } : {}) };
}

/**
 * For the lead's cluster tests and for scripts: the security of a connection from certificate paths given directly
 * (mTLS when both `certPath` and `keyPath` are given).
 */
export const temporalSecurityFromFiles = (files: { caPath?: string; certPath?: string; keyPath?: string; serverName?: string; apiKey?: string }): TemporalSecurity =>
  temporalSecurity({
    TEMPORAL_TLS: true,
    ...(files.caPath ? { TEMPORAL_TLS_CA_PATH: files.caPath } : {}),
    ...(files.certPath ? { TEMPORAL_TLS_CERT_PATH: files.certPath } : {}),
    ...(files.keyPath ? { TEMPORAL_TLS_KEY_PATH: files.keyPath } : {}),
    ...(files.serverName ? { TEMPORAL_TLS_SERVER_NAME: files.serverName } : {}),
    ...(files.apiKey ? { TEMPORAL_API_KEY: files.apiKey } : {}),
  });

/**
 * The same from the environment as it is, for the tools that connect without the whole configuration (`npm start`'s
 * search-attribute registration on an existing cluster, the cluster scripts): the variables mean what they mean to the
 * API and the worker.
 */
export function temporalSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSecurity {
  const names = ['TEMPORAL_TLS_CA_PATH', 'TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY'] as const;
  const given = Object.fromEntries(names.filter((name) => env[name]).map((name) => [name, env[name]!])) as TemporalSecuritySettings;
  return temporalSecurity({ ...given, TEMPORAL_TLS: env.TEMPORAL_TLS === '1' || env.TEMPORAL_TLS === 'true' });
}

/** A client and its connection (schedules, the outbox sweeper, scripts), secured as configured, with the payload codec when given. */
export async function connectClient(
  address: string,
  namespace: string,
  { security = {}, dataConverter }: { security?: TemporalSecurity; dataConverter?: DataConverter } = {},
): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address, ...security });
  return { client: new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) }), connection };
}

/** gRPC FAILED_PRECONDITION. */
const FAILED_PRECONDITION = 9;

/**
 * The server's `WorkflowNotReady` on an update — "Unable to perform workflow execution update due to unexpected
 * workflow task failure" (or "… Workflow Task in failed state"): the workflow task that carried the update failed (under
 * load, timed out) before the update was accepted. Temporal means it to be retried; the request carries its update id,
 * so a retry the server had in fact admitted is the same update, never a second one. It arrives as FAILED_PRECONDITION,
 * which the SDK's default retry does not retry: left alone it became a 500.
 */
export const isUpdateNotReady = (status: { code: number; details?: string }) =>
  status.code === FAILED_PRECONDITION && /Unable to perform workflow execution update/.test(status.details ?? '');

/** The SDK's gRPC retry with `maxAttempts`, retrying an update the server was not ready for too. */
export function apiGrpcRetryOptions(maxAttempts: number): GrpcRetryOptions {
  const defaults = defaultGrpcRetryOptions({ maxAttempts });
  return { ...defaults, retryableDecider: (attempt, status) => attempt < maxAttempts && (isRetryableError(status) || isUpdateNotReady(status)) };
}

/**
 * The API's connection: lazy (the API starts, and answers 503 naming Temporal, while Temporal is unreachable; it
 * connects when it first can) and with a short gRPC retry — 5 attempts over about a second instead of the SDK's 10 over
 * about 30 s — so a caller hears 503 with Retry-After promptly instead of holding its request open; an update the
 * server was not ready for is retried the same way.
 */
export const apiConnectionOptions = (address: string, security: TemporalSecurity = {}): ConnectionOptions => ({
  address,
  ...security,
  interceptors: [makeGrpcRetryInterceptor(apiGrpcRetryOptions(5))],
});

/** Registers the custom search attributes (dev server and time-skipping server alike). Idempotent. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { IndexedValueType } = protos.temporal.api.enums.v1;
  const types = {
    Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  };
  // One at a time: a cluster that already has the older attributes must still get a newly added one.
  for (const [name, type] of Object.entries(searchAttributeTypes)) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: types[type] } });
    } catch (error) {
      // ALREADY_EXISTS (6) on a second start: the attribute is there, which is all we need.
      if ((error as { code?: number }).code !== 6) throw error;
    }
  }
}

/**
 * A connection that may call the time-skipping test server's TestService (clock control). The SDK only
 * exposes that through an internal option, the same one TestWorkflowEnvironment.createTimeSkipping uses.
 */
export async function connectTimeSkipping(address: string): Promise<Connection> {
  const { InternalConnectionOptionsSymbol } = await import('@temporalio/client/lib/connection.js');
  return Connection.connect({ address, [InternalConnectionOptionsSymbol]: { supportsTestService: true } } as Parameters<
    typeof Connection.connect
  >[0]);
}
