/**
 * The certification catalog, as data (domain/certification-catalog.json), and the one pure function that checks
 * an application's prerequisites against a partner's live facts. Adding a certification, changing a validity or a
 * review SLA is an edit of the JSON, not the code.
 *
 * Every entry: a unique `type` (e.g. ROLE_CONSULTING) in one of three categories — ADVANCED_CLOUD_SOFTWARE (a
 * software partner's application or solution), ROLE and CAPABILITY_DIFFERENTIATION (consulting / system-integration
 * partners) — what it applies to (the partner, or one of its solutions), the materials an application must carry
 * (one file per kind), prerequisites, validity in years, the review SLA and the supplement window in working days,
 * and the capability labels a certificate's badge shows.
 */
import { z } from 'zod';
import data from './certification-catalog.json' with { type: 'json' };
import { CERTIFICATION_TYPES, type ExpertFacts } from './incentive-rules.js';

export const CERTIFICATION_CATEGORIES = ['ADVANCED_CLOUD_SOFTWARE', 'ROLE', 'CAPABILITY_DIFFERENTIATION'] as const;
export type CertificationCategory = (typeof CERTIFICATION_CATEGORIES)[number];

const code = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'UPPER_SNAKE_CASE');
const count = z.number().int().min(1).max(1000);

export const prerequisiteSchema = z.discriminatedUnion('kind', [
  /** At least `min` active, full-time experts registered. */
  z.strictObject({ kind: z.literal('FULL_TIME_EXPERTS'), min: count }),
  /** At least `min` active experts holding this expert certification, valid today. */
  z.strictObject({ kind: z.literal('EXPERTS_WITH_CERTIFICATION'), certification: code, min: count }),
  /** At least `min` active certificates of a category (or of one type), valid today. */
  z.strictObject({ kind: z.literal('ACTIVE_CERTIFICATES'), category: z.enum(CERTIFICATION_CATEGORIES).optional(), type: code.optional(), min: count }),
]);
export type Prerequisite = z.output<typeof prerequisiteSchema>;

const entrySchema = z.strictObject({
  type: code,
  category: z.enum(CERTIFICATION_CATEGORIES),
  name: z.string().min(1).max(200),
  appliesTo: z.enum(['PARTNER', 'SOLUTION']),
  requiredMaterials: z.array(z.strictObject({ kind: code, name: z.string().min(1).max(200) })).min(1),
  prerequisites: z.array(prerequisiteSchema),
  validityYears: z.number().int().min(1).max(10),
  reviewSlaWorkingDays: z.number().int().min(1).max(100),
  supplementWorkingDays: z.number().int().min(1).max(100),
  capabilityLabels: z.array(z.string().min(1).max(100)).min(1),
});
export type CatalogEntry = z.output<typeof entrySchema>;

export const certificationCatalogSchema = z
  .strictObject({ version: z.string().min(1), types: z.array(entrySchema).min(1) })
  .superRefine((catalog, ctx) => {
    const types = catalog.types.map((t) => t.type);
    catalog.types.forEach((entry, i) => {
      if (types.indexOf(entry.type) !== i) ctx.addIssue({ code: 'custom', path: ['types', i, 'type'], message: `duplicate type ${entry.type}` });
      const kinds = entry.requiredMaterials.map((m) => m.kind);
      if (new Set(kinds).size !== kinds.length) ctx.addIssue({ code: 'custom', path: ['types', i, 'requiredMaterials'], message: 'a material kind is listed twice' });
      entry.prerequisites.forEach((p, j) => {
        const path = ['types', i, 'prerequisites', j];
        if (p.kind === 'EXPERTS_WITH_CERTIFICATION' && !CERTIFICATION_TYPES.includes(p.certification)) {
          ctx.addIssue({ code: 'custom', path: [...path, 'certification'], message: `${p.certification} is not an expert certification (domain/incentive-rules.json)` });
        }
        if (p.kind === 'ACTIVE_CERTIFICATES') {
          if (!p.category === !p.type) ctx.addIssue({ code: 'custom', path, message: 'name exactly one of category or type' });
          if (p.type && !types.includes(p.type)) ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `${p.type} is not in the catalog` });
          if (p.type === entry.type || p.category === entry.category) ctx.addIssue({ code: 'custom', path, message: 'a certification cannot require itself' });
        }
      });
    });
  });
export type CertificationCatalog = z.output<typeof certificationCatalogSchema>;

/** Validated catalog; throws (naming the bad entry) when the JSON is not valid. */
export function loadCertificationCatalog(json: unknown): CertificationCatalog {
  const parsed = certificationCatalogSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`certification catalog is not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The shipped catalog (domain/certification-catalog.json). */
export const certificationCatalog: CertificationCatalog = loadCertificationCatalog(data);

export const catalogEntry = (type: string, catalog: CertificationCatalog = certificationCatalog): CatalogEntry | undefined =>
  catalog.types.find((t) => t.type === type);

/** What the prerequisites are checked against: the partner's experts and certificates as they are now. */
export type PartnerFacts = {
  experts: readonly ExpertFacts[];
  certificates: readonly { type: string; category: string; validFrom: string; validTo: string; active: boolean }[];
};

export type PrerequisiteResult = { prerequisite: Prerequisite; description: string; required: number; actual: number; met: boolean };

const describe = (p: Prerequisite): string => {
  switch (p.kind) {
    case 'FULL_TIME_EXPERTS':
      return `at least ${p.min} full-time experts registered`;
    case 'EXPERTS_WITH_CERTIFICATION':
      return `at least ${p.min} expert${p.min > 1 ? 's' : ''} holding a valid ${p.certification} certification`;
    case 'ACTIVE_CERTIFICATES':
      return `at least ${p.min} active ${p.type ?? p.category} certificate${p.min > 1 ? 's' : ''}`;
  }
};

const validOn = (c: { validFrom: string; validTo: string }, today: string) => c.validFrom <= today && today <= c.validTo;

/**
 * Every prerequisite of `entry`, met or not, with the actual and required values, on local date `today`
 * (YYYY-MM-DD, Asia/Shanghai). Submission is refused when any is unmet — and the refusal lists all of them.
 */
export function evaluatePrerequisites(entry: CatalogEntry, facts: PartnerFacts, today: string): PrerequisiteResult[] {
  const active = facts.experts.filter((e) => e.active);
  return entry.prerequisites.map((p) => {
    const actual =
      p.kind === 'FULL_TIME_EXPERTS'
        ? active.filter((e) => e.fullTime).length
        : p.kind === 'EXPERTS_WITH_CERTIFICATION'
          ? active.filter((e) => e.certifications.some((c) => c.type === p.certification && validOn(c, today))).length
          : facts.certificates.filter((c) => c.active && validOn(c, today) && (p.type ? c.type === p.type : c.category === p.category)).length;
    return { prerequisite: p, description: describe(p), required: p.min, actual, met: actual >= p.min };
  });
}

export const unmet = (results: readonly PrerequisiteResult[]) => results.filter((r) => !r.met);
