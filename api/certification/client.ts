/**
 * The only door from the HTTP layer into the certification process: derives workflow ids, starts applications
 * (update-with-start `create`), sends the workflow's updates, and reads the persisted read model (the
 * certification tables the activities write). Files are stored through the generic material store, owned by the
 * application (`certification` / applicationId); the workflow only records which file is the material of a kind.
 */
import { randomUUID } from 'node:crypto';
import { type Client, WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { type CalendarLookup, zonesOf } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import { defaultQuotas, type Quotas } from '../../platform/config.js';
import { catalogEntry, certificationCatalog, evaluatePrerequisites } from '../../domain/certification-catalog.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  CERTIFICATION_MATERIAL_OWNER,
  CERTIFICATION_WORKFLOW,
  certificationWorkflowId,
  Refusal,
  type CertificationStatus,
  create,
  type RenewedCertificate,
  type ReviewDecision,
  review,
  setMaterial,
  submit,
  supplement,
} from '../../workflows/certification/contract.js';
import type { certificationWorkflow } from '../../workflows/certification/workflow.js';
import { CertificationType, PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import type { CertificateView, CertificationSummary, CertificationTypeView, CertificationView } from './schemas.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { isUuid } from '../kit/validation.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { createMaterialStore, type MaterialMeta } from '../kit/materials.js';
import { withOpenApplicationSlot } from '../kit/quotas.js';
import { refusals } from '../kit/refusals.js';
import { claimCheck } from '../review-queue/claims.js';
import { applicationDoor, historyOf, iso, local, materialsMissingProblem, pendingExplanation, unmetProblem } from '../kit/reviewed-application.js';

/** Enough for every kind and a few replacements; a cap keeps one application from filling the database. */
export const MAX_FILES_PER_CERTIFICATION = 20;

export type CreateRequest = { type: string; solutionName?: string };
export type ReviewRequest = { decision: ReviewDecision; note?: string };
export type ListFilter = { partnerId?: string; status?: CertificationStatus; type?: string; limit: number; cursor?: string };

/** A refusal (validator, or the create/submit/setMaterial handler) → the problem the API answers. */
const REFUSALS = refusals({
  [Refusal.notFound]: { status: 404 },
  [Refusal.vendorOnly]: { status: 403 },
  [Refusal.notCreated]: { status: 409, code: 'certification-not-created' },
  [Refusal.renewalNotAllowed]: { status: 409, code: 'renewal-not-allowed' },
  [Refusal.notEditable]: { status: 409, code: 'not-editable' },
  [Refusal.notDraft]: { status: 409, code: 'not-draft' },
  [Refusal.notInReview]: { status: 409, code: 'not-in-review' },
  [Refusal.notSupplementRequested]: { status: 409, code: 'not-supplement-requested' },
  [Refusal.supplementDeadlinePassed]: { status: 409, code: 'supplement-deadline-passed' },
  [Refusal.busy]: { status: 409, code: 'action-in-progress', retryAfterSeconds: 1 },
  [Refusal.prerequisitesUnmet]: { status: 422, problem: unmetProblem('prerequisites-unmet', 'prerequisites') },
  [Refusal.materialsMissing]: { status: 422, problem: materialsMissingProblem },
  [Refusal.unknownType]: { status: 422, code: 'unknown-certification-type', field: 'type' },
  [Refusal.materialNotFound]: { status: 422, code: 'unknown-material', field: 'materials' },
});

export type CertificationClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup; quotas?: Quotas };

