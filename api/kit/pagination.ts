/**
 * Keyset pagination for the list endpoints: a page is ordered by (sort key, id), and its `nextCursor` is the
 * base64url JSON `[key, id]` of the page's last row (a date key as an ISO instant). The next page is every row
 * after that pair in the same order, so rows written while a client pages never shift or repeat what it sees.
 *
 * A cursor is opaque to clients but parsed strictly: only what this API emits (a two-element array, a key of the
 * expected kind in a range PostgreSQL can compare, an id of the resource's shape) is accepted; anything else is
 * the 400 validation problem naming `query.cursor`, never a database error.
 */
import { problems } from '../../domain/problems.js';

export type SortKey = Date | number;
export type Direction = 'asc' | 'desc';
/** Reads a decoded JSON value back into a sort key, or undefined when it is not one this API emits. */
export type KeyKind<K extends SortKey> = (raw: unknown) => K | undefined;

const MAX_INSTANT_MS = Date.UTC(10000, 0, 1);

/** An instant from 1970 up to (not including) year 10000, as `toISOString()` wrote it. */
export const dateKey: KeyKind<Date> = (raw) => {
  if (typeof raw !== 'string') return undefined;
  const at = new Date(raw);
  return at.getTime() >= 0 && at.getTime() < MAX_INSTANT_MS ? at : undefined;
};

/** An integer within [min, max]. */
export const integerKey =
  (min: number, max: number): KeyKind<number> =>
  (raw) =>
    typeof raw === 'number' && Number.isInteger(raw) && raw >= min && raw <= max ? raw : undefined;

export function encodeCursor(key: SortKey, id: string): string {
  return encodeCursorValues([key instanceof Date ? key.toISOString() : key, id]);
}

export function decodeCursor<K extends SortKey>(cursor: string, kind: KeyKind<K>, isId: (id: string) => boolean): { key: K; id: string } {
  const [rawKey, id] = decodeCursorValues(cursor, 2);
  const key = kind(rawKey);
  if (key === undefined || typeof id !== 'string' || !isId(id)) throw invalidCursor();
  return { key, id };
}

/** The 400 a cursor this API did not write answers (naming `query.cursor`). */
export const invalidCursor = () => problems.validation([{ field: 'query.cursor', message: 'not a cursor returned by this API' }]);

/** A cursor of several sort values (a list ordered by more than one key): opaque base64url JSON. */
export function encodeCursorValues(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The `length` values a cursor holds, unchecked (the caller checks each with its KeyKind), or the invalid-cursor 400. */
export function decodeCursorValues(cursor: string, length: number): unknown[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== length) throw invalidCursor();
  return decoded;
}

/** The first `limit` of `rows` (fetched with `take: limit + 1`), and a cursor after the last when more follow. */
export function page<R>(rows: R[], limit: number, cursorOf: (row: R) => string): { items: R[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

const beyond = (direction: Direction) => (direction === 'desc' ? 'lt' : 'gt');

/**
 * One list's keyset: the sort field, its key kind, the shape of its ids, and the direction of each column.
 * `orderBy`, `after` (the Prisma condition for "after this cursor") and `page` agree on that order by construction.
 */
export function keyset<F extends string, K extends SortKey>(
  field: F,
  { key, isId, order = { key: 'desc', id: 'desc' } }: { key: KeyKind<K>; isId: (id: string) => boolean; order?: { key: Direction; id: Direction } },
) {
  type Row = Record<F, K> & { id: string };
  return {
    orderBy: [{ [field]: order.key } as Record<F, Direction>, { id: order.id }],

    /** The `where` part selecting the rows after `cursor` (nothing without one); a malformed cursor throws the 400. */
    after(cursor: string | undefined) {
      if (!cursor) return {};
      const at = decodeCursor(cursor, key, isId);
      return {
        OR: [
          { [field]: { [beyond(order.key)]: at.key } } as Record<F, { lt?: K; gt?: K }>,
          { [field]: at.key, id: { [beyond(order.id)]: at.id } } as Record<F, K> & { id: { lt?: string; gt?: string } },
        ],
      };
    },

    page: <R extends Row>(rows: R[], limit: number) => page(rows, limit, (r) => encodeCursor(r[field], r.id)),
  };
}
