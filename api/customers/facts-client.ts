/**
 * Customer accounts: the facts the cloud's systems feed (customer_fact, append-only, the twin of the partner's facts in
 * api/account) and the associations customers hold with partners (customer_association). No workflow: the facts are
 * other systems' records, written as they arrive; associations are written by the customer report's acceptance.
 *
 * Only the feeding machine identity (account.feed) writes, with an Idempotency-Key, one request in one transaction (a
 * refused one writes nothing, its key included). The vendor (account.readAll) reads a customer; a partner reads the
 * list of its own associated customers (another partner's answers 404, as if it did not exist).
 */
import { canSeePartner, type Principal } from '../../domain/auth.js';
import type { CustomerFactKind } from '../../domain/customer.js';
import { accountFacts } from '../../platform/customer-queries.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { isUuid } from '../kit/validation.js';
import type { CustomerAssociationView, CustomerFactChangeView, CustomerView } from './schemas.js';

export type CustomerFactInput = { kind: CustomerFactKind; value: Record<string, unknown>; observedAt: string };
export type CustomerFactFeed = { source: string; facts: CustomerFactInput[] };

type FactRow = { id: bigint; customerId: string; kind: string; value: Record<string, unknown>; source: string; observedAt: Date; receivedAt: Date };
const factView = (r: FactRow): CustomerFactChangeView => ({
  id: r.id.toString(),
  customerId: r.customerId,
  kind: r.kind as CustomerFactKind,
  value: r.value,
  source: r.source,
  observedAt: r.observedAt.toISOString(),
  receivedAt: r.receivedAt.toISOString(),
});

type AssociationRow = Prisma.CustomerAssociationGetPayload<object>;
export const associationView = (r: AssociationRow): CustomerAssociationView => ({
  associationId: r.id,
  partnerId: r.partnerId,
  customerId: r.customerId,
  creditCode: r.creditCode,
  mode: r.mode as CustomerAssociationView['mode'],
  associatedAt: r.associatedAt.toISOString(),
  reportId: r.reportId,
});

const NEWEST_FIRST = keyset('associatedAt', { key: dateKey, isId: isUuid });

export function createCustomerFactsClient({ prisma }: { prisma: PrismaClient }) {
  const run = <T>(sql: string, ...params: unknown[]) => prisma.$queryRawUnsafe<T[]>(sql, ...params);

  return {
    async feedFacts(principal: Principal, customerId: string, feed: CustomerFactFeed, idempotencyKey: string | undefined): Promise<{ feedId: string; items: CustomerFactChangeView[] }> {
      if (idempotencyKey === undefined) throw problems.validation([{ field: 'Idempotency-Key', message: 'required: a feed is retried safely only with one' }]);
      return prisma.$transaction(async (tx) => {
        const { id: feedId, replay } = await reserveIdempotency(tx, `${principal.sub} POST /v1/customers/${customerId}/facts`, idempotencyKey, feed);
        if (!replay) {
          for (const f of feed.facts) {
            await tx.$executeRawUnsafe(
              `INSERT INTO customer_fact (customer_id, kind, value, credit_code, source, observed_at, feed_id, actor) VALUES ($1, $2, $3::jsonb, $4, $5, $6::timestamptz, $7, $8)`,
              customerId, f.kind, JSON.stringify(f.value), f.kind === 'ENTERPRISE' ? String(f.value.creditCode) : null, feed.source, f.observedAt, feedId, principal.sub,
            );
          }
        }
        const rows = await tx.$queryRawUnsafe<FactRow[]>(
          `SELECT id, customer_id AS "customerId", kind, value, source, observed_at AS "observedAt", received_at AS "receivedAt" FROM customer_fact WHERE feed_id = $1 ORDER BY id`,
          feedId,
        );
        return { feedId, items: rows.map(factView) };
      });
    },

    /** The customer's current facts and open association (a customer never fed and never associated is not found). */
    async getCustomer(customerId: string): Promise<CustomerView> {
      const [facts, association] = await Promise.all([accountFacts(run, customerId), prisma.customerAssociation.findUnique({ where: { openCustomerId: customerId } })]);
      const { customerId: _, ...kinds } = facts;
      if (!association && Object.values(kinds).every((v) => v === null)) throw problems.notFound(`Customer ${customerId}`);
      return { customerId, facts: kinds as CustomerView['facts'], association: association ? associationView(association) : null };
    },

    /** The partner's open associations, newest first (keyset pages). */
    async listPartnerCustomers(principal: Principal, partnerId: string, query: { limit: number; cursor?: string | undefined }) {
      if (!canSeePartner(principal, partnerId, 'account.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const rows = await prisma.customerAssociation.findMany({
        where: { partnerId, unlinkedAt: null, ...NEWEST_FIRST.after(query.cursor) },
        orderBy: NEWEST_FIRST.orderBy,
        take: query.limit + 1,
      });
      const { items, nextCursor } = NEWEST_FIRST.page(rows, query.limit);
      return { items: items.map(associationView), nextCursor };
    },
  };
}

export type CustomerFactsClient = ReturnType<typeof createCustomerFactsClient>;
