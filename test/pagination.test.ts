/**
 * Keyset pagination (api/kit/pagination.ts): the cursor format the list endpoints have always emitted, the 400 a
 * malformed cursor answers, the page cut, and the Prisma condition for "after this cursor" in either direction.
 */
import { describe, expect, it } from 'vitest';
import { dateKey, decodeCursor, encodeCursor, integerKey, keyset, page } from '../api/kit/pagination.js';
import { Problem } from '../domain/problems.js';
import { isUuid } from '../api/kit/validation.js';

const ID = '0b7c9f4e-2a51-4c1e-9d3b-6f0a8e2c1d45';
const AT = new Date('2024-05-01T10:00:00.000Z');
const year = integerKey(2000, 9999);
const reviewId = (id: string) => /^[A-Za-z0-9_-]{1,200}$/.test(id);
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectCursorProblem(decode: () => unknown) {
  let thrown: unknown;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Problem);
  expect(thrown).toMatchObject({ status: 400, code: 'validation-error', errors: [{ field: 'query.cursor', message: 'not a cursor returned by this API' }] });
}

describe('cursor encoding', () => {
  it('round-trips a date key and an id', () => {
    expect(decodeCursor(encodeCursor(AT, ID), dateKey, isUuid)).toEqual({ key: AT, id: ID });
  });

  it('round-trips a number key and an id', () => {
    expect(decodeCursor(encodeCursor(2024, 'partner-path-acme-2024'), year, reviewId)).toEqual({ key: 2024, id: 'partner-path-acme-2024' });
  });

  it('keeps the format the list endpoints emitted before (base64url JSON [key, id]), so old cursors still decode', () => {
    expect(encodeCursor(AT, ID)).toBe('WyIyMDI0LTA1LTAxVDEwOjAwOjAwLjAwMFoiLCIwYjdjOWY0ZS0yYTUxLTRjMWUtOWQzYi02ZjBhOGUyYzFkNDUiXQ');
    expect(encodeCursor(2024, 'partner-path-acme-2024')).toBe('WzIwMjQsInBhcnRuZXItcGF0aC1hY21lLTIwMjQiXQ');
    expect(decodeCursor('WzIwMjQsInBhcnRuZXItcGF0aC1hY21lLTIwMjQiXQ', year, reviewId).key).toBe(2024);
  });

  it.each([
    ['not base64 (nor JSON once decoded)', '!!!not-a-cursor!!!'],
    ['base64 of something not JSON', Buffer.from('nope').toString('base64url')],
    ['an empty string', ''],
    ['JSON that is not an array', raw({ at: AT.toISOString(), id: ID })],
    ['a string (iterable, but not a pair)', raw('ab')],
    ['null', raw(null)],
    ['one element', raw([AT.toISOString()])],
    ['three elements', raw([AT.toISOString(), ID, 'extra'])],
    ['the pair swapped', raw([ID, AT.toISOString()])],
    ['a number for the date', raw([0, ID])],
    ['null for the date', raw([null, ID])],
    ['an array for the date', raw([[AT.toISOString()], ID])],
    ['a date that is not one', raw(['2024-13-45T99:00:00Z', ID])],
    ['a date before 1970', raw(['1969-12-31T23:59:59.999Z', ID])],
    ['a date from year 10000 on', raw(['+010000-01-01T00:00:00.000Z', ID])],
    ['a number for the id', raw([AT.toISOString(), 42])],
    ['an id of the wrong shape', raw([AT.toISOString(), 'not-a-uuid'])],
  ])('refuses %s with the validation problem naming query.cursor (date key)', (_, cursor) => {
    expectCursorProblem(() => decodeCursor(cursor, dateKey, isUuid));
  });

  it.each([
    ['a string for the year', raw(['2024', 'partner-path-acme-2024'])],
    ['a fractional year', raw([2024.5, 'partner-path-acme-2024'])],
    ['a year below the range', raw([1999, 'partner-path-acme-1999'])],
    ['a year above the range', raw([10000, 'partner-path-acme-10000'])],
    ['an id with characters no review id has', raw([2024, "x' OR 1=1 --"])],
  ])('refuses %s with the validation problem naming query.cursor (number key)', (_, cursor) => {
    expectCursorProblem(() => decodeCursor(cursor, year, reviewId));
  });
});

describe('page', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));
  const cursorOf = (r: { n: number }) => `after-${r.n}`;

  it('answers every row and no cursor when fewer rows than the limit came back', () => {
    expect(page(rows(2), 3, cursorOf)).toEqual({ items: rows(2), nextCursor: null });
  });

  it('answers every row and no cursor when exactly the limit came back (nothing follows)', () => {
    expect(page(rows(3), 3, cursorOf)).toEqual({ items: rows(3), nextCursor: null });
  });

  it('cuts at the limit and points after the last answered row when more came back', () => {
    expect(page(rows(4), 3, cursorOf)).toEqual({ items: rows(3), nextCursor: 'after-2' });
  });

  it('answers an empty page for no rows', () => {
    expect(page([], 3, cursorOf)).toEqual({ items: [], nextCursor: null });
  });
});

describe('keyset', () => {
  it('orders newest first by default, and selects what sorts after the cursor in that order', () => {
    const newestFirst = keyset('createdAt', { key: dateKey, isId: isUuid });
    expect(newestFirst.orderBy).toEqual([{ createdAt: 'desc' }, { id: 'desc' }]);
    expect(newestFirst.after(undefined)).toEqual({});
    expect(newestFirst.after(encodeCursor(AT, ID))).toEqual({ OR: [{ createdAt: { lt: AT } }, { createdAt: AT, id: { lt: ID } }] });
  });

  it('follows a different direction per column (newest year first, ids ascending within a year)', () => {
    const byYear = keyset('year', { key: year, isId: reviewId, order: { key: 'desc', id: 'asc' } });
    expect(byYear.orderBy).toEqual([{ year: 'desc' }, { id: 'asc' }]);
    expect(byYear.after(encodeCursor(2024, 'p-x-2024'))).toEqual({ OR: [{ year: { lt: 2024 } }, { year: 2024, id: { gt: 'p-x-2024' } }] });
  });

  it('makes the next cursor from the last answered row', () => {
    const newestFirst = keyset('createdAt', { key: dateKey, isId: isUuid });
    const rows = [0, 1, 2].map((i) => ({ createdAt: new Date(AT.getTime() - i * 1000), id: ID.replace(/.$/, String(i)) }));
    const { items, nextCursor } = newestFirst.page(rows, 2);
    expect(items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(nextCursor!, dateKey, isUuid)).toEqual({ key: rows[1]!.createdAt, id: rows[1]!.id });
  });

  it('refuses a malformed cursor before building any condition', () => {
    expectCursorProblem(() => keyset('createdAt', { key: dateKey, isId: isUuid }).after('garbage'));
  });
});
