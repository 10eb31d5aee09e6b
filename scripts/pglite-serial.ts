/**
 * A fix for @electric-sql/pglite-socket 0.2.17, which serves several connections from one PGlite by queueing their
 * protocol messages one at a time. Outside a transaction it takes the next message from any connection, so one
 * connection's extended-query exchange (Parse, Bind, Describe, Execute … Sync) can be split by another's: the other
 * connection's Parse replaces the unnamed statement ("unnamed prepared statement does not exist") or takes the
 * responses meant for the first (a query answered with another query's rows). This keeps serving the connection
 * whose exchange is open until its Sync (or a simple Query) closes it — and, as before, the one inside a
 * transaction until it ends. Replaces the queue's processQueue/clearQueueForHandler on the given server instance.
 */
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

type Queued = { handlerId: number; message: Uint8Array; resolve: (bytes: number) => void; reject: (error: unknown) => void; onData: (data: Uint8Array) => void };
type QueryQueue = {
  db: { isInTransaction(): boolean; runExclusive<T>(fn: () => Promise<T>): Promise<T>; execProtocolRawStream(m: Uint8Array, o: { onRawData: (d: Uint8Array) => void }): Promise<unknown> };
  queue: Queued[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
};

/** Message types that continue an extended-query exchange; Sync ('S') ends it, as does a simple Query ('Q'). */
const CONTINUES_EXCHANGE = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

export function serializeExchanges(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== 'function') {
    throw new Error('pglite-socket internals changed: check whether scripts/pglite-serial.ts is still needed');
  }
  let openExchange = false;

  q.processQueue = async function processQueue() {
    if (q.processing || q.queue.length === 0) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        let item: Queued | undefined;
        if ((openExchange || q.db.isInTransaction()) && q.lastHandlerId !== null) {
          const index = q.queue.findIndex((m) => m.handlerId === q.lastHandlerId);
          if (index === -1) break; // wait for that connection's next message; its enqueue runs us again
          item = q.queue.splice(index, 1)[0]!;
        } else {
          item = q.queue.shift()!;
        }
        let bytes = 0;
        try {
          await q.db.runExclusive(() => q.db.execProtocolRawStream(item.message, { onRawData: (d) => ((bytes += d.length), item.onData(d)) }));
        } catch (error) {
          openExchange = false;
          item.reject(error);
          continue;
        }
        q.lastHandlerId = item.handlerId;
        openExchange = CONTINUES_EXCHANGE.has(item.message[0]!);
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };

  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    // A connection gone mid-exchange must not hold the others back.
    if (q.lastHandlerId === handlerId) openExchange = false;
    void q.processQueue();
  };
}
