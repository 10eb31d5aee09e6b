/**
 * `npm start`: the whole stack in one foreground process tree — Temporal (dev server with Web UI, or the
 * time-skipping test server with --time-skipping), the database (embedded PGlite unless DATABASE_URL),
 * the worker and the HTTP API. Ctrl-C stops all of them; a second start reuses .data/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { migrate } from '../platform/db.js';
import { connectTimeSkipping, registerSearchAttributes } from '../platform/temporal.js';
import { searchAttributeTypes } from '../workflows/search-attributes.js';
import { type Child, startChild, startTsChild, stopChild, waitForPort } from './stack.js';
import { MissingBinaryError, projectRoot, resolveTemporalCli, resolveTestServer } from './temporal-binaries.js';

const { values: flags } = parseArgs({ options: { 'time-skipping': { type: 'boolean', default: false } } });
const timeSkipping = flags['time-skipping'] ?? false;
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

const dataDir = process.env.DATA_DIR ?? path.join(projectRoot, '.data');
const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const dbPort = Number(process.env.EMBEDDED_DB_PORT ?? 5433);
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const children: Child[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping…');
    // Reverse start order: API and worker drain before Temporal and the database go away.
    for (const child of [...children].reverse()) await stopChild(child);
    say('stopped');
  }
  process.exit(code);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

function supervise(child: Child): Child {
  children.push(child);
  void child.exited.then((code) => {
    if (!stopping) {
      say(`${child.name} exited unexpectedly (code ${code}); stopping the stack`);
      void stopAll(1);
    }
  });
  return child;
}

async function startDatabase(): Promise<string> {
  if (process.env.DATABASE_URL) {
    say(`database: ${redact(process.env.DATABASE_URL)} (DATABASE_URL)`);
    return process.env.DATABASE_URL;
  }
  const db = supervise(startTsChild('db', 'scripts/embedded-db.ts', { ...process.env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(dbPort) }));
  await waitForPort(dbPort, '127.0.0.1', 60_000, db);
  return `postgres://postgres:postgres@127.0.0.1:${dbPort}/postgres`;
}

async function startTemporal(): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) {
    say(`temporal: ${process.env.TEMPORAL_ADDRESS} namespace ${namespace} (TEMPORAL_ADDRESS)`);
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
    await registerSearchAttributes(connection, namespace);
    await connection.close();
    return process.env.TEMPORAL_ADDRESS;
  }
  const address = `127.0.0.1:${temporalPort}`;
  if (timeSkipping) {
    // In-memory: nothing survives a restart in this mode.
    const server = supervise(startChild('temporal', resolveTestServer(), [String(temporalPort)], process.env));
    await waitForPort(temporalPort, '127.0.0.1', 60_000, server);
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
  const server = supervise(
    startChild(
      'temporal',
      resolveTemporalCli(),
      [
        'server', 'start-dev',
        '--ip', '127.0.0.1',
        '--port', String(temporalPort),
        '--ui-port', String(uiPort),
        '--db-filename', path.join(dataDir, 'temporal.sqlite'),
        // Plain file SQLite is ~10x slower.
        '--sqlite-pragma', 'journal_mode=WAL',
        '--sqlite-pragma', 'synchronous=NORMAL',
        '--namespace', namespace,
        ...Object.entries(searchAttributeTypes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
        '--ui-disable-news-fetch',
        '--log-level', 'warn',
      ],
      process.env,
    ),
  );
  // --search-attribute registers them, also in a data file from before they existed.
  await waitForPort(temporalPort, '127.0.0.1', 60_000, server);
  say(`temporal: dev server on ${address}, Web UI http://localhost:${uiPort}, data ${path.join(dataDir, 'temporal.sqlite')}`);
  return address;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

try {
  const databaseUrl = await startDatabase();
  const applied = await migrate(databaseUrl);
  say(`database: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}`);
  const temporalAddress = await startTemporal();
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TIME_SKIPPING: timeSkipping ? '1' : '0',
  };
  supervise(startTsChild('worker', 'worker/main.ts', env));
  const api = supervise(startTsChild('api', 'api/main.ts', env));
  const port = Number(process.env.PORT ?? 3000);
  await waitForPort(port, '127.0.0.1', 60_000, api);
  say(`ready: API http://localhost:${port}  ·  token: npm run token -- --role vendor_staff  ·  Ctrl-C stops everything`);
} catch (error) {
  say(error instanceof MissingBinaryError ? error.message : `failed to start: ${(error as Error).message}`);
  await stopAll(1);
}
