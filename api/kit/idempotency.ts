/** Idempotency-Key support for POSTs that create something: same principal + same key → the same resource id. */
import { createHash, randomUUID } from 'node:crypto';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';

/**
 * Same scope + same key → the id reserved by the first request; a different body is refused (422). Pass a
 * transaction client to make the reservation part of the creation (a refused creation then reserves nothing).
 */
export async function reserveIdempotentId(prisma: PrismaClient | Prisma.TransactionClient, scope: string, key: string, request: unknown): Promise<string> {
  return (await reserveIdempotency(prisma, scope, key, request)).id;
}

/** reserveIdempotentId, also telling whether the key was reserved before (`replay`: this request is a retry). */
export async function reserveIdempotency(
  prisma: PrismaClient | Prisma.TransactionClient,
  scope: string,
  key: string,
  request: unknown,
): Promise<{ id: string; replay: boolean }> {
  const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  // A new key (the common case) is one statement: the row comes back only when this request inserted it.
  const [inserted] = await prisma.idempotencyKey.createManyAndReturn({ data: [{ scope, key, requestHash, resourceId: randomUUID() }], skipDuplicates: true });
  if (inserted) return { id: inserted.resourceId, replay: false };
  const stored = await prisma.idempotencyKey.findUniqueOrThrow({ where: { scope_key: { scope, key } } });
  if (stored.requestHash !== requestHash) {
    throw problems.unprocessable('idempotency-key-reused', 'This Idempotency-Key was already used with a different request body.', 'Idempotency-Key');
  }
  return { id: stored.resourceId, replay: true };
}
