/**
 * The API, the worker's schedules and the bench start workflows by type name (they know workflow modules only as
 * types: the layer rule callers-import-workflows-as-types). The names live in each process's contract as
 * `<NAME>_WORKFLOW` constants; a constant that drifts from the function the worker registers would only fail at
 * runtime ("workflow type not found"), so this test holds every constant to an exported workflow function.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as registered from '../workflows/index.js';
import { SEARCH_ATTRIBUTES, searchAttributeTypes } from '../workflows/kit/search-attributes.js';

const workflowsDir = new URL('../workflows/', import.meta.url);
const processes = readdirSync(workflowsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'kit')
  .map((entry) => entry.name);

describe('workflow type names in the contracts', () => {
  it('every process folder has a contract', () => {
    const withoutContract = processes.filter((p) => !readdirSync(new URL(`${p}/`, workflowsDir)).includes('contract.ts'));
    expect(processes.length).toBeGreaterThanOrEqual(8);
    expect(withoutContract).toEqual([]);
  });

  it('every <NAME>_WORKFLOW constant names a workflow the worker registers', async () => {
    const names: string[] = [];
    for (const p of processes) {
      const contract = (await import(`../workflows/${p}/contract.ts`)) as Record<string, unknown>;
      for (const [key, value] of Object.entries(contract)) if (/^[A-Z_]+_WORKFLOW$/.test(key)) names.push(String(value));
    }
    const registeredNames = Object.entries(registered).map(([exported, fn]) => {
      // The registered type name is the function's own name; the export must not rename it.
      expect((fn as { name: string }).name).toBe(exported);
      return exported;
    });
    expect(names.length).toBeGreaterThanOrEqual(9);
    expect(names.filter((n) => !registeredNames.includes(n))).toEqual([]);
  });

  it('the list of search attributes test and benchmark servers register is the list the cluster registers', () => {
    // A server without one of them fails every workflow task that upserts it (the benchmarks once ran without
    // DeadlineProvisional); the Web UI's names and types are searchAttributeTypes.
    const cliType = { KEYWORD: 'Keyword', DATETIME: 'Datetime', INT: 'Int', BOOL: 'Bool' } as Record<string, string>;
    expect(Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, cliType[k.type]]))).toEqual(searchAttributeTypes);
  });
});
