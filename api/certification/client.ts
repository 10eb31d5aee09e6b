/**
 * The only door from the HTTP layer into the certification process: derives workflow ids, starts applications
 * (update-with-start `create`), sends the workflow's updates, and reads the persisted read model (the
 * certification tables the activities write). Files are stored through the generic material store, owned by the
 * application (`certification` / applicationId); the workflow only records which file is the material of a kind.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import {
  ApplicationFailure,
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { can, canSeePartner, type Principal } from '../../domain/auth.js';
import { actorOf } from '../../domain/actor.js';
import { type CalendarLookup, type DeadlineExplanation, zonesOf } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { defaultQuotas, type Quotas } from '../../platform/config.js';
import { catalogEntry, certificationCatalog, evaluatePrerequisites } from '../../domain/certification-catalog.js';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  CERTIFICATION_MATERIAL_OWNER,
  certificationWorkflow,
  certificationWorkflowId,
  CertificationRefusal,
  type CertificationStatus,
  create,
  type RenewedCertificate,
  type ReviewDecision,
  review,
  setMaterial,
  submit,
  supplement,
  type UnmetPrerequisite,
} from '../../workflows/certification/workflow.js';
import { CertificationType, PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import type { CertificateView, CertificationSummary, CertificationTypeView, CertificationView } from './schemas.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { isUuid } from '../kit/validation.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { createMaterialStore, type MaterialMeta, type Upload } from '../kit/materials.js';
import { withOpenApplicationSlot } from '../kit/quotas.js';

/** Enough for every kind and a few replacements; a cap keeps one application from filling the database. */
export const MAX_FILES_PER_CERTIFICATION = 20;

export type CreateRequest = { type: string; solutionName?: string };
export type MaterialAssignment = { kind: string; materialId: string };
export type ReviewRequest = { decision: ReviewDecision; note?: string };
export type ListFilter = { partnerId?: string; status?: CertificationStatus; type?: string; limit: number; cursor?: string };

const CONFLICTS: Record<string, string> = {
  [CertificationRefusal.notCreated]: 'certification-not-created',
  [CertificationRefusal.renewalNotAllowed]: 'renewal-not-allowed',
  [CertificationRefusal.notEditable]: 'not-editable',
  [CertificationRefusal.notDraft]: 'not-draft',
  [CertificationRefusal.notInReview]: 'not-in-review',
  [CertificationRefusal.notSupplementRequested]: 'not-supplement-requested',
  [CertificationRefusal.supplementDeadlinePassed]: 'supplement-deadline-passed',
  [CertificationRefusal.busy]: 'action-in-progress',
};

export type CertificationClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; quotas?: Quotas };

