/**
 * The only door from the HTTP layer into the incentive process: derives workflow ids, sends the workflow's
 * updates, and reads the persisted read model (the incentive tables the activities write). Materials are stored
 * through the generic material store, owned by the incentive.
 */
import {
  type ApplicationFailure,
  type Client,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { DateTime } from 'luxon';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { actorOf } from '../../domain/actor.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  type Adjustment,
  Refusal,
  type IncentiveStatus,
  incentiveWorkflowId,
  type ObjectedLine,
  object,
  resolveObjection,
  verify,
} from '../../workflows/incentive/contract.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { listScope } from '../kit/scoping.js';
import type { IncentiveSummary, IncentiveView } from './schemas.js';
import type { Quotas } from '../../platform/config.js';
import { createMaterialStore, type MaterialMeta, type Upload } from '../kit/materials.js';
import { refusals } from '../kit/refusals.js';

export const INCENTIVE_MATERIAL_KIND = 'incentive';
/** Enough for a roster, contracts and certificates; a cap keeps one incentive from filling the database. */
export const MAX_MATERIALS_PER_INCENTIVE = 20;

/** `<partnerId>-<YYYY-MM>`: the partner id pattern of api/kit/validation.ts, then the period. */
export const INCENTIVE_ID = /^[A-Za-z0-9_-]{1,64}-\d{4}-(0[1-9]|1[0-2])$/;
const NEWEST_FIRST = keyset('generatedAt', { key: dateKey, isId: (id) => INCENTIVE_ID.test(id) });

export type IncentiveListFilter = { period?: string; partnerId?: string; status?: IncentiveStatus; limit: number; cursor?: string };
export type VerifyRequest = { headcount: number; totalMinor: number; materials: string[] };
export type ResolveRequest = { adjustments?: Adjustment[]; rejectObjection?: true; note: string };

/** A validator's refusal → the problem the API answers. */
const REFUSALS = refusals({
  [Refusal.notFound]: { status: 404 },
  // Still being generated clears by itself within a moment (the row commits before the workflow records it).
  [Refusal.notGenerated]: { status: 409, code: 'incentive-not-generated', retryAfterSeconds: 1 },
  [Refusal.notPending]: { status: 409, code: 'not-pending-verification' },
  [Refusal.notObjected]: { status: 409, code: 'not-objected' },
  [Refusal.deadlinePassed]: { status: 409, code: 'verification-deadline-passed' },
  [Refusal.vendorOnly]: { status: 403 },
  [Refusal.listMismatch]: { status: 422, problem: listMismatchProblem },
});

const INCLUDE = {
  lines: { orderBy: [{ employeeId: 'asc' }, { expertId: 'asc' }] },
  events: { orderBy: { seq: 'asc' } },
  settlement: true,
} satisfies Prisma.IncentiveInclude;
type Row = Prisma.IncentiveGetPayload<{ include: typeof INCLUDE }>;

export type IncentiveClientDeps = { temporal: Client; prisma: PrismaClient; quotas?: Quotas };

