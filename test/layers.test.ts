/**
 * The layer rules (.dependency-cruiser.cjs, run by dependency-cruiser with its swc parser) hold on the real tree, and
 * each rule fires on a deliberate violation in a throwaway tree — a checker that silently parsed nothing would pass
 * the real tree too, so every rule is shown catching something.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../scripts/temporal-binaries.js';

const config = path.join(projectRoot, '.dependency-cruiser.cjs');
const depcruise = path.join(projectRoot, 'node_modules', '.bin', 'depcruise');
export const LAYERED = ['domain', 'activities', 'api', 'platform', 'workflows', 'worker', 'scripts', 'bench'];

type Violation = { rule: { name: string }; from: string; to: string };

/** Runs the checker in `cwd` over `dirs`; its violations (it exits non-zero when there are any). */
function cruise(cwd: string, dirs: string[]): { violations: Violation[]; modules: number } {
  let out: string;
  try {
    out = execFileSync(depcruise, [...dirs, '--config', config, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  const result = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: result.summary.violations, modules: result.summary.totalCruised };
}

const fixtures: string[] = [];
afterAll(() => fixtures.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A throwaway tree: file path → source. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-layers-'));
  fixtures.push(dir);
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  return dir;
}

// A tree that keeps every rule: the control.
const lawful = {
  'domain/rule.ts': "export const rule = (n: number) => n + 1;\n",
  'workflows/p/contract.ts': "import { rule } from '../../domain/rule.js';\nexport const topic = 'p.changed';\nexport const next = rule;\n",
  'workflows/p/workflow.ts': "import type { createActivities } from '../../activities/p.js';\nimport { topic } from './contract.js';\nexport type A = ReturnType<typeof createActivities>;\nexport const t = topic;\n",
  'activities/p.ts': "import { topic } from '../workflows/p/contract.js';\nexport const createActivities = () => ({ topic });\n",
  // The API knows the workflow module only as a type (what it starts), its values from the contract.
  'api/p/client.ts':
    "import { topic } from '../../workflows/p/contract.js';\nimport type { A } from '../../workflows/p/workflow.js';\nimport { rule } from '../../domain/rule.js';\nexport const client = { topic, rule };\nexport type Started = A;\n",
  'worker/main.ts': "import { createActivities } from '../activities/p.js';\nexport const worker = createActivities;\n",
};

describe('layer rules', () => {
  it('hold on the real tree (and the checker really parsed it)', () => {
    const { violations, modules } = cruise(projectRoot, LAYERED);
    expect(modules).toBeGreaterThan(100);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('the lawful fixture passes: the checker is not simply refusing everything', () => {
    const { violations, modules } = cruise(tree(lawful), ['domain', 'workflows', 'activities', 'api', 'worker']);
    expect(modules).toBe(6);
    expect(violations).toEqual([]);
  });

  it.each([
    ['no-cycles', { 'activities/q.ts': "import { createActivities } from './p.js';\nexport const q = createActivities;\n", 'activities/p.ts': "import { q } from './q.js';\nexport const createActivities = () => ({ q });\n" }],
    ['domain-is-pure', { 'domain/rule.ts': "import { client } from '../api/p/client.js';\nexport const rule = (n: number) => n + 1;\nexport const c = client;\n" }],
    ['activities-not-workflows', { 'activities/p.ts': "import type { A } from '../workflows/p/workflow.js';\nexport const createActivities = () => ({} as A);\n" }],
    ['api-not-activities', { 'api/p/client.ts': "import { createActivities } from '../../activities/p.js';\nexport const client = createActivities;\n" }],
    ['worker-not-api', { 'worker/main.ts': "import { client } from '../api/p/client.js';\nexport const worker = client;\n" }],
    ['callers-import-workflows-as-types', { 'api/p/client.ts': "import { t } from '../../workflows/p/workflow.js';\nexport const client = { t };\n" }],
    ['workflows-import-activities-as-types', { 'workflows/p/workflow.ts': "import { createActivities } from '../../activities/p.js';\nexport const a = createActivities;\n" }],
  ])('%s fires on a deliberate violation', (rule, override) => {
    const { violations } = cruise(tree({ ...lawful, ...override }), ['domain', 'workflows', 'activities', 'api', 'worker']);
    expect(violations.map((v) => v.rule.name)).toContain(rule);
  });
});
