/**
 * `npm start`: the whole stack in one foreground process tree — Temporal (dev server with Web UI, or the
 * time-skipping test server with --time-skipping), the database (embedded PGlite unless DATABASE_URL),
 * the worker and the HTTP API, run from the build (`npm run build`, done here incrementally first: about a second when
 * nothing changed) as production runs them. Every port it will bind is checked before anything starts, and a service
 * counts as started only once the child started for it listens. Ctrl-C or SIGTERM stops all of them in
 * order (API and worker drain before Temporal and the database); if this process is killed outright, its
 * children notice and stop themselves (platform/parent-watch.ts). A second start reuses .data/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { WORKER_NODE_FLAGS } from '../platform/config.js';
import { migrate } from '../platform/db.js';
import { connectTimeSkipping, registerSearchAttributes, temporalSecurityFromEnv } from '../platform/temporal.js';
import { searchAttributeTypes } from '../workflows/kit/search-attributes.js';
import {
  createSupervisor,
  describeProcess,
  listenerPids,
  portInUse,
  startedBySupervisor,
  buildEntries,
  startBuiltChild,
  startTsChild,
  startWatchedBinary,
  waitForListener,
} from './stack.js';
import { MissingBinaryError, projectRoot, resolveTemporalCli, resolveTestServer } from './temporal-binaries.js';

const { values: flags } = parseArgs({ options: { 'time-skipping': { type: 'boolean', default: false } } });
const timeSkipping = flags['time-skipping'] ?? false;
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

const dataDir = process.env.DATA_DIR ?? path.join(projectRoot, '.data');
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const { supervise, stopAll, isStopping } = createSupervisor(say);

type PlannedPort = { port: number; what: string; variable: string; host: string };

/** The ports this start will bind (not those of a DATABASE_URL or TEMPORAL_ADDRESS elsewhere), or why a setting is wrong. */
function plannedPorts(): PlannedPort[] | string {
  const planned: [variable: string, fallback: number, what: string, host?: string][] = [['PORT', 3000, 'API', process.env.HOST]];
  if (!process.env.TEMPORAL_ADDRESS) {
    planned.push(['TEMPORAL_PORT', 7233, 'Temporal']);
    if (!timeSkipping) planned.push(['TEMPORAL_UI_PORT', 8233, 'Temporal Web UI']);
  }
  if (!process.env.DATABASE_URL) planned.push(['EMBEDDED_DB_PORT', 5433, 'embedded database']);
  const ports: PlannedPort[] = [];
  for (const [variable, fallback, what, host] of planned) {
    const port = Number(process.env[variable] ?? fallback);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `${variable}=${process.env[variable]} is not a TCP port (1–65535)`;
    const twin = ports.find((p) => p.port === port);
    if (twin) return `${twin.variable} and ${variable} both name port ${port}: give each its own`;
    ports.push({ port, what, variable, host: host ?? '127.0.0.1' });
  }
  return ports;
}

/** One sentence per planned port something else already listens on, naming who when /proc tells. */
async function busyPorts(ports: PlannedPort[]): Promise<string[]> {
  const busy: string[] = [];
  for (const { port, what, variable, host } of ports) {
    if (!(await portInUse(port, host))) continue;
    const holder = listenerPids(port)[0];
    const who =
      holder === undefined
        ? ' — another partnerflow stack?'
        : startedBySupervisor(holder)
          ? ` by another partnerflow stack, pid ${describeProcess(holder)} —`
          : ` by pid ${describeProcess(holder)} —`;
    busy.push(`port ${port} (${what}) is in use${who} stop it, or set ${variable}`);
  }
  return busy;
}

