/**
 * The API half of the reviewed-application kit, client side (its routes: reviewed-application-routes.ts), shared by
 * certification, path review and the next application-shaped processes. The partner uploads files to its
 * application, sets which file is the material of each required kind, submits, answers a supplement request; the
 * vendor decides. The workflow refuses what its state does not allow; this module finds the application (another
 * partner's answers 404, like a missing one), sends the update and answers the persisted view, or the refusal as a
 * problem.
 */
import { type ApplicationFailure, type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { DateTime } from 'luxon';
import { actorOf, type Actor } from '../../domain/actor.js';
import { canSeePartner, type Permission, type Principal } from '../../domain/auth.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import type { MaterialMeta, MaterialStore, Upload } from './materials.js';
import type { Refusals } from './refusals.js';
import { listScope } from './scoping.js';

/** What the kit reads of an application's row. */
export type ApplicationRow = { id: string; partnerId: string; status: string };
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

/** How one process's applications are found, named, sent updates and shown. */
export type ApplicationProcess<Row extends ApplicationRow, View, D> = {
  temporal: Client;
  materials: MaterialStore;
  /** Names the application in a 404 (`Certification application <id>`). */
  title: string;
  /** Names it in a sentence (`The application is REJECTED; …`). */
  noun: string;
  /** Its routes' path, e.g. `/v1/certifications` (an upload's Idempotency-Key is scoped by it). */
  basePath: string;
  /** Who reads every partner's applications. */
  readAll: Permission;
  find: (id: string) => Promise<Row | null>;
  workflowId: (id: string) => string;
  /** The 409 answered once the workflow has ended (rejected, withdrawn, lapsed…). */
  closedCode: string;
  refusals: Refusals;
  /** Added to every 409 refusal (e.g. the status the action found). */
  conflictOf?: (row: Row) => Record<string, unknown>;
  toView: (row: Row) => Promise<View>;
  /** `material.owner_kind` of its uploads, and how many one application may hold. */
  materialOwner: string;
  maxFiles: number;
  /** The statuses in which the partner uploads files. */
  uploadStatuses: readonly string[];
  /** The material kinds it requires, and how a refusal names them (`a material of <type>`). */
  materialKinds: (row: Row) => { kinds: readonly string[]; named: string };
  messages: ApplicationMessages<D>;
};

export function applicationDoor<Row extends ApplicationRow, View, D>(p: ApplicationProcess<Row, View, D>) {
  const notFound = (id: string) => problems.notFound(`${p.title} ${id}`);

  /** Another partner's application answers exactly like a missing one. */
  async function findVisible(principal: Principal, id: string): Promise<Row> {
    const row = await p.find(id);
    if (!row || !canSeePartner(principal, row.partnerId, p.readAll)) throw notFound(id);
    return row;
  }

  /** The owning partner's staff only (vendor staff may read, never act as the partner). */
  async function findOwn(principal: Principal, id: string): Promise<Row> {
    const row = await findVisible(principal, id);
    if (principal.partnerId !== row.partnerId) throw notFound(id);
    return row;
  }

  const view = async (principal: Principal, id: string) => p.toView(await findVisible(principal, id));

  /** Runs updates on `row`'s workflow and answers the persisted view, or the refusal as a problem. */
  async function act(principal: Principal, row: Row, run: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<unknown>): Promise<View> {
    try {
      await run(p.temporal.workflow.getHandle(p.workflowId(row.id)));
    } catch (error) {
      const refused = p.refusals.problemOf(error, { what: `${p.title} ${row.id}`, ...(p.conflictOf ? { conflict: p.conflictOf(row) } : {}) });
      if (refused) throw refused;
      if (error instanceof WorkflowNotFoundError) {
        // The workflow has ended: say so, with the current status.
        const current = await findVisible(principal, row.id);
        throw problems.conflict(p.closedCode, `The ${p.noun} is ${current.status}; nothing more can be done with it.`, { currentStatus: current.status });
      }
      throw error;
    }
    return view(principal, row.id);
  }

  return {
    /** What its routes say of it (api/kit/reviewed-application-routes.ts): path, noun, upload statuses and limit. */
    described: { basePath: p.basePath, noun: p.noun, uploadStatuses: p.uploadStatuses, maxFiles: p.maxFiles },
    findOwn,
    act,
    get: view,

    /** The filter a list applies: partners see only their own (another partner's list is empty: `null`). */
    partnerScope: (principal: Principal, requested: string | undefined) => listScope(principal, p.readAll, requested),

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

    /** The vendor's decision (the workflow refuses partners: VENDOR_ONLY). */
    async decide(principal: Principal, id: string, request: D) {
      const row = await findVisible(principal, id);
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