export function createCertificationClient({ temporal, prisma, taskQueue, calendarFor = databaseCalendarLookup(prisma), quotas = defaultQuotas }: CertificationClientDeps) {
  const materials = createMaterialStore({ prisma, quotas });
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
  const applications = applicationDoor<Row, CertificationView, ReviewRequest>({
    temporal,
    materials,
    title: 'Certification application',
    noun: 'application',
    basePath: '/v1/certifications',
    readAll: 'certification.readAll',
    find: (id) => findApplication(prisma, id),
    workflowId: certificationWorkflowId,
    closedCode: 'certification-closed',
    refusals: REFUSALS,
    toView: async (row) => toView(row, await materials.list(CERTIFICATION_MATERIAL_OWNER, row.id), await zoneOf(row.partnerId)),
    materialOwner: CERTIFICATION_MATERIAL_OWNER,
    maxFiles: MAX_FILES_PER_CERTIFICATION,
    uploadStatuses: ['DRAFT', 'SUPPLEMENT_REQUESTED'] satisfies CertificationStatus[],
    materialKinds: (row) => ({ kinds: (row.terms as { requiredMaterials: string[] }).requiredMaterials, named: `a material of ${row.type}` }),
    messages: { setMaterial, submit, supplement, decide: review },
    claims: claimCheck(prisma, 'certification'),
  });

  /**
   * Starts (or, for a retry with the same Idempotency-Key, joins) the application's workflow; answers once it is
   * persisted. A new application needs room in the partner's open-applications quota (422 naming `field`).
   */
  async function start(principal: Principal, request: CreateRequest & { renewalOf?: string }, scope: string, field: string, idempotencyKey?: string, renewedCertificate?: RenewedCertificate) {
    const partnerId = principal.partnerId!;
    const id = await withOpenApplicationSlot(prisma, { partnerId, limit: quotas.openApplications, field }, async (tx, admit) => {
      const id = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} ${scope}`, idempotencyKey, request) : randomUUID();
      // A retry whose application exists opens nothing new: the first result stands.
      if ((await tx.certificationApplication.count({ where: { id } })) === 0) await admit(id);
      return async () => {
        await createWorkflow(principal, id, partnerId, request, renewedCertificate);
        return id;
      };
    });
    return applications.get(principal, id);
  }

  async function createWorkflow(principal: Principal, id: string, partnerId: string, request: CreateRequest & { renewalOf?: string }, renewedCertificate?: RenewedCertificate) {
    try {
      await temporal.workflow.executeUpdateWithStart(create, {
        args: [renewedCertificate ? { renewedCertificate } : {}],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof certificationWorkflow>(CERTIFICATION_WORKFLOW, {
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
      const refused = REFUSALS.problemOf(error, { what: `Certification application ${id}` });
      if (refused) throw refused;
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
      const row = await applications.findOwn(principal, id);
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

    get: applications.get,

    async list(principal: Principal, filter: ListFilter) {
      const scope = applications.partnerScope(principal, filter.partnerId);
      // A partner asking for another partner's list sees an empty one, as if that partner had none.
      if (!scope) return { items: [], nextCursor: null };
      const page = await findApplications(prisma, { ...filter, ...scope });
      const zones = await zonesOf(calendarFor, page.items.map((r) => r.partnerId));
      return { items: page.items.map((r) => toSummary(r, zones.get(r.partnerId)!)), nextCursor: page.nextCursor };
    },

    described: applications.described,
    uploadFile: applications.uploadFile,
    downloadFile: applications.downloadFile,
    setMaterials: applications.setMaterials,
    submit: applications.submit,
    supplement: applications.supplement,
    decide: applications.decide,

    /** The partner's ACTIVE certificates: what its badge shows. Another partner's staff get 404, as for a partner that is not there. */
    async certificates(principal: Principal, partnerId: string): Promise<{ items: CertificateView[] }> {
      if (!canSeePartner(principal, partnerId, 'certification.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      const rows = await prisma.certificate.findMany({ where: { partnerId, status: 'ACTIVE' }, orderBy: [{ issuedAt: 'desc' }, { number: 'asc' }] });
      return { items: rows.map(toCertificate) };
    },
  };
}

export type CertificationClient = ReturnType<typeof createCertificationClient>;

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
    deadlineExplanation: pendingExplanation(row, PENDING_DEADLINE),
    decisionNote: row.decisionNote,
    materials: terms.requiredMaterials.map((kind) => ({
      kind,
      name: names.get(kind) ?? null,
      material: files.find((f) => f.id === current.get(kind)) ?? null,
    })),
    files,
    certificate: row.certificate ? toCertificate(row.certificate) : null,
    extended: approved?.extended ?? null,
    history: historyOf<CertificationStatus, CertificationView['history'][number]['type']>(row.events),
  };
}
