/** A partner's live facts for rule evaluation (domain/partner-rules.ts): active experts and active certificates. */
import type { PartnerFacts } from '../domain/partner-rules.js';
import type { PrismaClient } from '../platform/db.js';

const fromDateColumn = (d: Date) => d.toISOString().slice(0, 10);

export async function loadPartnerFacts(prisma: PrismaClient, partnerId: string): Promise<PartnerFacts> {
  const [experts, certificates] = await Promise.all([
    prisma.expert.findMany({ where: { partnerId, active: true }, include: { certifications: true } }),
    prisma.certificate.findMany({ where: { partnerId, status: 'ACTIVE' } }),
  ]);
  return {
    experts: experts.map((e) => ({
      active: e.active,
      fullTime: e.fullTime,
      fullTimeSince: e.fullTimeSince ? fromDateColumn(e.fullTimeSince) : null,
      registeredOn: fromDateColumn(e.registeredOn),
      certifications: e.certifications.map((c) => ({ type: c.type, validFrom: fromDateColumn(c.validFrom), validTo: fromDateColumn(c.validTo) })),
    })),
    certificates: certificates.map((c) => ({ type: c.type, category: c.category, validFrom: fromDateColumn(c.validFrom), validTo: fromDateColumn(c.validTo), active: true })),
  };
}
