/**
 * What a workflow may know of the certification catalog without loading it: each type and what it applies to, read
 * from the same JSON (domain/certification-catalog.json) as it is. Workflows import this, not certification-catalog.ts:
 * every workflow instance evaluates its bundle's modules afresh, and the catalog's zod schemas would be built — and
 * kept in memory — once per open workflow. The JSON is still validated: certification-catalog.ts parses it when the
 * API and the worker load (the worker's activities import it), so a bad catalog stops them at start.
 */
import data from './certification-catalog.json' with { type: 'json' };

export type AppliesTo = 'PARTNER' | 'SOLUTION';

/** What a catalog type applies to: the partner, or one of its solutions; undefined for a type not in the catalog. */
export const appliesToOf = (type: string): AppliesTo | undefined =>
  data.types.find((entry) => entry.type === type)?.appliesTo as AppliesTo | undefined;
