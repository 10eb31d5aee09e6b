/**
 * `tsx scripts/build-console.ts` (part of `npm run build`, so of `npm install` and of `npm start`'s build): the
 * console at /console. Writes the OpenAPI document the API is built from (scripts/openapi-json.ts) to
 * console/generated/openapi.json, generates the client's types from it (openapi-typescript →
 * console/src/api/schema.gen.ts), checks the console with its own TypeScript 5 (tsc --noEmit) and bundles it with
 * Vite into console/dist, which the API serves.
 *
 * Skipped when nothing it depends on changed (console/generated/build-stamp.json): the console's sources and the
 * lock file by content, the API's sources (api/, domain/, workflows/, platform/ — what routes and their zod schemas
 * are made of) by size and modification time. When an API source changed, the document is regenerated and the
 * console is rebuilt only if the document's text differs.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import lockfile from 'proper-lockfile';
import { projectRoot } from '../platform/paths.js';

export const consoleDir = path.join(projectRoot, 'console');
export const consoleDist = path.join(consoleDir, 'dist');
const generatedDir = path.join(consoleDir, 'generated');
const documentFile = path.join(generatedDir, 'openapi.json');
const typesFile = path.join(consoleDir, 'src', 'api', 'schema.gen.ts');
const stampFile = path.join(generatedDir, 'build-stamp.json');

type Stamp = { console: string; apiSources: string; document: string };

/** Every file under `dir` (recursively), skipping what the build writes and the installed packages. */
function filesUnder(dir: string, skip: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !skip(file))
    .sort();
}

const ownOutput = (file: string) => /[\\/](node_modules|dist|generated)[\\/]/.test(path.relative(projectRoot, file)) || file === typesFile;

/** The console's inputs by content (its sources, its configuration, the installed versions through the lock file). */
function consoleFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(consoleDir, ownOutput), path.join(projectRoot, 'package-lock.json')]) {
    hash.update(path.relative(projectRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** The API's sources by size and modification time: cheap, and conservative (a touched file regenerates the document). */
function apiSourcesFingerprint(): string {
  const hash = createHash('sha256');
  for (const dir of ['api', 'domain', 'workflows', 'platform']) {
    for (const file of filesUnder(path.join(projectRoot, dir), () => false)) {
      const { size, mtimeMs } = statSync(file);
      hash.update(`${path.relative(projectRoot, file)}\0${size}\0${mtimeMs}\0`);
    }
  }
  return hash.digest('hex');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function readStamp(): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** A package's executable as the console resolves it (its own TypeScript 5, not the root's). */
function binOf(pkg: string, name: string): string {
  const manifestPath = createRequire(path.join(consoleDir, 'package.json')).resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: string | Record<string, string> };
  return path.join(path.dirname(manifestPath), typeof bin === 'string' ? bin : bin[name]!);
}

function run(step: string, bin: string, args: string[]): void {
  try {
    execFileSync(process.execPath, [bin, ...args], { cwd: consoleDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`the console build failed at ${step}:\n${[stdout, stderr].filter(Boolean).join('\n').trim()}`);
  }
}

/** Whether a bundle exists (from these sources or older ones). */
export const consoleIsBuilt = (): boolean => existsSync(path.join(consoleDist, 'index.html')) && existsSync(typesFile);

/**
 * Whether the console is built from the current sources, without loading the API (tens of milliseconds): what
 * `npm start`'s build (scripts/stack.ts buildEntries) asks before it spends a process on buildConsole.
 */
export function consoleIsUpToDate(): boolean {
  const stamp = readStamp();
  return consoleIsBuilt() && stamp?.console === consoleFingerprint() && stamp.apiSources === apiSourcesFingerprint();
}

/**
 * Builds the console unless it is up to date; says which it did. `force` rebuilds regardless. One build at a time
 * per checkout (a lock on console/): browser test files run in parallel and each asks for the console first — the
 * second waits for the first and then finds it up to date, instead of two Vite builds writing one dist/.
 */
export async function buildConsole({ force = false }: { force?: boolean } = {}): Promise<'built' | 'up to date'> {
  // Stale after 60 s without an update (a crashed build); retried for up to ~5 minutes (a build under load takes ~20 s).
  const release = await lockfile.lock(consoleDir, { lockfilePath: path.join(consoleDir, '.build.lock'), stale: 60_000, retries: { retries: 300, minTimeout: 1_000, maxTimeout: 1_000 } });
  try {
    return await buildUnlocked(force);
  } finally {
    await release();
  }
}

async function buildUnlocked(force: boolean): Promise<'built' | 'up to date'> {
  const stamp = readStamp();
  const built = consoleIsBuilt();
  const consoleNow = consoleFingerprint();
  const apiNow = apiSourcesFingerprint();
  if (!force && built && stamp?.console === consoleNow && stamp.apiSources === apiNow) return 'up to date';

  // Imported only here: building the routes loads the whole API, which an up-to-date build never needs.
  const { openApiText } = await import('./openapi-json.js');
  const document = openApiText();
  mkdirSync(generatedDir, { recursive: true });
  if (!force && built && stamp?.console === consoleNow && stamp.document === sha256(document)) {
    writeFileSync(stampFile, JSON.stringify({ ...stamp, apiSources: apiNow } satisfies Stamp));
    return 'up to date';
  }
  writeFileSync(documentFile, document);
  run('openapi-typescript', binOf('openapi-typescript', 'openapi-typescript'), [documentFile, '--output', typesFile]);
  run('tsc --noEmit (console)', binOf('typescript', 'tsc'), ['--noEmit', '-p', consoleDir]);
  run('vite build', binOf('vite', 'vite'), ['build', '--logLevel', 'warn']);
  writeFileSync(stampFile, JSON.stringify({ console: consoleNow, apiSources: apiNow, document: sha256(document) } satisfies Stamp));
  return 'built';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  buildConsole({ force: process.argv.includes('--force') }).then(
    (outcome) => console.log(`console: ${outcome} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
