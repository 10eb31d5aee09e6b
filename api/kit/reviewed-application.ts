/**
 * The API half of the reviewed-application kit, client side (its routes: reviewed-application-routes.ts), shared by
 * certification, path review and the next application-shaped processes. The partner uploads files to its
 * application, sets which file is the material of each required kind, submits, answers a supplement request; the
 * vendor decides. The workflow refuses what its state does not allow; this module finds the application (another
 * partner's answers 404, like a missing one), sends the update and answers the persisted view, or the refusal as a
 * problem.
 */
import type { ApplicationFailure, Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { DateTime } from 'luxon';
import { actorOf, type Actor } from '../../domain/actor.js';
import type { Permission, Principal } from '../../domain/auth.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { Unmet } from '../../domain/eligibility.js';
import { describeUnmet, type Language } from '../../domain/eligibility-messages.js';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import type { ClaimCheck } from '../review-queue/claims.js';
import type { MaterialMeta, MaterialStore, Upload } from './materials.js';
import type { Refusals } from './refusals.js';
import { processDoor, type ProcessDoorTerms, type ProcessRow } from './process-door.js';

/** What the kit reads of an application's row. */
export type ApplicationRow = ProcessRow;
/** An uploaded file as the workflow records it (the bytes stay in the material table). */
export type WorkflowMaterial = { materialId: string; fileName: string; sha256: string; size: number; contentType: string; uploadedBy: string; uploadedAt: string };
export type MaterialAssignment = { kind: string; materialId: string };

/**
 * The workflow's updates for the partner's steps and the vendor's decision (`D`: the decision's request). An
 * application submitted as it is created (project specialists) has no submit and no supplement: its routes place neither.
 */
export type ApplicationMessages<D> = {
  setMaterial: UpdateDefinition<unknown, [{ actor: Actor; kind: string; material: WorkflowMaterial }]>;
  submit?: UpdateDefinition<unknown, [{ actor: Actor }]>;
  supplement?: UpdateDefinition<unknown, [{ actor: Actor; note?: string }]>;
  decide: UpdateDefinition<unknown, [{ actor: Actor } & D]>;
};

/** How one process's applications are found, named, sent updates and shown (the door's terms), and their files. */
export type ApplicationProcess<Row extends ApplicationRow, View, D> = ProcessDoorTerms<Row, View> & {
  materials: MaterialStore;
  /** Its routes' path, e.g. `/v1/certifications` (an upload's Idempotency-Key is scoped by it). */
  basePath: string;
  /** `material.owner_kind` of its uploads, and how many one application may hold. */
  materialOwner: string;
  maxFiles: number;
  /** The statuses in which the partner uploads files. */
  uploadStatuses: readonly string[];
  /** The material kinds it requires, and how a refusal names them (`a material of <type>`). */
  materialKinds: (row: Row) => { kinds: readonly string[]; named: string };
  messages: ApplicationMessages<D>;
  /** The reviewer queue's check before the vendor's decision (api/review-queue/claims.ts): another's claim is a 409. */
  claims: ClaimCheck;
};

export function applicationDoor<Row extends ApplicationRow, View, D>(p: ApplicationProcess<Row, View, D>) {
  const { findVisible, findOwn, act, get: view, partnerScope } = processDoor(p);

  return {
    /** What its routes say of it (api/kit/reviewed-application-routes.ts): path, noun, upload statuses and limit. */
    described: { basePath: p.basePath, noun: p.noun, uploadStatuses: p.uploadStatuses, maxFiles: p.maxFiles },
    findOwn,
    act,
    get: view,
    partnerScope,

    /** One file for the owning partner's application, while its materials can change. */
    async uploadFile(principal: Principal, id: string, upload: Omit<Upload, 'uploadedBy'>, idempotencyKey?: string) {
      const row = await findOwn(principal, id);
      if (!p.uploadStatuses.includes(row.status)) {
        throw problems.conflict('not-editable', `The ${p.noun} is ${row.status}; files are uploaded in ${p.uploadStatuses.join(' or ')}.`, { currentStatus: row.status });
      }
      return p.materials.store(
        { kind: p.materialOwner, id: row.id, partnerId: row.partnerId },
        { ...upload, uploadedBy: principal.sub },
        {
          maxPerOwner: p.maxFiles,
          ...(idempotencyKey ? { idempotency: { scope: `${principal.sub} POST ${p.basePath}/${row.id}/files`, key: idempotencyKey } } : {}),
        },
      );
    },

    async downloadFile(principal: Principal, id: string, materialId: string) {
      const row = await findVisible(principal, id);
      const file = await p.materials.load(p.materialOwner, row.id, materialId);
      if (!file) throw problems.notFound(`File ${materialId} of ${p.title.toLowerCase()} ${id}`);
      return file;
    },

    /** Sets the file of each kind, in order (one setMaterial update each); every unknown kind or file is named first. */
    async setMaterials(principal: Principal, id: string, assignments: MaterialAssignment[]) {
      const row = await findOwn(principal, id);
      const { kinds, named } = p.materialKinds(row);
      const files = new Map((await p.materials.list(p.materialOwner, row.id)).map((m) => [m.id.toLowerCase(), m]));
      const errors: FieldError[] = assignments.flatMap((a, i) => [
        ...(kinds.includes(a.kind) ? [] : [{ field: `materials.${i}.kind`, message: `${a.kind} is not ${named}; one of: ${kinds.join(', ')}` }]),
        ...(files.has(a.materialId.toLowerCase()) ? [] : [{ field: `materials.${i}.materialId`, message: `no file ${a.materialId} was uploaded to this ${p.noun}` }]),
      ]);
      if (errors.length) throw new Problem(422, 'invalid-materials', 'The request cannot be processed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
      return act(principal, row, async (handle) => {
        for (const a of assignments) {
          const material = asWorkflowMaterial(files.get(a.materialId.toLowerCase())!);
          await handle.executeUpdate(p.messages.setMaterial, { args: [{ actor: actorOf(principal), kind: a.kind, material }] });
        }
      });
    },

    // Acting on row.id, the stored spelling of the id: the workflow id is derived from it.
    async submit(principal: Principal, id: string) {
      const row = await findOwn(principal, id);
      return act(principal, row, (handle) => handle.executeUpdate(required(p.messages.submit, 'submit'), { args: [{ actor: actorOf(principal) }] }));
    },

    async supplement(principal: Principal, id: string, note?: string) {
      const row = await findOwn(principal, id);
      return act(principal, row, (handle) =>
        handle.executeUpdate(required(p.messages.supplement, 'supplement'), { args: [{ actor: actorOf(principal), ...(note ? { note } : {}) }] }),
      );
    },

    /** The vendor's decision (the workflow refuses partners: VENDOR_ONLY); refused while another reviewer's claim holds. */
    async decide(principal: Principal, id: string, request: D) {
      const row = await findVisible(principal, id);
      await p.claims(principal, row.id, `${p.title} ${row.id}`);
      return act(principal, row, (handle) => handle.executeUpdate(p.messages.decide, { args: [{ actor: actorOf(principal), ...request }] }));
    },
  };
}

/** A step the process does not have is a programming error (a route placed for it), never a request's fault. */
function required<T>(message: T | undefined, step: string): T {
  if (!message) throw new Error(`this process has no ${step} step`);
  return message;
}

type Door<View, D> = ReturnType<typeof applicationDoor<ApplicationRow, View, D>>;
/** What a process's client offers its routes; with `downloadFile`, its files can be downloaded too. */
export type ApplicationDoor<View, D> = Pick<Door<View, D>, 'described' | 'get' | 'uploadFile' | 'setMaterials' | 'submit' | 'supplement' | 'decide'> &
  Partial<Pick<Door<View, D>, 'downloadFile'>>;

const asWorkflowMaterial = (m: MaterialMeta): WorkflowMaterial => ({
  materialId: m.id,
  fileName: m.fileName,
  sha256: m.sha256,
  size: m.size,
  contentType: m.contentType,
  uploadedBy: m.uploadedBy,
  uploadedAt: m.uploadedAt,
});

// ---- refusals every reviewed application answers alike ----------------------------------------------------------

/** Every unmet item (prerequisite, requirement) as a field error `<field>.<i>`, and in `unmet` with its required and actual values. */
export const unmetProblem =
  (code: string, field: string) =>
  (failure: ApplicationFailure): Problem => {
    const details = failure.details?.[0];
    const unmet = (Array.isArray(details) ? details : []) as { description: string; required: number; actual: number }[];
    const errors = unmet.map((u, i) => ({ field: `${field}.${i}`, message: `${u.description}: required ${u.required}, actual ${u.actual}` }));
    return new Problem(422, code, 'The request cannot be processed', failure.message, errors, { unmet });
  };

/**
 * A process a partner cannot start (domain/eligibility.ts): every unmet condition as a field error on `field`, and in
 * `unmet` as GET /v1/partners/:partnerId/eligibility describes it, in `language`.
 */
export function notEligibleProblem(code: string, field: string, who: string, unmet: Unmet[], language: Language): Problem {
  const described = unmet.map((u) => describeUnmet(u, language));
  const errors = described.map((u) => ({ field, message: `${u.code}: ${u.message}` }));
  const detail = `${who}: ${unmet.map((u) => u.code).join(', ')}.`;
  return new Problem(422, code, 'The request cannot be processed', detail, errors, { language, unmet: described });
}

/** A submission with kinds whose file is not set: one field error per kind, and the kinds in `missing`. */
export function materialsMissingProblem(failure: ApplicationFailure): Problem {
  const missing = ((failure.details?.[0] as { missing?: string[] } | undefined)?.missing ?? []) as string[];
  const errors = missing.map((kind) => ({ field: 'materials', message: `no file is set for ${kind}` }));
  return new Problem(422, 'materials-missing', 'The request cannot be processed', failure.message, errors, { missing });
}

// ---- the read model ----------------------------------------------------------------------------------------------

export const iso = (d: Date | null) => d?.toISOString() ?? null;
/** The same instant in the partner's zone, for people. */
export const local = (d: Date | null, zone: string) => (d ? DateTime.fromJSDate(d, { zone }).toISO() : null);

/** The explanation of the deadline pending in `status` (none once nothing is pending). */
export const pendingExplanation = (row: { status: string; deadlineExplanation: unknown }, pending: ReadonlySet<string>) =>
  pending.has(row.status) ? (row.deadlineExplanation as DeadlineExplanation | null) : null;

type EventRow = { seq: number; type: string; fromStatus: string | null; toStatus: string; actor: string; at: Date; note: string | null; data: unknown };
export const historyOf = <S extends string, T extends string = string>(events: EventRow[]) =>
  events.map((e) => ({
    seq: e.seq,
    type: e.type as T,
    fromStatus: e.fromStatus as S | null,
    toStatus: e.toStatus as S,
    actor: e.actor,
    at: e.at.toISOString(),
    note: e.note,
    data: e.data as Record<string, unknown> | null,
  }));
