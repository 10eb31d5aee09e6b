/**
 * The only door from the HTTP layer into business calendars as data (migration 0012): calendars and their
 * append-only versions, partners' assignments and their change rows, and deadlines computed with a stored calendar.
 *
 * Rules: anyone authenticated reads calendars (public data) and a partner reads its own assignment (vendor staff
 * any partner's). A PUT (vendor admin) validates the whole calendar (every broken rule named, 422, nothing
 * stored), appends the next version with who and when and what changed against the previous one, and takes
 * effect for the next deadline at once (lookups always read the current version). `If-Match: "<version>"`
 * makes it conditional (412 when the calendar moved on); two PUTs racing for the same version: one gets 409.
 * Moving a partner to another calendar appends a partner_calendar_change row with the dates that differ.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { CalendarYearNotCoveredError } from '../../domain/calendar.js';
import {
  type CalendarChange,
  type CalendarChangeScope,
  type CalendarData,
  calendarRuleErrors,
  changedDates,
  nextYearStatus,
  uncoveredYearsOf,
} from '../../domain/calendar-versions.js';
import { Problem, problems } from '../../domain/problems.js';
import { calendarDataOf, createCalendarStore, DEFAULT_CALENDAR_NAME } from '../../platform/calendars.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { CALENDAR_CHANGE_WORKFLOW, calendarChangeWorkflowId } from '../../workflows/calendar-change/contract.js';
import type { calendarChangeWorkflow } from '../../workflows/calendar-change/workflow.js';
import type { CalendarSummaryView, CalendarView, CalendarYearView, PartnerCalendarView } from './schemas.js';
import { calendarProblem } from '../opportunity/client.js';
import { isUniqueViolation } from '../../platform/db.js';

type Tx = Prisma.TransactionClient;
type VersionRow = Prisma.CalendarVersionGetPayload<object>;

const UNCHANGED: CalendarChange = { everyDate: false, dates: [] };

/** How a version reads, seen at `now` (next year's status) with the operator warning from `warnFrom` (MM-DD). */
const summaryOf = (row: VersionRow, now: Date, warnFrom: string): CalendarSummaryView => {
  const data = calendarDataOf(row);
  return {
    name: row.calendarName,
    version: row.version,
    zone: row.zone,
    restWeekdays: row.restWeekdays,
    years: { first: row.firstYear, last: row.lastYear },
    rules: row.statutoryRules,
    uncoveredYears: uncoveredYearsOf(data),
    nextYear: nextYearStatus(row.calendarName, data, now, warnFrom),
    changedBy: row.changedBy,
    changedAt: row.changedAt.toISOString(),
  };
};

const latestRow = (db: Tx | PrismaClient, name: string) => db.calendarVersion.findFirst({ where: { calendarName: name }, orderBy: { version: 'desc' } });

/**
 * `temporal` + `taskQueue`: where the change propagation (workflows/calendar-change/workflow.ts) runs. `calendarWarnFrom`
 * (CALENDAR_WARN_FROM, MM-DD): from that day on, a next year that is not published carries a warning.
 */
export type CalendarsClientDeps = { prisma: PrismaClient; defaultCalendar?: string; temporal?: Client; taskQueue?: string; calendarWarnFrom?: string };

