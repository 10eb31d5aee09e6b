/**
 * The shape of each process kind's "which of mine does this calendar change affect" query (activities/<process>.ts
 * `affected<Kind>`), which the calendar change propagation (activities/calendar-change.ts) runs in turn. Its own
 * module so that the processes' activities and the propagation do not import each other.
 */
import type { PrismaClient } from '../platform/db.js';

/**
 * One process kind's query for the change, already resolved: `dates` are the changed local dates (`everyDate`: the
 * zone or rest days changed — any deadline may move); for a moved partner `partnerId` is set and every pending
 * deadline of that partner counts. Returns workflow ids in keyset order of `key`, after `after`.
 */
export type AffectedQuery = {
  prisma: PrismaClient;
  partnerId?: string;
  calendar?: string;
  defaultCalendar?: string;
  dates: string[];
  everyDate: boolean;
  now: Date;
  after: string;
  limit: number;
};
export type AffectedRows = { workflowId: string; key: string }[];
