/**
 * The production topology on one machine: a PostgreSQL (its own throwaway one, or CLUSTER_POSTGRES_URL), the real
 * Temporal server on it (scripts/cluster/server.ts: persistence and SQL visibility with the custom search attributes,
 * several history shards), and partnerflow as production runs it — TWO workers and TWO API replicas, from the build,
 * on one application database, the API replicas sharing their rate limits through it (RATE_LIMIT_STORE=postgres).
 * `npm run cluster` runs it in the foreground; test:cluster and the chaos harness start it from code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { WORKER_NODE_FLAGS } from '../../platform/config.js';
import { migrate } from '../../platform/db.js';
import { registerSearchAttributes, temporalSecurityFromFiles } from '../../platform/temporal.js';
import { type OwnPostgres, startOwnPostgres } from '../postgres.js';
import { type Child, createSupervisor, startBuiltChild, startWatchedBinary, waitForListener } from '../stack.js';
import { projectRoot, resolveTemporalCli } from '../temporal-binaries.js';
import { searchAttributeTypes } from '../../workflows/kit/search-attributes.js';
import { DYNAMIC_CONFIG, ensureServerBuilt, serverBinary, type ServerPorts, type ServerTls, serverConfig, setupTemporalDatabases, withDatabase } from './server.js';

export type ClusterOptions = {
  /** Where the configuration and logs go (default .cluster/). */
  dir?: string;
  /** An existing PostgreSQL to use (an administrator's URL); default: a throwaway one of the cluster's own. */
  postgresUrl?: string;
  /** The frontend's gRPC port (default 7233); the other services take the ports after it. */
  frontendPort?: number;
  /** The API replicas' ports (default 3000 and 3001). */
  apiPorts?: number[];
  workers?: number;
  shards?: number;
  tls?: ServerTls;
  /**
   * Which Temporal: `server` (default), the real server on PostgreSQL; `dev`, the CLI's dev server on a SQLite file in
   * `dir` (what `npm start` runs: the chaos harness measures both).
   */
  temporal?: 'server' | 'dev';
  /** Extra environment for the workers and API replicas (e.g. PAYLOAD_CODEC_KEYS). */
  env?: NodeJS.ProcessEnv;
  say?: (line: string) => void;
  /** Whether the supervisor ends the process when the cluster stops (the foreground script) or returns (a harness). */
  exit?: boolean;
};

export type Cluster = {
  temporalAddress: string;
  databaseUrl: string;
  apiUrls: string[];
  postgres?: OwnPostgres;
  /** The Temporal server's process (replaced by restartTemporal). */
  server: Child;
  /** Starts Temporal again on the same data (after a kill). */
  restartTemporal: () => Promise<Child>;
  workers: Child[];
  apis: Child[];
  /** Starts one more worker (after a kill) with the cluster's environment. */
  startWorker: (name: string) => Child;
  /** Starts an API replica on `port` (after a kill). */
  startApi: (name: string, port: number) => Promise<Child>;
  release: (child: Child) => void;
  stop: () => Promise<void>;
};

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const say = o.say ?? ((line: string) => process.stdout.write(`[cluster] ${line}\n`));
  const dir = o.dir ?? path.join(projectRoot, '.cluster');
  mkdirSync(dir, { recursive: true });
  if (o.temporal !== 'dev') ensureServerBuilt(say);
  const postgres = o.postgresUrl ? undefined : await startOwnPostgres();
  const supervisor = createSupervisor(say, { exit: o.exit ?? false, ...(postgres ? { after: () => postgres.stop() } : {}) });
  try {
    return await startOn(o, say, dir, supervisor, postgres);
  } catch (error) {
    await supervisor.stopAll(1);
    throw error;
  }
}

