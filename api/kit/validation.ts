/** zod building blocks shared by the route modules. */
import type { Request } from 'express';
import { z } from 'zod';
import { problems } from '../../domain/problems.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The shape of every id this API mints (randomUUID), in either case. */
export const isUuid = (s: string) => UUID.test(s);

// PostgreSQL text cannot hold NUL, and control characters or lone surrogates are never meant: refuse them here,
// before they reach a workflow or a table that could then never persist them.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters')
    .refine((v) => v.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)');

export const partnerId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');

/**
 * A local calendar date, YYYY-MM-DD, that exists (no 2026-02-30) and that PostgreSQL's date type holds
 * without surprise (years 1900–9999).
 */
export const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((v) => {
    const year = Number(v.slice(0, 4));
    const d = new Date(`${v}T00:00:00Z`);
    return year >= 1900 && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, 'must be an existing date between 1900-01-01 and 9999-12-31');

const idempotencyKey = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII only');

/** The request's Idempotency-Key header, validated; undefined when absent. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  const parsed = idempotencyKey.safeParse(key);
  if (!parsed.success) throw problems.validation([{ field: 'Idempotency-Key', message: parsed.error.issues[0]!.message }]);
  return parsed.data;
}
