/**
 * The partner programme's development paths, as data (domain/development-paths.json): each path has levels in
 * ascending order, and per level its requirement items — partner rules (domain/partner-rules.ts) evaluated against
 * live data. Each path also says when its annual review starts (month, day), how long the review window is (in
 * working days), which review materials a partner uploads, and what a failed or lapsed review does:
 * `DOWNGRADE` (one level down; from the lowest level the partner leaves the path) or `REMOVE` (leaves the path).
 */
import { z } from 'zod';
import { certificationCatalog } from './certification-catalog.js';
import data from './development-paths.json' with { type: 'json' };
import { checkRules, code, evaluateRules, type PartnerFacts, partnerRuleSchema, type RuleResult } from './partner-rules.js';

const levelSchema = z.strictObject({ level: code, name: z.string().min(1).max(200), requirements: z.array(partnerRuleSchema).min(1) });

const pathSchema = z.strictObject({
  id: code,
  name: z.string().min(1).max(200),
  review: z.strictObject({
    month: z.number().int().min(1).max(12),
    day: z.number().int().min(1).max(28), // every month has it
    windowWorkingDays: z.number().int().min(1).max(250),
    materials: z.array(code).min(1),
  }),
  onFail: z.enum(['DOWNGRADE', 'REMOVE']),
  /** Lowest first. */
  levels: z.array(levelSchema).min(1),
});
export type DevelopmentPath = z.output<typeof pathSchema>;

export const developmentPathsSchema = z
  .strictObject({ version: z.string().min(1), paths: z.array(pathSchema).min(1) })
  .superRefine((catalog, ctx) => {
    const known = certificationCatalog.types.map((t) => t.type);
    const ids = catalog.paths.map((p) => p.id);
    catalog.paths.forEach((path, i) => {
      if (ids.indexOf(path.id) !== i) ctx.addIssue({ code: 'custom', path: ['paths', i, 'id'], message: `duplicate path ${path.id}` });
      const levels = path.levels.map((l) => l.level);
      path.levels.forEach((level, j) => {
        if (levels.indexOf(level.level) !== j) ctx.addIssue({ code: 'custom', path: ['paths', i, 'levels', j, 'level'], message: `duplicate level ${level.level}` });
        checkRules(level.requirements, ctx, ['paths', i, 'levels', j, 'requirements'], known);
      });
      if (new Set(path.review.materials).size !== path.review.materials.length) {
        ctx.addIssue({ code: 'custom', path: ['paths', i, 'review', 'materials'], message: 'a material kind is listed twice' });
      }
    });
  });
export type DevelopmentPaths = z.output<typeof developmentPathsSchema>;

/** Validated paths; throws (naming the bad entry) when the JSON is not valid. */
export function loadDevelopmentPaths(json: unknown): DevelopmentPaths {
  const parsed = developmentPathsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`development paths are not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The shipped paths (domain/development-paths.json). */
export const developmentPaths: DevelopmentPaths = loadDevelopmentPaths(data);

export const pathById = (id: string, paths: DevelopmentPaths = developmentPaths) => paths.paths.find((p) => p.id === id);
export const levelOf = (path: DevelopmentPath, level: string) => path.levels.find((l) => l.level === level);

export type RequirementResult = Omit<RuleResult, 'rule'> & { requirement: RuleResult['rule'] };

/** Every requirement item of `level` on `path`, met or not, with actual vs required, on local date `today`. */
export function evaluateRequirements(path: DevelopmentPath, level: string, facts: PartnerFacts, today: string): RequirementResult[] {
  const entry = levelOf(path, level);
  if (!entry) throw new RangeError(`${path.id} has no level ${level}`);
  return evaluateRules(entry.requirements, facts, today).map(({ rule, ...result }) => ({ requirement: rule, ...result }));
}

/**
 * The level a partner keeps after a FAILED or LAPSED review of `level`: one lower (DOWNGRADE), or none — it leaves
 * the path (REMOVE, or DOWNGRADE from the lowest level).
 */
export function levelAfterFailure(path: DevelopmentPath, level: string): string | null {
  const index = path.levels.findIndex((l) => l.level === level);
  if (index < 0) throw new RangeError(`${path.id} has no level ${level}`);
  return path.onFail === 'DOWNGRADE' && index > 0 ? path.levels[index - 1]!.level : null;
}

/** Whether `newLevel` may follow a PASSED review of `level`: the same level or a higher one. */
export function isKeptOrRaised(path: DevelopmentPath, level: string, newLevel: string): boolean {
  const from = path.levels.findIndex((l) => l.level === level);
  const to = path.levels.findIndex((l) => l.level === newLevel);
  return from >= 0 && to >= from;
}
