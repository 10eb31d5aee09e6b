/**
 * The only door from the HTTP layer into the opportunity process: derives workflow ids, starts the
 * workflow, sends its updates, and reads the persisted read model (the activities' tables).
 */
import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { DateTime } from 'luxon';
import { planAcceptDeadline } from '../../domain/accept-deadline.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { actorOf } from '../../domain/actor.js';
import { type CalendarLookup, CalendarYearNotCoveredError, type DeadlineExplanation } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { type Money, toMoney } from '../../domain/money.js';
import { Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  close,
  OPPORTUNITY_WORKFLOW,
  type OpportunityStatus,
  opportunityWorkflowId,
  postUpdate,
  type RejectReason,
  share,
  type Stage,
} from '../../workflows/opportunity/contract.js';
import type { opportunityWorkflow } from '../../workflows/opportunity/workflow.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import type { OpportunitySummary, OpportunityView } from './schemas.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { isUuid } from '../kit/validation.js';
import { listScope } from '../kit/scoping.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { decideOpportunity, opportunityActionProblem } from '../../platform/opportunity-actions.js';

/** The workflow id of an opportunity (its contract's). */
export const workflowIdFor = opportunityWorkflowId;

export type ShareRequest = { partnerId: string; customerName: string; title: string; estimatedAmount?: Money };
export type ListFilter = { status?: OpportunityStatus; partnerId?: string; limit: number; cursor?: string };
const NEWEST_FIRST = keyset('sharedAt', { key: dateKey, isId: isUuid });

type Row = Prisma.OpportunityGetPayload<{ include: { events: true } }>;

export type OpportunityClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup };

export function createOpportunityClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma) }: OpportunityClientDeps) {
  async function findVisible(principal: Principal, id: string): Promise<Row> {
    // One query (a join), not one per relation: every answer of the API reads this.
    const row = await prisma.opportunity.findUnique({ where: { id }, include: { events: { orderBy: { seq: 'asc' } } }, relationLoadStrategy: 'join' });
    // Another partner's opportunity answers exactly like a missing one.
    if (!row || !canSeePartner(principal, row.partnerId)) throw problems.notFound(`Opportunity ${id}`);
    return row;
  }

  /** Runs an update and answers with the persisted view, or the refusal as a problem (platform/opportunity-actions.ts). */
  async function act(principal: Principal, id: string, run: () => Promise<unknown>) {
    try {
      await run();
    } catch (error) {
      throw (await opportunityActionProblem(prisma, principal, id, error)) ?? error;
    }
    return toView(await findVisible(principal, id));
  }

  return {
    async share(principal: Principal, request: ShareRequest, idempotencyKey?: string) {
      const { calendar } = await calendarFor(request.partnerId);
      try {
        planAcceptDeadline(new Date(), calendar); // fail fast, before anything starts, when the calendar cannot answer
      } catch (error) {
        if (error instanceof CalendarYearNotCoveredError) throw calendarProblem(error);
        throw error;
      }
      const id = idempotencyKey
        ? await reserveIdempotentId(prisma, `${principal.sub} POST /v1/opportunities`, idempotencyKey, request)
        : randomUUID();
      try {
        await temporal.workflow.executeUpdateWithStart(share, {
          startWorkflowOperation: new WithStartWorkflowOperation<typeof opportunityWorkflow>(OPPORTUNITY_WORKFLOW, {
            workflowId: workflowIdFor(id),
            taskQueue,
            args: [{ opportunityId: id, ...request, sharedBy: principal.sub }],
            // A retried request (same Idempotency-Key) joins the running workflow instead of starting another.
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            typedSearchAttributes: [
              { key: PartnerId, value: request.partnerId },
              { key: ProcessStatus, value: 'PENDING_ACCEPTANCE' },
            ],
          }),
        });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
          if (error.cause.type === 'CALENDAR_YEAR_NOT_COVERED') {
            throw problems.unprocessable('calendar-year-not-covered', error.cause.message);
          }
        }
        // A retry after the workflow already ended: the first result stands.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return toView(await findVisible(principal, id));
    },

    get: async (principal: Principal, id: string) => toView(await findVisible(principal, id)),

    async list(principal: Principal, filter: ListFilter) {
      const scope = listScope(principal, 'opportunity.readAll', filter.partnerId);
      if (!scope) return { items: [], nextCursor: null };
      const rows = await prisma.opportunity.findMany({
        where: {
          ...scope,
          ...(filter.status ? { status: filter.status } : {}),
          ...NEWEST_FIRST.after(filter.cursor),
        },
        orderBy: NEWEST_FIRST.orderBy,
        take: filter.limit + 1,
      });
      const { items, nextCursor } = NEWEST_FIRST.page(rows, filter.limit);
      return { items: items.map(toSummary), nextCursor };
    },

    // The same decision a bulk action's items take (platform/opportunity-actions.ts): gate, update, refusal → problem.
    accept: (principal: Principal, id: string) => act(principal, id, () => decideOpportunity({ temporal, prisma }, principal, id, { kind: 'accept' })),
    reject: (principal: Principal, id: string, body: { reasonCode: RejectReason; note?: string }) =>
      act(principal, id, () => decideOpportunity({ temporal, prisma }, principal, id, { kind: 'reject', ...body })),
    postUpdate: (principal: Principal, id: string, body: { stage: Stage; note: string }) =>
      act(principal, id, () =>
        temporal.workflow.getHandle(workflowIdFor(id)).executeUpdate(postUpdate, { args: [{ actor: actorOf(principal), ...body }] }),
      ),
    close: (principal: Principal, id: string, body: { outcome: 'WON' | 'LOST'; note?: string }) =>
      act(principal, id, () =>
        temporal.workflow.getHandle(workflowIdFor(id)).executeUpdate(close, { args: [{ actor: actorOf(principal), ...body }] }),
      ),
  };
}

