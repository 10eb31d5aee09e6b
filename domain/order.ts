/**
 * Marketplace orders and their price adjustment (issue 18 section 5, 交易调价): the pure rules. The marketplace feeds
 * its orders; the order's salesperson partner may adjust the unit price of an order still waiting for payment, to a
 * price between the floor and the list unit price (both inclusive), in the order's currency. Payment freezes the price.
 * The same rules are enforced again by the database (prisma/migrations/0029_marketplace_order.sql).
 */
import type { Money } from './money.js';

/** An order's states: PENDING_PAYMENT → PAID | CANCELLED, PAID → REFUNDED. CANCELLED and REFUNDED end it. */
export const ORDER_STATES = ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** Where each state may go next: the marketplace's lifecycle, one step at a time or several (PENDING_PAYMENT → REFUNDED). */
const NEXT: Record<OrderState, readonly OrderState[]> = {
  PENDING_PAYMENT: ['PAID', 'CANCELLED'],
  PAID: ['REFUNDED'],
  CANCELLED: [],
  REFUNDED: [],
};

/** Every state reachable from `from` by one or more moves. */
export function reachableFrom(from: OrderState): Set<OrderState> {
  const seen = new Set<OrderState>();
  const visit = (state: OrderState) => {
    for (const next of NEXT[state]) {
      if (!seen.has(next)) {
        seen.add(next);
        visit(next);
      }
    }
  };
  visit(from);
  return seen;
}

/**
 * What a fed state means for an order in state `current`:
 * - `same`: nothing changes (the marketplace fed it again);
 * - `forward`: the order moves to it (through states it may have skipped, e.g. PAID then REFUNDED fed as REFUNDED);
 * - `stale`: it is a state the order already left (a delayed message: PAID cannot go back to PENDING_PAYMENT);
 * - `contradicts`: no path leads there (a CANCELLED order cannot be PAID, a PAID one cannot be CANCELLED).
 */
export type StateMove = 'same' | 'forward' | 'stale' | 'contradicts';
export function stateMove(current: OrderState, fed: OrderState): StateMove {
  if (current === fed) return 'same';
  if (reachableFrom(current).has(fed)) return 'forward';
  if (reachableFrom(fed).has(current)) return 'stale';
  return 'contradicts';
}

/** Only an order waiting for payment has a price that may move: payment (or its end) freezes it. */
export const priceAdjustable = (state: OrderState) => state === 'PENDING_PAYMENT';

/** The marketplace's order id: letters and digits first, then also `.`, `_` and `-`, at most 64 characters. */
export const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type PriceBounds = { currency: string; floorUnitPrice: number; listUnitPrice: number };

/**
 * Why `unitPrice` may not be this order's unit price, or undefined: another currency than the order's, or a bound it
 * breaks (below the floor, above the list price; both bounds are allowed).
 */
export type PriceRefusal =
  | { kind: 'currency'; field: 'unitPrice.currency'; message: string }
  | { kind: 'bound'; bound: 'floor' | 'list'; field: 'unitPrice'; limit: number; message: string };
export function priceRefusal(order: PriceBounds, unitPrice: Money): PriceRefusal | undefined {
  if (unitPrice.currency !== order.currency) {
    return { kind: 'currency', field: 'unitPrice.currency', message: `must be the order's currency, ${order.currency} (not ${unitPrice.currency})` };
  }
  if (unitPrice.minor < order.floorUnitPrice) {
    return { kind: 'bound', bound: 'floor', field: 'unitPrice', limit: order.floorUnitPrice, message: `must not be below the floor unit price, ${order.floorUnitPrice} minor units of ${order.currency}` };
  }
  if (unitPrice.minor > order.listUnitPrice) {
    return { kind: 'bound', bound: 'list', field: 'unitPrice', limit: order.listUnitPrice, message: `must not be above the list unit price, ${order.listUnitPrice} minor units of ${order.currency}` };
  }
  return undefined;
}

/** unitPrice × quantity in minor units, refused (thrown) beyond 2^53 − 1 rather than rounded. */
export function totalOf(unitPrice: number, quantity: number): number {
  const total = BigInt(unitPrice) * BigInt(quantity);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`order total ${total} exceeds 2^53 - 1 minor units`);
  return Number(total);
}

/** The strong ETag of an order's version, and the version an If-Match header names (undefined: not one strong ETag). */
export const etagOf = (version: number) => `"${version}"`;
export function versionOfIfMatch(header: string): number | undefined {
  const match = /^"([1-9][0-9]{0,8})"$/.exec(header.trim());
  return match ? Number(match[1]) : undefined;
}
