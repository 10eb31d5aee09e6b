/**
 * The workflow bundle holds the SDK's packages and our workflow code, nothing else. The SDK gives every workflow
 * instance its own module cache: each start evaluates every module of the bundle afresh, and each cached workflow
 * keeps its own copies. A library in the bundle (zod, luxon) or a module that validates data at load (the catalogs)
 * costs CPU at every start and memory per open workflow — issue 16 measured the catalogs' zod schemas at about a
 * third of a share's workflow-thread CPU. Workflows read data modules that do not validate (domain/certification-types.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

/** npm packages the bundle may hold: the SDK and what it depends on (long, ms: @temporalio/common's). */
const SDK = /^(@temporalio\/[^/]+|nexus-rpc|long|ms)$/;
/** Our modules that validate or compute at load: their zod-free views are what workflows import. */
const LOADS_AT_START = /^\.\/domain\/(certification-catalog|development-paths|incentive-rules|partner-rules|money|auth|calendar)\.ts$/;

/** The modules of a webpack bundle, as it names them ("./workflows/opportunity/workflow.ts"). */
const modulesOf = (code: string) => [...code.matchAll(/^\/\*\*\*\/ "(\.\/[^"]+)"$/gm)].map((m) => m[1]!);

/** The bundle's modules that should not be there: foreign npm packages (by name) and modules that validate at load. */
export function unwelcomeModules(code: string): string[] {
  const modules = modulesOf(code);
  const packages = modules
    .map((m) => /^\.\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1])
    .filter((name): name is string => name !== undefined && !SDK.test(name));
  return [...new Set([...packages, ...modules.filter((m) => LOADS_AT_START.test(m))])].sort();
}

const noop = () => {};
const logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

describe('the workflow bundle', () => {
  it('holds only the SDK and our workflow code (and the check really read modules)', () => {
    const bundle = JSON.parse(readFileSync(inject('workflowBundlePath'), 'utf8')) as WorkflowBundleWithSourceMap;
    expect(modulesOf(bundle.code)).toContain('./workflows/opportunity/workflow.ts');
    expect(unwelcomeModules(bundle.code)).toEqual([]);
  });

  it('the check catches a workflow that imports a validating module', async () => {
    const workflowsPath = fileURLToPath(new URL('./fixtures/heavy-workflow.ts', import.meta.url));
    const { code } = await bundleWorkflowCode({ workflowsPath, logger });
    expect(unwelcomeModules(code)).toEqual(['./domain/money.ts', 'zod']);
  }, 60_000);
});