export type OpportunityClient = ReturnType<typeof createOpportunityClient>;


export function calendarProblem(error: CalendarYearNotCoveredError): Problem {
  return problems.unprocessable(
    'calendar-year-not-covered',
    `The ${error.calendar} business calendar has no data for ${error.year}, so no deadline can be computed.`,
  );
}

const local = (at: Date | null, zone: string) => (at ? DateTime.fromJSDate(at, { zone }).toISO() : null);

/** The listed view; typed by the response schema (schemas.ts beside it), so drift from the documented shape fails to compile. */
function toSummary(row: Omit<Row, 'events'>): OpportunitySummary {
  return {
    id: row.id,
    partnerId: row.partnerId,
    customerName: row.customerName,
    title: row.title,
    estimatedAmount: toMoney(row.estimatedCurrency, row.estimatedMinor) ?? null,
    status: row.status as OpportunityStatus,
    sharedAt: row.sharedAt.toISOString(),
    sharedBy: row.sharedBy,
    acceptDeadline: row.acceptDeadline.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    closedAt: row.closedAt?.toISOString() ?? null,
    zone: row.zone,
    calendar: row.calendar,
    // The same instants in the partner's zone, for people.
    local: { sharedAt: local(row.sharedAt, row.zone), acceptDeadline: local(row.acceptDeadline, row.zone) },
  };
}

/** The full view: the summary plus the deadline explanation and the history. */
function toView(row: Row): OpportunityView {
  return {
    ...toSummary(row),
    deadlineExplanation: row.deadlineExplanation as DeadlineExplanation,
    history: row.events.map((e) => ({
      seq: e.seq,
      type: e.type as OpportunityView['history'][number]['type'],
      fromStatus: e.fromStatus as OpportunityStatus | null,
      toStatus: e.toStatus as OpportunityStatus,
      actor: e.actor,
      at: e.at.toISOString(),
      reasonCode: e.reasonCode,
      note: e.note,
      data: e.data as Record<string, unknown> | null,
    })),
  };
}

export type { OpportunityView };