export function createIncentiveClient({ temporal, prisma, quotas }: IncentiveClientDeps) {
  const materials = createMaterialStore({ prisma, ...(quotas ? { quotas } : {}) });

  async function findVisible(principal: Principal, id: string): Promise<Row> {
    const row = INCENTIVE_ID.test(id) ? await prisma.incentive.findUnique({ where: { id }, include: INCLUDE }) : null;
    // Another partner's incentive answers exactly like a missing one.
    if (!row || !canSeePartner(principal, row.partnerId, 'incentive.readAll')) throw problems.notFound(`Incentive ${id}`);
    return row;
  }

  /** The owning partner's staff only (vendor staff may read, never act as the partner). */
  async function findOwn(principal: Principal, id: string): Promise<Row> {
    const row = await findVisible(principal, id);
    if (principal.partnerId !== row.partnerId) throw problems.notFound(`Incentive ${id}`);
    return row;
  }

  const view = async (row: Row) => toView(row, await materials.list(INCENTIVE_MATERIAL_KIND, row.id));

  /** Runs an update and answers with the persisted view, or the refusal as a problem. */
  async function act(principal: Principal, row: Row, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>) {
    try {
      await run(temporal.workflow.getHandle(incentiveWorkflowId(row.partnerId, row.period)));
    } catch (error) {
      const refused = REFUSALS.problemOf(error, { what: `Incentive ${row.id}` });
      if (refused) throw refused;
      if (error instanceof WorkflowNotFoundError) {
        // The workflow has ended (verified, expired): say so, with the current status.
        const current = await findVisible(principal, row.id);
        throw problems.conflict('incentive-closed', `The incentive is ${current.status}; nothing more can be done with it.`, { currentStatus: current.status });
      }
      throw error;
    }
    return view(await findVisible(principal, row.id));
  }

  /** Names the line each unknown expert id is at (`<field>.<i>.expertId`), before anything reaches the workflow. */
  function requireKnownLines(row: Row, expertIds: string[], field: string) {
    const known = new Set(row.lines.map((l) => l.expertId));
    const errors: FieldError[] = expertIds.flatMap((id, i) => (known.has(id) ? [] : [{ field: `${field}.${i}.expertId`, message: `the list has no line for expert ${id}` }]));
    if (errors.length) throw new Problem(422, 'unknown-line', 'The request cannot be processed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }

  return {
    get: async (principal: Principal, id: string) => view(await findVisible(principal, id)),

    async list(principal: Principal, filter: IncentiveListFilter) {
      const scope = listScope(principal, 'incentive.readAll', filter.partnerId);
      if (!scope) return { items: [], nextCursor: null };
      const rows = await prisma.incentive.findMany({
        where: {
          ...scope,
          ...(filter.period ? { period: filter.period } : {}),
          ...(filter.status ? { status: filter.status } : {}),
          ...NEWEST_FIRST.after(filter.cursor),
        },
        orderBy: NEWEST_FIRST.orderBy,
        take: filter.limit + 1,
      });
      const { items, nextCursor } = NEWEST_FIRST.page(rows, filter.limit);
      return { items: items.map(toSummary), nextCursor };
    },

    /** One file for the owning partner's incentive, while it is pending verification. */
    async uploadMaterial(principal: Principal, id: string, upload: Omit<Upload, 'uploadedBy'>, idempotencyKey?: string) {
      const row = await findOwn(principal, id);
      if (row.status !== 'PENDING_VERIFICATION') {
        throw problems.conflict('not-pending-verification', `The incentive is ${row.status}; materials are uploaded while it is PENDING_VERIFICATION.`, {
          currentStatus: row.status,
        });
      }
      return materials.store(
        { kind: INCENTIVE_MATERIAL_KIND, id: row.id, partnerId: row.partnerId },
        { ...upload, uploadedBy: principal.sub },
        {
          maxPerOwner: MAX_MATERIALS_PER_INCENTIVE,
          ...(idempotencyKey ? { idempotency: { scope: `${principal.sub} POST /v1/incentives/${row.id}/materials`, key: idempotencyKey } } : {}),
        },
      );
    },

    async downloadMaterial(principal: Principal, id: string, materialId: string) {
      const row = await findVisible(principal, id);
      const found = await materials.load(INCENTIVE_MATERIAL_KIND, row.id, materialId);
      if (!found) throw problems.notFound(`Material ${materialId} of incentive ${id}`);
      return found;
    },

    async verify(principal: Principal, id: string, request: VerifyRequest) {
      const row = await findOwn(principal, id);
      if (row.lines.length > 0 && request.materials.length === 0) {
        throw problems.unprocessable('materials-required', 'Verifying a list with lines needs at least one uploaded material.', 'materials');
      }
      const files = await materials.resolve(INCENTIVE_MATERIAL_KIND, row.id, request.materials, 'materials');
      return act(principal, row, (handle) =>
        handle.executeUpdate(verify, {
          args: [{ actor: actorOf(principal), headcount: request.headcount, totalMinor: request.totalMinor, materials: files.map(asWorkflowMaterial) }],
        }),
      );
    },

    async object(principal: Principal, id: string, lines: ObjectedLine[]) {
      const row = await findOwn(principal, id);
      requireKnownLines(row, lines.map((l) => l.expertId), 'lines');
      return act(principal, row, (handle) => handle.executeUpdate(object, { args: [{ actor: actorOf(principal), lines }] }));
    },

    async resolve(principal: Principal, id: string, request: ResolveRequest) {
      const row = await findVisible(principal, id);
      if (request.adjustments) requireKnownLines(row, request.adjustments.map((a) => a.expertId), 'adjustments');
      return act(principal, row, (handle) => handle.executeUpdate(resolveObjection, { args: [{ actor: actorOf(principal), ...request }] }));
    },
  };
}

export type IncentiveClient = ReturnType<typeof createIncentiveClient>;


const asWorkflowMaterial = (m: MaterialMeta) => ({
  fileName: m.fileName,
  sha256: m.sha256,
  size: m.size,
  contentType: m.contentType,
  materialId: m.id,
  uploadedBy: m.uploadedBy,
  uploadedAt: m.uploadedAt,
});

/** 'headcount 3 ≠ list 4; total 5000 ≠ list 6000': one field error per difference. */
function listMismatchProblem(failure: ApplicationFailure): Problem {
  const errors = failure.message.split('; ').map((part) => ({ field: part.startsWith('headcount') ? 'headcount' : 'totalMinor', message: part }));
  return new Problem(422, 'list-mismatch', 'The request cannot be processed', `Your figures differ from the list: ${failure.message}.`, errors);
}

const local = (at: Date, zone: string) => DateTime.fromJSDate(at, { zone }).toISO();

/** The listed view; typed by the response schema (schemas.ts beside it). */
function toSummary(row: Omit<Row, 'lines' | 'events' | 'settlement'>): IncentiveSummary {
  return {
    id: row.id,
    partnerId: row.partnerId,
    period: row.period,
    status: row.status as IncentiveStatus,
    headcount: row.headcount,
    totalMinor: Number(row.totalMinor),
    currency: row.currency,
    generatedAt: row.generatedAt.toISOString(),
    verificationDeadline: row.verificationDeadline.toISOString(),
    zone: row.zone,
    calendar: row.calendar,
    // The same instants in the partner's zone, for people.
    local: { generatedAt: local(row.generatedAt, row.zone), verificationDeadline: local(row.verificationDeadline, row.zone) },
  };
}

function toView(row: Row, files: MaterialMeta[]): IncentiveView {
  // The open objection is the one the latest OBJECTED event recorded, while the incentive is OBJECTED.
  const objected = row.status === 'OBJECTED' ? row.events.findLast((e) => e.type === 'OBJECTED') : undefined;
  return {
    ...toSummary(row),
    reminderAt: row.reminderAt.toISOString(),
    deadlineExplanation: row.deadlineExplanation as DeadlineExplanation,
    lines: row.lines.map((l) => ({
      expertId: l.expertId,
      employeeId: l.employeeId,
      name: l.name,
      certification: l.certification,
      amountMinor: Number(l.amountMinor),
      currency: l.currency,
    })),
    objection: objected ? ((objected.data as { lines?: ObjectedLine[] } | null)?.lines ?? []) : null,
    materials: files,
    settlement: row.settlement
      ? { amountMinor: Number(row.settlement.amountMinor), currency: row.settlement.currency, settledAt: row.settlement.settledAt.toISOString() }
      : null,
    history: row.events.map((e) => ({
      seq: e.seq,
      type: e.type as IncentiveView['history'][number]['type'],
      fromStatus: e.fromStatus as IncentiveStatus | null,
      toStatus: e.toStatus as IncentiveStatus,
      actor: e.actor,
      at: e.at.toISOString(),
      reasonCode: e.reasonCode,
      note: e.note,
      data: e.data as Record<string, unknown> | null,
    })),
  };
}
