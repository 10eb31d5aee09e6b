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
import {
  CERTIFICATION_CATEGORIES,
  checkRules,
  code,
  evaluateRules,
  type PartnerFacts,
  type PartnerRule,
  partnerRuleSchema,
} from './partner-rules.js';

export { CERTIFICATION_CATEGORIES, type CertificationCategory, type PartnerFacts, unmet } from './partner-rules.js';
export const prerequisiteSchema = partnerRuleSchema;
export type Prerequisite = PartnerRule;

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
      checkRules(entry.prerequisites, ctx, ['types', i, 'prerequisites'], types);
      entry.prerequisites.forEach((p, j) => {
        if (p.kind === 'ACTIVE_CERTIFICATES' && (p.type === entry.type || p.category === entry.category)) {
          ctx.addIssue({ code: 'custom', path: ['types', i, 'prerequisites', j], message: 'a certification cannot require itself' });
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

export type PrerequisiteResult = { prerequisite: Prerequisite; description: string; required: number; actual: number; met: boolean };

/**
 * Every prerequisite of `entry`, met or not, with the actual and required values, on local date `today`
 * (YYYY-MM-DD, Asia/Shanghai). Submission is refused when any is unmet — and the refusal lists all of them.
 */
export const evaluatePrerequisites = (entry: CatalogEntry, facts: PartnerFacts, today: string): PrerequisiteResult[] =>
  evaluateRules(entry.prerequisites, facts, today).map(({ rule, ...result }) => ({ prerequisite: rule, ...result }));
