/**
 * The only door into the experts tables (expert, expert_certification, expert_change).
 *
 * Rules: partner staff manage only their own partner's experts (another partner's answer 404); vendor staff
 * holding expert.manage (vendor_admin) manage any partner. The employee id is unique per partner (409). Every
 * change, creation and attestation included, appends one expert_change row ({kind, before, after} of the changed
 * fields) in the same transaction as the change; a request that changes nothing appends nothing. Every refusal
 * happens before or inside the transaction that would have written, so a refused request changes nothing.
 *
 * Facts that earn money or rank are not the partner's to assert. registeredOn is stamped here: the local date of
 * the request in the incentive rules' zone (Asia/Shanghai). Full-time status and certifications count
 * (platform/partner-facts.ts) only once vendor staff holding expert.attest have attested them. Attestation is PER
 * FACT, not per expert snapshot: the full-time status (its since-date) and each certification (type + validity) are
 * attested one by one, so a certification added later does not withdraw the attestation of an unchanged one. The
 * attester names the facts as it checked them; a fact that is not exactly so now (the partner changed it a second
 * earlier) is 409 expert-changed naming the field, and nothing is attested. Any change of a fact through PATCH —
 * fullTime or fullTimeSince, a certification's type or dates, whoever makes it — makes that fact unattested again;
 * unchanged certifications keep their rows and their attestation.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Principal } from '../../domain/auth.js';
import { incentiveRules } from '../../domain/incentive-rules.js';
import { type FieldError, type Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import type { ExpertView } from './schemas.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { isUniqueViolation } from '../../platform/db.js';

type Tx = Prisma.TransactionClient;
type ExpertRow = Prisma.ExpertGetPayload<{ include: { certifications: true } }>;

export type Certification = { type: string; validFrom: string; validTo: string };
export type NewExpert = {
  employeeId: string;
  name: string;
  fullTime: boolean;
  fullTimeSince?: string | undefined;
  certifications: Certification[];
};
export type ExpertChange = {
  name?: string | undefined;
  fullTime?: boolean | undefined;
  fullTimeSince?: string | undefined;
  certifications?: Certification[] | undefined;
  active?: boolean | undefined;
};
/** The facts the attester checked: full-time since this date, these certifications (each held exactly so). */
export type Attestation = { fullTimeSince?: string | undefined; certifications?: Certification[] | undefined };

/** The fields a change can touch, as recorded in expert_change. */
type Fields = Pick<ExpertView, 'name' | 'fullTime' | 'fullTimeSince' | 'active' | 'certifications'>;
/** The attested facts, as recorded in expert_change (who and when are the row's actor and at). */
type AttestedFacts = { fullTimeSince: string | null; certifications: Certification[] };

const toDate = (local: string) => new Date(`${local}T00:00:00Z`);
const fromDate = (date: Date) => date.toISOString().slice(0, 10);
const certificationKey = (c: Certification) => `${c.type}\n${c.validFrom}\n${c.validTo}`;
const certificationOf = (row: { type: string; validFrom: Date; validTo: Date }): Certification => ({ type: row.type, validFrom: fromDate(row.validFrom), validTo: fromDate(row.validTo) });
const spell = (c: Certification) => `${c.type} ${c.validFrom}..${c.validTo}`;

