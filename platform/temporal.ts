/** One place that knows how to reach Temporal and what the cluster must provide (search attributes). */
import { Client, Connection, type ConnectionOptions, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import protos from '@temporalio/proto';
import { searchAttributeTypes } from '../workflows/kit/search-attributes.js';

export async function connectClient(address: string, namespace: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace }), connection };
}

/**
 * The API's connection: lazy (the API starts, and answers 503 naming Temporal, while Temporal is unreachable; it
 * connects when it first can) and with a short gRPC retry — 5 attempts over about a second instead of the SDK's 10 over
 * about 30 s — so a caller hears 503 with Retry-After promptly instead of holding its request open.
 */
export const apiConnectionOptions = (address: string): ConnectionOptions => ({
  address,
  interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 5 }))],
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