export function createCalendarsClient({ prisma, defaultCalendar = DEFAULT_CALENDAR_NAME, temporal, taskQueue, calendarWarnFrom = '11-01' }: CalendarsClientDeps) {
  const store = createCalendarStore(prisma, defaultCalendar);
  const viewOf = (row: VersionRow): CalendarView => {
    const data = calendarDataOf(row);
    return {
      ...summaryOf(row, new Date(), calendarWarnFrom),
      holidays: data.holidays,
      makeupWorkdays: data.makeupWorkdays,
      changes: (row.changes as CalendarChange | null) ?? null,
    };
  };

  /**
   * Once the change has committed: open processes whose deadlines depend on it recompute them. Started after the
   * commit (a deterministic id makes a retried request propagate once); if Temporal cannot take it, the change stands
   * and the error says so — the same PUT again propagates it.
   */
  async function propagate(scope: CalendarChangeScope, reason: string, changeId?: string) {
    if (!temporal || !taskQueue) return;
    try {
      await temporal.workflow.start<typeof calendarChangeWorkflow>(CALENDAR_CHANGE_WORKFLOW, {
        workflowId: calendarChangeWorkflowId(scope, changeId),
        taskQueue,
        args: [{ scope, reason }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // Each change propagates once, ever: a later start (below, for the version before) finds it done.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  async function current(name: string): Promise<VersionRow> {
    const row = await latestRow(prisma, name);
    if (!row) throw problems.notFound(`Calendar ${name}`);
    return row;
  }

  function scope(principal: Principal, partnerId: string): void {
    if (!canSeePartner(principal, partnerId, 'calendar.readAll')) throw problems.notFound(`Partner ${partnerId}`);
  }

  async function assignmentView(partnerId: string, db: Tx | PrismaClient = prisma): Promise<PartnerCalendarView> {
    const row = await db.partnerCalendar.findUnique({ where: { partnerId } });
    const name = row?.calendarName ?? defaultCalendar;
    const version = await latestRow(db, name);
    if (!version) throw new Error(`calendar ${name} (partner ${partnerId}) is not in the database`);
    return {
      partnerId,
      calendar: name,
      version: version.version,
      zone: version.zone,
      isDefault: !row,
      assignedBy: row?.assignedBy ?? null,
      assignedAt: row?.assignedAt.toISOString() ?? null,
    };
  }

  return {
    async list(): Promise<{ items: CalendarSummaryView[] }> {
      const rows = await prisma.calendarVersion.findMany({ distinct: ['calendarName'], orderBy: [{ calendarName: 'asc' }, { version: 'desc' }] });
      const now = new Date();
      return { items: rows.map((row) => summaryOf(row, now, calendarWarnFrom)) };
    },

    async get(name: string): Promise<CalendarView> {
      return viewOf(await current(name));
    },

    /** Replaces (or creates) the calendar: the next version. `expectedVersion`: from If-Match. */
    async put(principal: Principal, name: string, data: CalendarData, expectedVersion?: number): Promise<{ created: boolean; calendar: CalendarView }> {
      const errors = calendarRuleErrors(data);
      if (errors.length) {
        throw new Problem(422, 'calendar-invalid', 'The calendar is not valid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
      }
      try {
        const result = await prisma.$transaction(async (tx) => {
          const previous = await latestRow(tx, name);
          if (expectedVersion !== undefined && previous?.version !== expectedVersion) {
            throw new Problem(412, 'precondition-failed', 'Precondition failed', `Calendar ${name} is at version ${previous?.version ?? 'none'}, not ${expectedVersion}: read it again.`, [
              { field: 'If-Match', message: `the current version is ${previous?.version ?? 'none'}` },
            ]);
          }
          const at = new Date();
          if (!previous) await tx.calendar.create({ data: { name, createdBy: principal.sub, createdAt: at } });
          const row = await tx.calendarVersion.create({
            data: {
              calendarName: name,
              version: (previous?.version ?? 0) + 1,
              zone: data.zone,
              restWeekdays: [...data.restWeekdays].sort(),
              firstYear: data.years.first,
              lastYear: data.years.last,
              holidays: data.holidays,
              makeupWorkdays: data.makeupWorkdays,
              statutoryRules: data.rules ?? null,
              uncoveredYears: uncoveredYearsOf(data),
              changedBy: principal.sub,
              changedAt: at,
              ...(previous ? { changes: changedDates(calendarDataOf(previous), data) as unknown as Prisma.InputJsonValue } : {}),
            },
          });
          return { created: !previous, calendar: viewOf(row) };
        });
        if (!result.created) {
          const { version } = result.calendar;
          // The version before too: if its propagation was lost (Temporal unreachable after its commit), it runs now.
          if (version > 2) await propagate({ kind: 'CALENDAR', calendar: name, version: version - 1, defaultCalendar }, `calendar ${name} changed to version ${version - 1}`);
          await propagate({ kind: 'CALENDAR', calendar: name, version, defaultCalendar }, `calendar ${name} changed to version ${version} by ${principal.sub}`);
        }
        return result;
      } catch (error) {
        if (isUniqueViolation(error)) throw problems.conflict('calendar-changed-concurrently', `Calendar ${name} was changed at the same time; read it again and retry.`);
        throw error;
      }
    },

    async assignment(principal: Principal, partnerId: string): Promise<PartnerCalendarView> {
      scope(principal, partnerId);
      return assignmentView(partnerId);
    },

    /** Moves the partner to calendar `name`; a move to the calendar it already counts in records nothing new. */
    async assign(principal: Principal, partnerId: string, name: string): Promise<PartnerCalendarView> {
      const moved = await prisma.$transaction(async (tx) => {
        const target = await latestRow(tx, name);
        if (!target) throw problems.unprocessable('unknown-calendar', `${name} is not a calendar (GET /v1/calendars).`, 'name');
        const before = await assignmentView(partnerId, tx);
        if (before.calendar === name && !before.isDefault) return { ...before, changes: UNCHANGED };
        const at = new Date();
        await tx.partnerCalendar.upsert({
          where: { partnerId },
          create: { partnerId, calendarName: name, assignedBy: principal.sub, assignedAt: at },
          update: { calendarName: name, assignedBy: principal.sub, assignedAt: at },
        });
        if (before.calendar === name) return { ...(await assignmentView(partnerId, tx)), changes: UNCHANGED }; // the default, now pinned
        const old = (await latestRow(tx, before.calendar))!;
        const changes = changedDates(calendarDataOf(old), calendarDataOf(target));
        const change = await tx.partnerCalendarChange.create({
          data: {
            partnerId,
            fromCalendar: before.calendar,
            fromVersion: before.version,
            toCalendar: name,
            toVersion: target.version,
            changes: changes as unknown as Prisma.InputJsonValue,
            actor: principal.sub,
            at,
          },
        });
        return { ...(await assignmentView(partnerId, tx)), changes, changeId: String(change.id) };
      });
      const { changeId, ...view } = moved as PartnerCalendarView & { changeId?: string };
      if (changeId) {
        await propagate({ kind: 'PARTNER', partnerId, calendar: name, version: view.version }, `partner ${partnerId} moved to calendar ${name} by ${principal.sub}`, changeId);
      }
      return view;
    },

    /**
     * Every day of `year` in calendar `name`'s current version, classified by the deadline arithmetic itself
     * (BusinessCalendar.daysOf): published data, or the statutory rules for a year not published yet. A year the
     * calendar cannot count is the deadline route's 422 `calendar-year-not-covered`, naming `year`.
     */
    async year(name: string, year: number): Promise<CalendarYearView> {
      const found = await store.byName(name);
      if (!found) throw problems.notFound(`Calendar ${name}`);
      const { calendar, version } = found;
      try {
        const days = calendar.daysOf(year);
        const provisional = calendar.isProvisional(year);
        return {
          calendar: name,
          version,
          zone: calendar.zone,
          year,
          status: provisional ? 'PROVISIONAL' : 'PUBLISHED',
          rules: provisional ? (calendar.rules?.name ?? null) : null,
          days,
        };
      } catch (error) {
        if (error instanceof CalendarYearNotCoveredError) {
          // The deadline route's problem, naming the path parameter that cannot be counted.
          throw problems.unprocessable('calendar-year-not-covered', calendarProblem(error).detail ?? error.message, 'year');
        }
        throw error;
      }
    },

    /** The deadline `workingDays` working days after `from` in calendar `name`'s current version. */
    async deadline(name: string, from: Date, workingDays: number) {
      const found = await store.byName(name);
      if (!found) throw problems.notFound(`Calendar ${name}`);
      try {
        const { deadline, explanation } = found.calendar.addWorkingDays(from, workingDays);
        return { deadline: deadline.toISOString(), explanation };
      } catch (error) {
        if (error instanceof CalendarYearNotCoveredError) throw calendarProblem(error);
        throw error;
      }
    },
  };
}

export type CalendarsClient = ReturnType<typeof createCalendarsClient>;
