/**
 * The only door into the experts tables (expert, expert_certification, expert_change).
 *
 * Rules: partner staff manage only their own partner's experts (another partner's answer 404); vendor staff
 * holding expert.manage (vendor_admin) manage any partner. The employee id is unique per partner (409). Every
 * change, creation included, appends one expert_change row ({kind, before, after} of the changed fields) in the
 * same transaction as the change; a request that changes nothing appends nothing. Every refusal happens before
 * or inside the transaction that would have written, so a refused request changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../domain/auth.js';
import { type Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import type { ExpertView } from '../schemas.js';
import { reserveIdempotentId } from './idempotency.js';

type Tx = Prisma.TransactionClient;
type ExpertRow = Prisma.ExpertGetPayload<{ include: { certifications: true } }>;

export type Certification = { type: string; validFrom: string; validTo: string };
export type NewExpert = {
  employeeId: string;
  name: string;
  fullTime: boolean;
  fullTimeSince?: string | undefined;
  registeredOn: string;
  certifications: Certification[];
};
export type ExpertChange = {
  name?: string | undefined;
  fullTime?: boolean | undefined;
  fullTimeSince?: string | undefined;
  certifications?: Certification[] | undefined;
  active?: boolean | undefined;
};

/** The fields a change can touch, as recorded in expert_change. */
type Fields = Pick<ExpertView, 'name' | 'fullTime' | 'fullTimeSince' | 'active' | 'certifications'>;

const toDate = (local: string) => new Date(`${local}T00:00:00Z`);
const fromDate = (date: Date) => date.toISOString().slice(0, 10);

/** One order and no exact duplicates: the same set always reads (and compares) the same. */
function normalizeCertifications(certifications: readonly Certification[]): Certification[] {
  const key = (c: Certification) => `${c.type}\n${c.validFrom}\n${c.validTo}`;
  const unique = new Map(certifications.map((c) => [key(c), { type: c.type, validFrom: c.validFrom, validTo: c.validTo }]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

const expertView = (row: ExpertRow): ExpertView => ({
  id: row.id,
  partnerId: row.partnerId,
  employeeId: row.employeeId,
  name: row.name,
  fullTime: row.fullTime,
  fullTimeSince: row.fullTimeSince ? fromDate(row.fullTimeSince) : null,
  registeredOn: fromDate(row.registeredOn),
  active: row.active,
  certifications: normalizeCertifications(row.certifications.map((c) => ({ type: c.type, validFrom: fromDate(c.validFrom), validTo: fromDate(c.validTo) }))),
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

const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === 'P2002';

export function createExpertsClient({ prisma }: { prisma: PrismaClient }) {
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
            registeredOn: toDate(request.registeredOn),
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
      return write(
        () => problems.conflict('concurrent-change', 'The expert changed at the same time; retry.'),
        async (tx) => {
          // Lock the expert: concurrent changes are numbered one after the other.
          await tx.$queryRaw`SELECT id FROM expert WHERE id = ${expertId} FOR UPDATE`;
          const current = await tx.expert.findUnique({ where: { id: expertId }, include });
          if (!current || current.partnerId !== partnerId) throw problems.notFound(`Expert ${expertId}`);
          const before = fieldsOf(expertView(current));
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
          const changed = (Object.keys(after) as (keyof Fields)[]).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
          if (changed.length === 0) return expertView(current); // nothing to record
          if (changed.includes('certifications')) {
            await tx.expertCertification.deleteMany({ where: { expertId } });
            await tx.expertCertification.createMany({
              data: after.certifications.map((c) => ({ expertId, type: c.type, validFrom: toDate(c.validFrom), validTo: toDate(c.validTo) })),
            });
          }
          const row = await tx.expert.update({
            where: { id: expertId },
            data: {
              name: after.name,
              fullTime: after.fullTime,
              fullTimeSince: after.fullTimeSince ? toDate(after.fullTimeSince) : null,
              active: after.active,
              updatedAt: new Date(),
            },
            include,
          });
          const pick = (fields: Fields) => Object.fromEntries(changed.map((k) => [k, fields[k]]));
          const kind = changed.includes('active') && !after.active ? 'deactivated' : changed.includes('active') ? 'reactivated' : 'updated';
          await appendChange(tx, expertId, principal.sub, { kind, before: pick(before), after: pick(after) });
          return expertView(row);
        },
      );
    },
  };
}

export type ExpertsClient = ReturnType<typeof createExpertsClient>;
