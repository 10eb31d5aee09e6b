/**
 * Deadlines reaching into a year whose official holiday schedule is not published yet, for the process tests
 * (incentive, certification, path review): CN-shaped calendars with CN's statutory rules, and a start placed where the
 * expected dates can be written by hand once.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { DateTime } from 'luxon';
import { BusinessCalendar } from '../../domain/calendar.js';
import { CN_STATUTORY } from '../../domain/statutory-holidays.js';
import type { PrismaClient } from '../../platform/db.js';
import { DeadlineProvisional } from '../../workflows/kit/search-attributes.js';
import { nextWednesdayDec30, ZONE } from './calendar.js';

const DAY = 24 * 3600 * 1000;

/** The CN shape covering `first`–`last` from "published data" (only the holidays passed), its statutory rules for the rest. */
export const cnCalendar = (first: number, last: number, holidays: Record<string, string> = {}) =>
  new BusinessCalendar({ name: 'CN', zone: ZONE, restWeekdays: [6, 7], years: [first, last], holidays, makeupWorkdays: {}, rules: CN_STATUTORY });

/**
 * Thursday 24 December, 10:00 in ZONE, after `nowMs`, of a year whose 30 December is a Wednesday — so 1 January after
 * it is a Friday (2026 while the clock is before it, then 2037…). From there: Fri 25, Mon 28 – Thu 31 are working
 * days, Fri 01-01 is New Year's Day, then Mon 04 – Fri 08, Mon 11 – Fri 15 (Spring Festival is weeks later, every year).
 */
export const nextThursdayDec24 = (nowMs: number): DateTime => nextWednesdayDec30(nowMs + 6 * DAY).minus({ days: 6 });

/** The official schedule of `year + 1` arriving: New Year's Day as the rules said, and optionally a bridge day (Mon 01-04). */
export const officialNextYear = (year: number, { bridge = false } = {}) =>
  cnCalendar(year - 1, year + 1, {
    [`${year + 1}-01-01`]: "New Year's Day",
    ...(bridge ? { [`${year + 1}-01-04`]: "New Year's Day (bridge)" } : {}),
  });

/** The `<process>.deadline-changed` messages appended for one aggregate, oldest first. */
export const deadlineChangedMessages = (prisma: PrismaClient, aggregateId: string) =>
  prisma.outbox.findMany({ where: { aggregateId, topic: { endsWith: '.deadline-changed' } }, orderBy: { id: 'asc' } });

/** The Web UI's DeadlineProvisional search attribute of a process's workflow. */
export const provisionalAttribute = async (handle: WorkflowHandle) => (await handle.describe()).typedSearchAttributes.get(DeadlineProvisional);
