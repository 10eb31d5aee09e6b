/**
 * Recording a process's numbered transition once. The workflow numbers every transition (`seq`) and each process's
 * history table is unique on (aggregate id, seq), so a retried activity finds its own history row and writes nothing
 * twice; a new aggregate's row is unique on its id the same way.
 */
import type { PrismaClient } from '../../platform/db.js';
import type { Prisma } from '../../prisma/generated/client.js';

export type Tx = Prisma.TransactionClient;

/**
 * In one transaction: `claim` inserts the row that makes this write unique (a transition's history row, or a new
 * partner-facing aggregate's row) with skipDuplicates; only when it did insert does `effects` write the rest. A retry,
 * or a concurrent first write, finds the row there and writes nothing more.
 */
export async function recordOnce(prisma: PrismaClient, claim: (tx: Tx) => Promise<{ count: number }>, effects: (tx: Tx) => Promise<unknown>): Promise<void> {
  await prisma.$transaction(async (tx) => {
    if ((await claim(tx)).count === 0) return; // a retry: already recorded
    await effects(tx);
  });
}