/** One order and no exact duplicates: the same set always reads (and compares) the same. */
function inCertificationOrder<C extends Certification>(certifications: readonly C[]): C[] {
  const unique = new Map(certifications.map((c) => [certificationKey(c), c]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}
const normalizeCertifications = (certifications: readonly Certification[]) =>
  inCertificationOrder(certifications.map((c) => ({ type: c.type, validFrom: c.validFrom, validTo: c.validTo })));

const expertView = (row: ExpertRow): ExpertView => ({
  id: row.id,
  partnerId: row.partnerId,
  employeeId: row.employeeId,
  name: row.name,
  fullTime: row.fullTime,
  fullTimeSince: row.fullTimeSince ? fromDate(row.fullTimeSince) : null,
  registeredOn: fromDate(row.registeredOn),
  active: row.active,
  certifications: normalizeCertifications(row.certifications.map(certificationOf)),
  attested: {
    fullTime:
      row.fullTimeAttestedSince && row.fullTimeAttestedAt && row.fullTimeAttestedBy
        ? { since: fromDate(row.fullTimeAttestedSince), attestedAt: row.fullTimeAttestedAt.toISOString(), attestedBy: row.fullTimeAttestedBy }
        : null,
    certifications: inCertificationOrder(
      row.certifications.flatMap((c) => (c.attestedAt && c.attestedBy ? [{ ...certificationOf(c), attestedAt: c.attestedAt.toISOString(), attestedBy: c.attestedBy }] : [])),
    ),
  },
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const fieldsOf = (view: ExpertView): Fields => ({
  name: view.name,
  fullTime: view.fullTime,
  fullTimeSince: view.fullTimeSince,
  active: view.active,
  certifications: view.certifications,
});

const attestedOf = (view: ExpertView): AttestedFacts => ({
  fullTimeSince: view.attested.fullTime?.since ?? null,
  certifications: view.attested.certifications.map(({ type, validFrom, validTo }) => ({ type, validFrom, validTo })),
});

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** A withdrawn full-time attestation (the database refuses one that no longer names fullTimeSince). */
const NOT_ATTESTED = { fullTimeAttestedSince: null, fullTimeAttestedAt: null, fullTimeAttestedBy: null };

export function createExpertsClient({ prisma, now = () => new Date() }: { prisma: PrismaClient; now?: () => Date }) {
  /** Partner staff only inside their own partner; another partner's answers like a missing one. */
  function scope(principal: Principal, partnerId: string): void {
    if (principal.partnerId !== undefined && principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
  }

  async function write<T>(conflict: () => Problem, work: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      return await prisma.$transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict();
      throw error;
    }
  }

  async function appendChange(tx: Tx, expertId: string, actor: string, change: { kind: string; before: Record<string, unknown> | null; after: Record<string, unknown> }) {
    const last = await tx.expertChange.aggregate({ where: { expertId }, _max: { seq: true } });
    await tx.expertChange.create({ data: { expertId, seq: (last._max.seq ?? 0) + 1, actor, change: change as Prisma.InputJsonValue } });
  }

  const include = { certifications: true } as const;
  const concurrent = () => problems.conflict('concurrent-change', 'The expert changed at the same time; retry.');

  /** The expert of `partnerId`, locked for this transaction: concurrent changes are numbered one after the other. */
  async function lockExpert(tx: Tx, partnerId: string, expertId: string): Promise<ExpertRow> {
    await tx.$queryRaw`SELECT id FROM expert WHERE id = ${expertId} FOR UPDATE`;
    const current = await tx.expert.findUnique({ where: { id: expertId }, include });
    if (!current || current.partnerId !== partnerId) throw problems.notFound(`Expert ${expertId}`);
    return current;
  }

  return {
    async listExperts(principal: Principal, partnerId: string, filter: { active?: boolean }): Promise<{ items: ExpertView[] }> {
      scope(principal, partnerId);
      const rows = await prisma.expert.findMany({
        where: { partnerId, ...(filter.active !== undefined ? { active: filter.active } : {}) },
        include,
        orderBy: [{ employeeId: 'asc' }, { id: 'asc' }],
      });
      return { items: rows.map(expertView) };
    },

    async createExpert(principal: Principal, partnerId: string, request: NewExpert, idempotencyKey?: string): Promise<ExpertView> {
      scope(principal, partnerId);
      const certifications = normalizeCertifications(request.certifications);
      const registeredOn = DateTime.fromJSDate(now()).setZone(incentiveRules.timeZone).toISODate()!;
      const exists = () => problems.conflict('expert-exists', `Partner ${partnerId} already has an expert with employee id ${request.employeeId}.`);
      return write(exists, async (tx) => {
        const id = idempotencyKey
          ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/partners/${partnerId}/experts`, idempotencyKey, request)
          : randomUUID();
        const existing = await tx.expert.findUnique({ where: { id }, include });
        if (existing) return expertView(existing); // a retry: the first result stands
        const taken = await tx.expert.findUnique({ where: { partnerId_employeeId: { partnerId, employeeId: request.employeeId } } });
        if (taken) throw problems.conflict('expert-exists', `Partner ${partnerId} already has an expert with employee id ${request.employeeId} (${taken.id}).`);
        const row = await tx.expert.create({
          data: {
            id,
            partnerId,
            employeeId: request.employeeId,
            name: request.name,
            fullTime: request.fullTime,
            fullTimeSince: request.fullTime && request.fullTimeSince ? toDate(request.fullTimeSince) : null,
            registeredOn: toDate(registeredOn),
            certifications: { create: certifications.map((c) => ({ type: c.type, validFrom: toDate(c.validFrom), validTo: toDate(c.validTo) })) },
          },
          include,
        });
        const view = expertView(row);
        await appendChange(tx, id, principal.sub, {
          kind: 'created',
          before: null,
          after: { employeeId: view.employeeId, registeredOn: view.registeredOn, ...fieldsOf(view) },
        });
        return view;
      });
    },

    async updateExpert(principal: Principal, partnerId: string, expertId: string, change: ExpertChange): Promise<ExpertView> {
      scope(principal, partnerId);
      expertId = expertId.toLowerCase();
      return write(concurrent, async (tx) => {
        const current = await lockExpert(tx, partnerId, expertId);
        const currentView = expertView(current);
        const before = fieldsOf(currentView);
        if (change.fullTime === undefined && change.fullTimeSince !== undefined && !before.fullTime) {
          throw problems.unprocessable('not-full-time', 'The expert is not full-time: send fullTime: true with fullTimeSince.', 'fullTimeSince');
        }
        const fullTime = change.fullTime ?? before.fullTime;
        const after: Fields = {
          name: change.name ?? before.name,
          fullTime,
          fullTimeSince: fullTime ? (change.fullTimeSince ?? before.fullTimeSince) : null,
          active: change.active ?? before.active,
          certifications: change.certifications ? normalizeCertifications(change.certifications) : before.certifications,
        };
        const changed = (Object.keys(after) as (keyof Fields)[]).filter((k) => !same(after[k], before[k]));
        if (changed.length === 0) return currentView; // nothing to record
        if (changed.includes('certifications')) {
          // Unchanged certifications keep their rows (and attestation); dropped ones go, new ones come unattested.
          const wanted = new Set(after.certifications.map(certificationKey));
          const kept = current.certifications.filter((c) => wanted.has(certificationKey(certificationOf(c))));
          const keptKeys = new Set(kept.map((c) => certificationKey(certificationOf(c))));
          await tx.expertCertification.deleteMany({ where: { expertId, id: { notIn: kept.map((c) => c.id) } } });
          await tx.expertCertification.createMany({
            data: after.certifications.filter((c) => !keptKeys.has(certificationKey(c))).map((c) => ({ expertId, type: c.type, validFrom: toDate(c.validFrom), validTo: toDate(c.validTo) })),
          });
        }
        const fullTimeChanged = changed.includes('fullTime') || changed.includes('fullTimeSince');
        const row = await tx.expert.update({
          where: { id: expertId },
          data: {
            name: after.name,
            fullTime: after.fullTime,
            fullTimeSince: after.fullTimeSince ? toDate(after.fullTimeSince) : null,
            active: after.active,
            ...(fullTimeChanged ? NOT_ATTESTED : {}),
            updatedAt: now(),
          },
          include,
        });
        const view = expertView(row);
        const [attestedBefore, attestedAfter] = [attestedOf(currentView), attestedOf(view)];
        const withdrawn = !same(attestedBefore, attestedAfter);
        const pick = (fields: Fields, attested: AttestedFacts) => ({ ...Object.fromEntries(changed.map((k) => [k, fields[k]])), ...(withdrawn ? { attested } : {}) });
        const kind = changed.includes('active') && !after.active ? 'deactivated' : changed.includes('active') ? 'reactivated' : 'updated';
        await appendChange(tx, expertId, principal.sub, { kind, before: pick(before, attestedBefore), after: pick(after, attestedAfter) });
        return view;
      });
    },

    /**
     * The vendor attests the named facts, each exactly as the expert record has it now (409 expert-changed naming
     * every fact that differs, nothing attested). Facts already attested stay as they were; nothing new: no change.
     */
    async attestExpert(principal: Principal, partnerId: string, expertId: string, request: Attestation): Promise<ExpertView> {
      scope(principal, partnerId);
      expertId = expertId.toLowerCase();
      return write(concurrent, async (tx) => {
        const current = await lockExpert(tx, partnerId, expertId);
        const currentView = expertView(current);
        const held = new Map(current.certifications.map((c) => [certificationKey(certificationOf(c)), c]));
        const differs: FieldError[] = [];
        if (request.fullTimeSince !== undefined && currentView.fullTimeSince !== request.fullTimeSince) {
          differs.push({ field: 'fullTimeSince', message: currentView.fullTime ? `the expert is full-time since ${currentView.fullTimeSince}` : 'the expert is not full-time' });
        }
        (request.certifications ?? []).forEach((c, i) => {
          if (!held.has(certificationKey(c))) differs.push({ field: `certifications.${i}`, message: `the expert holds no ${spell(c)}` });
        });
        if (differs.length) {
          throw problems.conflict('expert-changed', `Not what the expert record says now (changed since it was checked?): ${differs.map((d) => `${d.field}: ${d.message}`).join('; ')}. Nothing was attested.`, {
            errors: differs,
            current: { fullTime: currentView.fullTime, fullTimeSince: currentView.fullTimeSince, certifications: currentView.certifications },
          });
        }
        const at = now();
        const fullTime = request.fullTimeSince !== undefined && current.fullTimeAttestedAt === null;
        const certificationIds = [...new Set((request.certifications ?? []).map((c) => held.get(certificationKey(c))!).filter((row) => row.attestedAt === null).map((row) => row.id))];
        if (!fullTime && certificationIds.length === 0) return currentView; // all of it attested already
        if (certificationIds.length) await tx.expertCertification.updateMany({ where: { id: { in: certificationIds } }, data: { attestedAt: at, attestedBy: principal.sub } });
        const row = await tx.expert.update({
          where: { id: expertId },
          data: { ...(fullTime ? { fullTimeAttestedSince: current.fullTimeSince, fullTimeAttestedAt: at, fullTimeAttestedBy: principal.sub } : {}), updatedAt: at },
          include,
        });
        const view = expertView(row);
        await appendChange(tx, expertId, principal.sub, { kind: 'attested', before: { attested: attestedOf(currentView) }, after: { attested: attestedOf(view) } });
        return view;
      });
    },
  };
}

export type ExpertsClient = ReturnType<typeof createExpertsClient>;