async function startOn(o: ClusterOptions, say: (line: string) => void, dir: string, supervisor: Supervisor, postgres: OwnPostgres | undefined): Promise<Cluster> {
  const adminUrl = o.postgresUrl ?? postgres!.url;
  say(`postgresql: ${adminUrl.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@')}${postgres ? ' (throwaway, the cluster’s own)' : ''}`);
  const frontend = o.frontendPort ?? 7233;
  const temporalAddress = `127.0.0.1:${frontend}`;
  const server = o.temporal === 'dev' ? await startDevServer(supervisor, dir, frontend, say) : await startServer(o, supervisor, adminUrl, dir, frontend, say);
  const tlsEnv: NodeJS.ProcessEnv = o.tls ? { TEMPORAL_TLS: '1', TEMPORAL_TLS_CA_PATH: o.tls.caFile, TEMPORAL_TLS_CERT_PATH: o.tls.certFile, TEMPORAL_TLS_KEY_PATH: o.tls.keyFile, TEMPORAL_TLS_SERVER_NAME: 'localhost' } : {};

  const databaseUrl = withDatabase(adminUrl, 'partnerflow');
  await createDatabase(adminUrl, 'partnerflow');
  const applied = await migrate(databaseUrl);
  say(`application database: ${applied.length ? `applied ${applied.length} migrations` : 'schema up to date'}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...tlsEnv,
    ...o.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TIME_SKIPPING: '0',
    RATE_LIMIT_STORE: 'postgres',
  };
  const workerNodeOptions = [process.env.NODE_OPTIONS, ...WORKER_NODE_FLAGS].filter(Boolean).join(' ');
  const startWorker = (name: string) => supervisor.supervise(() => startBuiltChild(name, 'worker/main.ts', { ...env, NODE_OPTIONS: workerNodeOptions }));
  const startApi = async (name: string, port: number) => {
    const api = supervisor.supervise(() => startBuiltChild(name, 'api/main.ts', { ...env, PORT: String(port) }));
    await waitForListener(api, port, '127.0.0.1', 60_000);
    return api;
  };
  const workers = Array.from({ length: o.workers ?? 2 }, (_, i) => startWorker(`worker-${i + 1}`));
  const apiPorts = o.apiPorts ?? [3000, 3001];
  const apis = await Promise.all(apiPorts.map((port, i) => startApi(`api-${i + 1}`, port)));
  const apiUrls = apiPorts.map((port) => `http://127.0.0.1:${port}`);
  say(`ready: ${workers.length} workers, API replicas ${apiUrls.join(' and ')}`);
  const cluster: Cluster = {
    temporalAddress,
    databaseUrl,
    apiUrls,
    ...(postgres ? { postgres } : {}),
    server,
    restartTemporal: () =>
      (o.temporal === 'dev' ? startDevServer(supervisor, dir, frontend, say) : startServer(o, supervisor, adminUrl, dir, frontend, say)).then((next) => {
        cluster.server = next;
        return next;
      }),
    workers,
    apis,
    startWorker,
    startApi,
    release: supervisor.release,
    stop: () => supervisor.stopAll(0),
  };
  return cluster;
}

/** The real server on PostgreSQL: its databases and schemas, its configuration, the process, the namespace. */
async function startServer(o: ClusterOptions, supervisor: Supervisor, adminUrl: string, dir: string, frontend: number, say: (line: string) => void): Promise<Child> {
  const databases = { persistence: 'temporal', visibility: 'temporal_visibility' };
  await setupTemporalDatabases(adminUrl, databases);
  const ports: ServerPorts = { frontend, frontendHttp: frontend + 10, history: frontend + 1, matching: frontend + 2, worker: frontend + 6, membership: frontend + 20, metrics: frontend + 767 };
  const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
  const configFile = path.join(dir, 'temporal.yaml');
  const shards = o.shards ?? 8;
  writeFileSync(configFile, serverConfig({ adminUrl, databases, ports, shards, dynamicConfigFile, ...(o.tls ? { tls: o.tls } : {}) }));
  const server = supervisor.supervise(() => startWatchedBinary('temporal', serverBinary, ['--config-file', configFile, '--allow-no-auth', 'start'], process.env, serverOutput(supervisor)));
  await waitForListener(server, frontend, '127.0.0.1', 120_000);
  await prepareNamespace(`127.0.0.1:${frontend}`, 'default', o.tls);
  say(`temporal: server 127.0.0.1:${frontend} on databases ${databases.persistence} and ${databases.visibility} (${shards} history shards${o.tls ? ', mTLS' : ''}), namespace default with the search attributes`);
  return server;
}

/** The CLI's dev server on a SQLite file in `dir` (kept across its restarts), as `npm start` runs it. */
async function startDevServer(supervisor: Supervisor, dir: string, frontend: number, say: (line: string) => void): Promise<Child> {
  const file = path.join(dir, 'temporal.sqlite');
  const args = [
    'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(frontend), '--headless', '--db-filename', file,
    '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL', '--namespace', 'default',
    ...Object.entries(searchAttributeTypes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    '--log-level', 'warn',
  ];
  const server = supervisor.supervise(() => startWatchedBinary('temporal', resolveTemporalCli(), args, process.env));
  await waitForListener(server, frontend, '127.0.0.1', 60_000);
  say(`temporal: dev server 127.0.0.1:${frontend} on ${file}`);
  return server;
}

type Supervisor = ReturnType<typeof createSupervisor>;

/**
 * The server's log (JSON lines, warnings and up): printed while the cluster runs; once it is stopping, its services
 * losing each other on the way down are expected and left out.
 */
const serverOutput = (supervisor: Supervisor) => (line: string) => {
  if (!supervisor.isStopping()) process.stdout.write(`${line}\n`);
};

async function createDatabase(adminUrl: string, name: string) {
  const pgModule = await import('pg');
  const admin = new pgModule.default.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

/**
 * The real server starts with no namespace but its own system one: register `default` (ALREADY_EXISTS on a second
 * start), wait until the frontend serves it, and add the search attributes (SQL visibility maps each to a column).
 */
async function prepareNamespace(address: string, namespace: string, tls?: ServerTls) {
  const connection = await Connection.connect({ address, ...(tls ? temporalSecurityFromFiles({ caPath: tls.caFile, certPath: tls.certFile, keyPath: tls.keyFile, serverName: 'localhost' }) : {}) });
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
    } catch (error) {
      if ((error as { code?: number }).code !== 6) throw error; // ALREADY_EXISTS
    }
    for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 250))) {
      try {
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        break;
      } catch (error) {
        if (Date.now() - started > 60_000) throw new Error(`namespace ${namespace} not served within a minute: ${(error as Error).message}`);
      }
    }
    await registerSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
}