export function createCertificationClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), quotas = defaultQuotas }: CertificationClientDeps) {
  const materials = createMaterialStore({ prisma, quotas });
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;

  /** Another partner's application answers exactly like a missing one. */
  async function findVisible(principal: Principal, id: string) {
    const row = await findApplication(prisma, id);
    if (!row || !canSeePartner(principal, row.partnerId, 'certification.readAll')) throw problems.notFound(`Certification application ${id}`);
    return row;
  }

  /** The owning partner's staff only (vendor staff may read, never act as the partner). */
  async function findOwn(principal: Principal, id: string) {
    const row = await findVisible(principal, id);
    if (principal.partnerId !== row.partnerId) throw problems.notFound(`Certification application ${id}`);
    return row;
  }

  const view = async (principal: Principal, id: string) => {
    const row = await findVisible(principal, id);
    return toView(row, await materials.list(CERTIFICATION_MATERIAL_OWNER, row.id), await zoneOf(row.partnerId));
  };

  /** Runs an update and answers with the persisted view, or the refusal as a problem. */
  async function act(principal: Principal, id: string, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>) {
    try {
      await run(temporal.workflow.getHandle(certificationWorkflowId(id)));
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) throw refusalProblem(id, error.cause);
      if (error instanceof WorkflowNotFoundError) {
        // The workflow has ended (rejected, withdrawn, expired): say so, with the current status.
        const current = await findVisible(principal, id);
        throw problems.conflict('certification-closed', `The application is ${current.status}; nothing more can be done with it.`, {
          currentStatus: current.status,
        });
      }
      throw error;
    }
    return view(principal, id);
  }

  /**
   * Starts (or, for a retry with the same Idempotency-Key, joins) the application's workflow; answers once it is
   * persisted. A new application needs room in the partner's open-applications quota (422 naming `field`).
   */
  async function start(principal: Principal, request: CreateRequest & { renewalOf?: string }, scope: string, field: string, idempotencyKey?: string, renewedCertificate?: RenewedCertificate) {
    const partnerId = principal.partnerId!;
    const id = await withOpenApplicationSlot(prisma, { partnerId, limit: quotas.openApplications, field }, async (tx, admit) => {
      const id = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} ${scope}`, idempotencyKey, request) : randomUUID();
      // A retry whose application exists opens nothing new: the first result stands.
      if ((await tx.certificationApplication.count({ where: { id } })) === 0) await admit();
      await createWorkflow(principal, id, partnerId, request, renewedCertificate);
      return id;
    });
    return view(principal, id);
  }

  async function createWorkflow(principal: Principal, id: string, partnerId: string, request: CreateRequest & { renewalOf?: string }, renewedCertificate?: RenewedCertificate) {
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        args: [renewedCertificate ? { renewedCertificate } : {}],
        startWorkflowOperation: new WithStartWorkflowOperation(certificationWorkflow, {
          workflowId: certificationWorkflowId(id),
          taskQueue,
          args: [{ applicationId: id, partnerId, ...request, createdBy: principal.sub }],
          // A retried request (same Idempotency-Key) joins the running workflow instead of starting another.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: ProcessStatus, value: 'DRAFT' },
            { key: CertificationType, value: request.type },
          ],
        }),
      });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) throw refusalProblem(id, error.cause);
      // A retry after the workflow already ended: the first result stands.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  return {
    /** The catalog, with each prerequisite described as a submission refusal would name it. */
    types(): { version: string; items: CertificationTypeView[] } {
      return {
        version: certificationCatalog.version,
        items: certificationCatalog.types.map((entry) => ({
          ...entry,
          prerequisites: evaluatePrerequisites(entry, { experts: [], certificates: [] }, '2000-01-01').map((r) => ({ ...r.prerequisite, description: r.description })),
        })),
      };
    },

    /** A DRAFT for the caller's partner. Everything the workflow would refuse is refused here first, naming the field. */
    async create(principal: Principal, request: CreateRequest, idempotencyKey?: string) {
      const entry = catalogEntry(request.type);
      if (!entry) {
        throw problems.unprocessable('unknown-certification-type', `${request.type} is not a certification type of the catalog (GET /v1/certification-types).`, 'type');
      }
      if ((entry.appliesTo === 'SOLUTION') !== (request.solutionName !== undefined)) {
        throw problems.unprocessable(
          'invalid-request',
          entry.appliesTo === 'SOLUTION' ? `${entry.type} certifies a solution: name it.` : `${entry.type} certifies the partner: name no solution.`,
          'solutionName',
        );
      }
      return start(principal, request, 'POST /v1/certifications', 'type', idempotencyKey);
    },

    /** A new DRAFT renewing the ACTIVE certificate that application `id` (of the caller's partner) issued. */
    async renew(principal: Principal, id: string, idempotencyKey?: string) {
      const row = await findOwn(principal, id);
      if (!row.certificate || row.certificate.status !== 'ACTIVE') {
        throw problems.conflict(
          'renewal-not-allowed',
          row.certificate
            ? `Certificate ${row.certificate.number} is ${row.certificate.status}: only an ACTIVE certificate can be renewed; apply again instead.`
            : `Application ${id} is ${row.status} and holds no certificate of its own: only the application that issued an ACTIVE certificate can be renewed.`,
          { currentStatus: row.status },
        );
      }
      const c = toCertificate(row.certificate);
      const renewed: RenewedCertificate = { number: c.number, partnerId: c.partnerId, type: c.type, status: c.status, validTo: c.validTo };
      const request = { type: row.type, ...(row.solutionName !== null ? { solutionName: row.solutionName } : {}), renewalOf: row.id };
      return start(principal, request, `POST /v1/certifications/${row.id}/renew`, 'id', idempotencyKey, renewed);
    },

    get: (principal: Principal, id: string) => view(principal, id),

    async list(principal: Principal, filter: ListFilter) {
      const seesAll = can(principal, 'certification.readAll');
      // A partner asking for another partner's list sees an empty one, as if that partner had none.
      if (!seesAll && filter.partnerId && filter.partnerId !== principal.partnerId) return { items: [], nextCursor: null };
      const page = await findApplications(prisma, { ...filter, ...(seesAll ? {} : { partnerId: principal.partnerId! }) });
      const zones = await zonesOf(calendarFor, page.items.map((r) => r.partnerId));
      return { items: page.items.map((r) => toSummary(r, zones.get(r.partnerId)!)), nextCursor: page.nextCursor };
    },

    /** One file for the owning partner's application, while its materials can change (DRAFT, SUPPLEMENT_REQUESTED). */
    async uploadFile(principal: Principal, id: string, upload: Omit<Upload, 'uploadedBy'>, idempotencyKey?: string) {
      const row = await findOwn(principal, id);
      if (row.status !== 'DRAFT' && row.status !== 'SUPPLEMENT_REQUESTED') {
        throw problems.conflict('not-editable', `The application is ${row.status}; files are uploaded in DRAFT or SUPPLEMENT_REQUESTED.`, { currentStatus: row.status });
      }
      return materials.store(
        { kind: CERTIFICATION_MATERIAL_OWNER, id: row.id, partnerId: row.partnerId },
        { ...upload, uploadedBy: principal.sub },
        {
          maxPerOwner: MAX_FILES_PER_CERTIFICATION,
          ...(idempotencyKey ? { idempotency: { scope: `${principal.sub} POST /v1/certifications/${row.id}/files`, key: idempotencyKey } } : {}),
        },
      );
    },

    async downloadFile(principal: Principal, id: string, materialId: string) {
      const row = await findVisible(principal, id);
      const file = await materials.load(CERTIFICATION_MATERIAL_OWNER, row.id, materialId);
      if (!file) throw problems.notFound(`File ${materialId} of certification application ${id}`);
      return file;
    },

    /** Sets the file of each kind, in order (one setMaterial update each); every unknown kind or file is named first. */
    async setMaterials(principal: Principal, id: string, assignments: MaterialAssignment[]) {
      const row = await findOwn(principal, id);
      const kinds = (row.terms as { requiredMaterials: string[] }).requiredMaterials;
      const files = new Map((await materials.list(CERTIFICATION_MATERIAL_OWNER, row.id)).map((m) => [m.id.toLowerCase(), m]));
      const errors: FieldError[] = assignments.flatMap((a, i) => [
        ...(kinds.includes(a.kind) ? [] : [{ field: `materials.${i}.kind`, message: `${a.kind} is not a material of ${row.type}; one of: ${kinds.join(', ')}` }]),
        ...(files.has(a.materialId.toLowerCase()) ? [] : [{ field: `materials.${i}.materialId`, message: `no file ${a.materialId} was uploaded to this application` }]),
      ]);
      if (errors.length) throw new Problem(422, 'invalid-materials', 'The request cannot be processed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
      return act(principal, row.id, async (handle) => {
        for (const a of assignments) {
          const material = asWorkflowMaterial(files.get(a.materialId.toLowerCase())!);
          await handle.executeUpdate(setMaterial, { args: [{ actor: actorOf(principal), kind: a.kind, material }] });
        }
      });
    },

    // Acting on row.id, the stored spelling of the id: the workflow id is derived from it.
    submit: async (principal: Principal, id: string) => {
      const row = await findOwn(principal, id);
      return act(principal, row.id, (handle) => handle.executeUpdate(submit, { args: [{ actor: actorOf(principal) }] }));
    },

    supplement: async (principal: Principal, id: string, note?: string) => {
      const row = await findOwn(principal, id);
      return act(principal, row.id, (handle) => handle.executeUpdate(supplement, { args: [{ actor: actorOf(principal), ...(note ? { note } : {}) }] }));
    },

    review: async (principal: Principal, id: string, request: ReviewRequest) => {
      const row = await findVisible(principal, id);
      return act(principal, row.id, (handle) => handle.executeUpdate(review, { args: [{ actor: actorOf(principal), ...request }] }));
    },

    /** The partner's ACTIVE certificates: what its badge shows. Another partner's staff get 404, as for a partner that is not there. */
    async certificates(principal: Principal, partnerId: string): Promise<{ items: CertificateView[] }> {
      if (!canSeePartner(principal, partnerId, 'certification.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const rows = await prisma.certificate.findMany({ where: { partnerId, status: 'ACTIVE' }, orderBy: [{ issuedAt: 'desc' }, { number: 'asc' }] });
      return { items: rows.map(toCertificate) };
    },
  };
}

export type CertificationClient = ReturnType<typeof createCertificationClient>;


const asWorkflowMaterial = (m: MaterialMeta) => ({
  materialId: m.id,
  fileName: m.fileName,
  sha256: m.sha256,
  size: m.size,
  contentType: m.contentType,
  uploadedBy: m.uploadedBy,
  uploadedAt: m.uploadedAt,
});

const unprocessable = (code: string, detail: string, errors: FieldError[], extensions: Record<string, unknown>) =>
  new Problem(422, code, 'The request cannot be processed', detail, errors, extensions);

/** A refusal (validator, or the create/submit/setMaterial handler) → the problem the API answers. */
function refusalProblem(id: string, failure: ApplicationFailure): Problem {
  const type = failure.type ?? '';
  const details = failure.details?.[0];
  if (type === CertificationRefusal.notFound) return problems.notFound(`Certification application ${id}`);
  if (type === CertificationRefusal.vendorOnly) return problems.forbidden(failure.message);
  if (CONFLICTS[type]) {
    return problems.conflict(CONFLICTS[type], failure.message, type === CertificationRefusal.busy ? { retryAfterSeconds: 1 } : undefined);
  }
  if (type === CertificationRefusal.prerequisitesUnmet) {
    // Every unmet prerequisite, each as a field error and in `unmet` with its required and actual values.
    const unmet = (Array.isArray(details) ? details : []) as UnmetPrerequisite[];
    const errors = unmet.map((u, i) => ({ field: `prerequisites.${i}`, message: `${u.description}: required ${u.required}, actual ${u.actual}` }));
    return unprocessable('prerequisites-unmet', failure.message, errors, { unmet });
  }
  if (type === CertificationRefusal.materialsMissing) {
    const missing = ((details as { missing?: string[] } | undefined)?.missing ?? []) as string[];
    return unprocessable('materials-missing', failure.message, missing.map((kind) => ({ field: 'materials', message: `no file is set for ${kind}` })), { missing });
  }
  if (type === CertificationRefusal.unknownType) return problems.unprocessable('unknown-certification-type', failure.message, 'type');
  if (type === CertificationRefusal.materialNotFound) return problems.unprocessable('unknown-material', failure.message, 'materials');
  return problems.unprocessable('invalid-request', failure.message);
}

// ---- the read model ------------------------------------------------------------------------------------------

const INCLUDE = { events: { orderBy: { seq: 'asc' } }, materials: true, certificate: true } satisfies Prisma.CertificationApplicationInclude;
type Row = Prisma.CertificationApplicationGetPayload<{ include: typeof INCLUDE }>;
type CertificateRow = NonNullable<Row['certificate']>;

const findApplication = (prisma: PrismaClient, id: string) => prisma.certificationApplication.findUnique({ where: { id: id.toLowerCase() }, include: INCLUDE });

/** One page, newest first (keyset on createdAt, id). */
const NEWEST_FIRST = keyset('createdAt', { key: dateKey, isId: isUuid });

async function findApplications(prisma: PrismaClient, filter: ListFilter) {
  const rows = await prisma.certificationApplication.findMany({
    where: {
      ...(filter.partnerId ? { partnerId: filter.partnerId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.type ? { type: filter.type } : {}),
      ...NEWEST_FIRST.after(filter.cursor),
    },
    orderBy: NEWEST_FIRST.orderBy,
    take: filter.limit + 1,
  });
  return NEWEST_FIRST.page(rows, filter.limit);
}

const PENDING_DEADLINE = new Set<string>(['SUBMITTED', 'IN_REVIEW', 'SUPPLEMENT_REQUESTED'] satisfies CertificationStatus[]);
const day = (d: Date) => d.toISOString().slice(0, 10);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const local = (d: Date | null, zone: string) => (d ? DateTime.fromJSDate(d, { zone }).toISO() : null);

function toCertificate(c: CertificateRow): CertificateView {
  return {
    number: c.number,
    applicationId: c.applicationId,
    partnerId: c.partnerId,
    type: c.type,
    category: c.category as CertificateView['category'],
    labels: c.labels as string[],
    scope: c.scope,
    validFrom: day(c.validFrom),
    validTo: day(c.validTo),
    status: c.status as CertificateView['status'],
    issuedAt: c.issuedAt.toISOString(),
  };
}

/** The listed view; typed by the response schema (schemas.ts beside it). */
function toSummary(row: Omit<Row, 'events' | 'materials' | 'certificate'>, zone: string): CertificationSummary {
  return {
    id: row.id,
    partnerId: row.partnerId,
    type: row.type,
    category: row.category as CertificationSummary['category'],
    appliesTo: row.appliesTo as CertificationSummary['appliesTo'],
    solutionName: row.solutionName,
    status: row.status as CertificationStatus,
    renewalOf: row.renewalOf,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    submittedAt: iso(row.submittedAt),
    reviewDueAt: iso(row.reviewDueAt),
    supplementDeadline: iso(row.supplementDeadline),
    decidedAt: iso(row.decidedAt),
    zone,
    // The same instants in the partner's zone, for people.
    local: {
      createdAt: local(row.createdAt, zone),
      submittedAt: local(row.submittedAt, zone),
      reviewDueAt: local(row.reviewDueAt, zone),
      supplementDeadline: local(row.supplementDeadline, zone),
      decidedAt: local(row.decidedAt, zone),
    },
  };
}

function toView(row: Row, files: MaterialMeta[], zone: string): CertificationView {
  const terms = row.terms as CertificationView['terms'];
  const names = new Map(catalogEntry(row.type)?.requiredMaterials.map((m) => [m.kind, m.name]) ?? []);
  const current = new Map(row.materials.map((m) => [m.kind, m.materialId]));
  const approved = row.events.findLast((e) => e.type === 'APPROVED')?.data as { extended?: CertificationView['extended'] } | null | undefined;
  return {
    ...toSummary(row, zone),
    terms,
    // The pending deadline's: reviewDueAt while in review, supplementDeadline while a supplement is requested.
    deadlineExplanation: PENDING_DEADLINE.has(row.status) ? (row.deadlineExplanation as DeadlineExplanation | null) : null,
    decisionNote: row.decisionNote,
    materials: terms.requiredMaterials.map((kind) => ({
      kind,
      name: names.get(kind) ?? null,
      material: files.find((f) => f.id === current.get(kind)) ?? null,
    })),
    files,
    certificate: row.certificate ? toCertificate(row.certificate) : null,
    extended: approved?.extended ?? null,
    history: row.events.map((e) => ({
      seq: e.seq,
      type: e.type as CertificationView['history'][number]['type'],
      fromStatus: e.fromStatus as CertificationStatus | null,
      toStatus: e.toStatus as CertificationStatus,
      actor: e.actor,
      at: e.at.toISOString(),
      note: e.note,
      data: e.data as Record<string, unknown> | null,
    })),
  };
}
