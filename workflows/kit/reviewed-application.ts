/**
 * The reviewed-application kit: what every application-shaped process (certification, path review, and the reseller
 * onboarding, project specialist and agreement applications of issue 17) does the same way — who may act (the owning
 * partner's staff, the vendor's), its set of materials, the checks before submitting. The review SLA and the
 * supplement round are in review-rounds.ts. Workflow code only: bundled into the Temporal sandbox.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { setHandler } from '@temporalio/workflow';
import type { Actor } from '../../domain/actor.js';
import { fail, refuse } from './shared.js';
import type { BusyGuard } from './transitions.js';

/** The refusal codes the kit uses, as every application's contract names them (the API maps each to a status). */
export type ApplicationRefusals = {
  notFound: string;
  vendorOnly: string;
  busy: string;
  invalid: string;
  materialNotFound: string;
  materialsMissing: string;
  supplementDeadlinePassed: string;
};

export type ApplicationTerms = {
  partnerId: string;
  refusals: ApplicationRefusals;
  /** What the application is called: 'application', 'review'; in full, 'certification application', 'path review'. */
  noun: string;
  name: string;
  /** Until its first activity has finished (terms, deadlines) the application refuses everyone, with this refusal. */
  ready: () => boolean;
  notReady: readonly [type: string, message: string];
  /** The refusal a partner hears for a vendor-only action. */
  vendorOnly: string;
};

/** An uploaded file's metadata as the API hands it to the workflow (the bytes stay in the material table). */
export type ApplicationMaterial = { materialId: string; fileName: string; sha256: string; size: number; contentType: string; uploadedBy: string; uploadedAt: string };

/** The MATERIAL_SET transition: the current file of one kind, and the one it replaced (kept in history). */
export type MaterialSet<S, M extends ApplicationMaterial> = {
  type: 'MATERIAL_SET';
  toStatus: S;
  actor: string;
  data: { kind: string; material: M; replaced: string | undefined };
  material: { kind: string; materialId: string };
};

/** How a process keeps its materials: which kinds, when they may change, where an upload is looked up. */
export type Materials<S, M extends ApplicationMaterial, V> = {
  /** Refuses unless the application is editable now (its status, its window or supplement deadline). */
  requireEditable: () => void;
  kinds: () => readonly string[];
  /** The message refusing a kind that is not one of `kinds`. */
  unknownKind: (kind: string, kinds: readonly string[]) => string;
  /** Whether the upload exists for this application (an activity reads the material table). */
  uploaded: (materialId: string) => Promise<boolean>;
  current: () => Record<string, M>;
  status: () => S;
  transition: (t: MaterialSet<S, M>) => Promise<V>;
};

/** An uploaded file's digest as the API computed it. */
export const SHA256 = /^[0-9a-f]{64}$/i;

/** Refuses once `deadline` has passed (workflow time): the validator settles a race with the deadline's timer. */
export function requireBefore(deadline: string | undefined, type: string, message: string) {
  if (Date.now() >= Date.parse(deadline!)) refuse(type, message);
}

export class ReviewedApplication {
  constructor(
    readonly guard: BusyGuard,
    private readonly t: ApplicationTerms,
  ) {}

  /** The owning partner's staff; another partner's application is not found, exactly like a missing one. */
  requireOwner(actor: Actor) {
    this.requireReady();
    if (actor.partnerId !== this.t.partnerId) this.notFound();
    this.requireIdle();
  }

  /** The vendor's staff (reviewers): a partner is told the application is not found, or that only the vendor acts. */
  requireVendor(actor: Actor) {
    this.requireReady();
    if (actor.partnerId !== undefined && actor.partnerId !== this.t.partnerId) this.notFound();
    if (actor.partnerId !== undefined) refuse(this.t.refusals.vendorOnly, this.t.vendorOnly);
    this.requireIdle();
  }

  /** Materials and the supplement itself are refused once the supplement deadline has passed. */
  requireBeforeSupplementDeadline(deadline: string | undefined) {
    requireBefore(deadline, this.t.refusals.supplementDeadlinePassed, `The supplement deadline ${deadline} has passed.`);
  }

  /** Evaluated items (prerequisites, path requirements): one unmet refuses the action, each listed with its numbers. */
  requireAllMet(results: readonly { description: string; required: number; actual: number; met: boolean }[], type: string, message: (list: string) => string) {
    const unmet = results.filter((r) => !r.met).map(({ description, required, actual }) => ({ description, required, actual }));
    if (unmet.length) {
      const list = unmet.map((u) => `${u.description} (required ${u.required}, actual ${u.actual})`).join('; ');
      throw fail(type, message(list), unmet);
    }
  }

  /** Submitting needs a file of every required kind. */
  requireAllMaterials(kinds: readonly string[], materials: Record<string, unknown>) {
    const missing = kinds.filter((kind) => !materials[kind]);
    if (missing.length) throw fail(this.t.refusals.materialsMissing, `Materials missing: ${missing.join(', ')}.`, { missing });
  }

  /**
   * The setMaterial update: the owner sets the file of one kind while the application is editable. The validator
   * checks the metadata; the handler looks the upload up (an activity: busy meanwhile) and records MATERIAL_SET.
   */
  handleSetMaterial<S, M extends ApplicationMaterial, V>(update: UpdateDefinition<V, [{ actor: Actor; kind: string; material: M }]>, m: Materials<S, M, V>) {
    const { invalid, materialNotFound } = this.t.refusals;
    setHandler(
      update,
      ({ actor, kind, material }) =>
        this.guard.run(async () => {
          if (!(await m.uploaded(material.materialId))) throw fail(materialNotFound, `Material ${material.materialId} was not uploaded for this ${this.t.noun}.`);
          const replaced = m.current()[kind]?.materialId;
          m.current()[kind] = { ...material };
          return m.transition({ type: 'MATERIAL_SET', toStatus: m.status(), actor: actor.sub, data: { kind, material, replaced }, material: { kind, materialId: material.materialId } });
        }),
      {
        validator: ({ actor, kind, material }) => {
          this.requireOwner(actor);
          m.requireEditable();
          const kinds = m.kinds();
          if (!kinds.includes(kind)) refuse(invalid, m.unknownKind(kind, kinds));
          const f = material;
          if (!f?.materialId || !f.fileName || !SHA256.test(f.sha256) || !Number.isSafeInteger(f.size) || f.size <= 0 || !f.contentType || !f.uploadedBy || Number.isNaN(Date.parse(f.uploadedAt))) {
            refuse(invalid, 'material: needs materialId, fileName, a hex SHA-256, a size > 0, contentType, uploadedBy and uploadedAt.');
          }
        },
      },
    );
  }

  private requireReady() {
    if (!this.t.ready()) refuse(...this.t.notReady);
  }

  private notFound(): never {
    return refuse(this.t.refusals.notFound, `No such ${this.t.name} for this partner.`);
  }

  private requireIdle() {
    if (this.guard.busy) refuse(this.t.refusals.busy, `Another action on this ${this.t.noun} is in progress; try again.`);
  }
}