async function startDatabase(port: number | undefined): Promise<string> {
  if (port === undefined) {
    // plannedPorts() plans no embedded database port only when DATABASE_URL is set.
    const url = process.env.DATABASE_URL!;
    say(`database: ${redact(url)} (DATABASE_URL)`);
    return url;
  }
  const db = supervise(() => startTsChild('db', 'scripts/embedded-db.ts', { ...process.env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(port) }));
  await waitForListener(db, port, '127.0.0.1', 60_000);
  return `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

async function startTemporal(port: number | undefined, uiPort: number | undefined): Promise<string> {
  if (port === undefined) {
    // plannedPorts() plans no Temporal port only when TEMPORAL_ADDRESS is set.
    const address = process.env.TEMPORAL_ADDRESS!;
    say(`temporal: ${address} namespace ${namespace} (TEMPORAL_ADDRESS)`);
    const connection = await Connection.connect({ address, ...temporalSecurityFromEnv() });
    await registerSearchAttributes(connection, namespace);
    await connection.close();
    return address;
  }
  const address = `127.0.0.1:${port}`;
  if (timeSkipping) {
    // In-memory: nothing survives a restart in this mode.
    const server = supervise(() => startWatchedBinary('temporal', resolveTestServer(), [String(port)], process.env));
    await waitForListener(server, port, '127.0.0.1', 60_000);
    const connection = await connectTimeSkipping(address);
    // The test server starts with skipping locked (its clock runs in real time) and must stay so: an extra
    // lock here would make unlockTimeSkippingWithSleep wait in real time. The stack moves the clock only via
    // POST /v1/admin/clock/advance.
    await registerSearchAttributes(connection, namespace);
    await connection.close();
    say(`temporal: time-skipping test server on ${address} (clock locked; POST /v1/admin/clock/advance moves it)`);
    return address;
  }
  mkdirSync(dataDir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--db-filename', path.join(dataDir, 'temporal.sqlite'),
    // Plain file SQLite is ~10x slower.
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=NORMAL',
    '--namespace', namespace,
    // --search-attribute registers them, also in a data file from before they existed.
    ...Object.entries(searchAttributeTypes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    '--ui-disable-news-fetch',
    '--log-level', 'warn',
  ];
  const server = supervise(() => startWatchedBinary('temporal', resolveTemporalCli(), args, process.env));
  await waitForListener(server, port, '127.0.0.1', 60_000);
  if (uiPort !== undefined) await waitForListener(server, uiPort, '127.0.0.1', 60_000);
  say(`temporal: dev server on ${address}, Web UI http://localhost:${uiPort}, data ${path.join(dataDir, 'temporal.sqlite')}`);
  return address;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

const ports = plannedPorts();
const busy = typeof ports === 'string' ? [ports] : await busyPorts(ports);
if (busy.length > 0) {
  for (const sentence of busy) say(sentence);
  process.exit(1);
}
const portOf = (variable: string) => (ports as PlannedPort[]).find((p) => p.variable === variable)?.port;

try {
  // START_BUILD=0: run the build as it is (built beforehand, e.g. in an image; the tests' global setup builds once).
  if (process.env.START_BUILD !== '0') buildEntries();
  const databaseUrl = await startDatabase(portOf('EMBEDDED_DB_PORT'));
  const applied = await migrate(databaseUrl);
  say(`database: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
  const temporalAddress = await startTemporal(portOf('TEMPORAL_PORT'), portOf('TEMPORAL_UI_PORT'));
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TIME_SKIPPING: timeSkipping ? '1' : '0',
  };
  // The worker's heap flags act only at start (platform/config.ts WORKER_NODE_FLAGS, docs/configuration.md).
  const workerNodeOptions = [process.env.NODE_OPTIONS, ...WORKER_NODE_FLAGS].filter(Boolean).join(' ');
  supervise(() => startBuiltChild('worker', 'worker/main.ts', { ...env, NODE_OPTIONS: workerNodeOptions }));
  const api = supervise(() => startBuiltChild('api', 'api/main.ts', env));
  const port = portOf('PORT')!;
  await waitForListener(api, port, process.env.HOST ?? '127.0.0.1', 60_000);
  if (!isStopping()) say(`ready: API http://localhost:${port}  ·  token: npm run token -- --role vendor_staff  ·  Ctrl-C stops everything`);
} catch (error) {
  if (!isStopping()) say(error instanceof MissingBinaryError ? error.message : `failed to start: ${(error as Error).message}`);
  await stopAll(1);
}
