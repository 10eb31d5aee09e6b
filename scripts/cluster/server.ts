/**
 * The real Temporal server — the binary production clusters run, not the dev server — built from its Go module into
 * .tools/temporal-server once (about 4 minutes on 2 cores), with its SQL schema tool and the PostgreSQL schemas of
 * the same version; its databases set up on a PostgreSQL; and its configuration written for one process running every
 * service (frontend, history, matching, worker) with several history shards.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from '../temporal-binaries.js';

export const SERVER_VERSION = 'v1.32.2';
/** The machine's Go is older than the server's go.mod asks for: this approved toolchain is fetched from the module proxy. */
export const GO_TOOLCHAIN = 'go1.27.3';
export const serverDir = path.join(projectRoot, '.tools', 'temporal-server');
export const serverBinary = path.join(serverDir, 'temporal-server');
const sqlTool = path.join(serverDir, 'temporal-sql-tool');
const schemaDir = path.join(serverDir, 'schema', 'postgresql', 'v12');
const versionFile = path.join(serverDir, 'VERSION');

export const serverBuilt = () => existsSync(serverBinary) && existsSync(sqlTool) && existsSync(schemaDir) && readFileSync(versionFile, 'utf8').trim() === SERVER_VERSION;

/** Builds the server and its schema tool (go install), and copies the schemas of that version beside them. */
export function ensureServerBuilt(say: (line: string) => void): void {
  if (existsSync(versionFile) && serverBuilt()) return;
  say(`building the Temporal server ${SERVER_VERSION} from go.temporal.io/server with ${GO_TOOLCHAIN} (once, about 4 minutes on 2 cores)…`);
  const bin = mkdtempSync(path.join(os.tmpdir(), 'temporal-server-build-'));
  const env = { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: bin, GOFLAGS: '-mod=mod' };
  try {
    execFileSync('go', ['install', `go.temporal.io/server/cmd/server@${SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${SERVER_VERSION}`], { env, stdio: 'inherit' });
  } catch (error) {
    throw new Error(`building the Temporal server failed (go install; is Go installed and the Go module proxy reachable?): ${(error as Error).message}`);
  }
  const modules = execFileSync('go', ['env', 'GOMODCACHE'], { env, encoding: 'utf8' }).trim();
  mkdirSync(serverDir, { recursive: true });
  renameSync(path.join(bin, 'server'), serverBinary);
  renameSync(path.join(bin, 'sql'), sqlTool);
  rmSync(path.join(serverDir, 'schema'), { recursive: true, force: true });
  cpSync(path.join(modules, `go.temporal.io/server@${SERVER_VERSION}`, 'schema', 'postgresql', 'v12'), schemaDir, { recursive: true });
  writeFileSync(versionFile, `${SERVER_VERSION}\n`);
  rmSync(bin, { recursive: true, force: true });
  say(`built: ${serverBinary}`);
}

export type TemporalDatabases = { persistence: string; visibility: string };

/**
 * Creates the server's two databases on the PostgreSQL `adminUrl` names (if missing) and brings their schemas to this
 * version with the server's own tool: setup once, then every versioned step (idempotent on a second run).
 */
export async function setupTemporalDatabases(adminUrl: string, databases: TemporalDatabases): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const name of Object.values(databases)) {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  const connection = ['--plugin', 'postgres12', '--ep', url.hostname, '-p', url.port || '5432', '-u', decodeURIComponent(url.username || 'postgres'), ...(url.password ? ['--pw', decodeURIComponent(url.password)] : [])];
  for (const [kind, name] of [['temporal', databases.persistence], ['visibility', databases.visibility]] as const) {
    const probe = new pg.Client({ connectionString: withDatabase(adminUrl, name) });
    await probe.connect();
    const versioned = await probe.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'").finally(() => probe.end());
    if (versioned.rowCount === 0) execFileSync(sqlTool, [...connection, '--db', name, 'setup-schema', '-v', '0.0'], { stdio: 'pipe' });
    execFileSync(sqlTool, [...connection, '--db', name, 'update-schema', '-d', path.join(schemaDir, kind, 'versioned')], { stdio: 'pipe' });
  }
}

export const withDatabase = (url: string, database: string) => {
  const next = new URL(url);
  next.pathname = `/${encodeURIComponent(database)}`;
  return next.toString();
};

export type ServerPorts = { frontend: number; frontendHttp: number; history: number; matching: number; worker: number; membership: number; metrics: number };

/** The frontend's TLS: server certificate, and the CA whose client certificates it requires (mTLS). */
export type ServerTls = { certFile: string; keyFile: string; caFile: string };

/** The server's configuration (one process, every service), as YAML: JSON is YAML. */
export function serverConfig(o: { adminUrl: string; databases: TemporalDatabases; ports: ServerPorts; shards: number; dynamicConfigFile: string; tls?: ServerTls }): string {
  const url = new URL(o.adminUrl);
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${url.hostname}:${url.port || '5432'}`,
      connectProtocol: 'tcp',
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  const p = o.ports;
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: o.shards,
      datastores: { default: store(o.databases.persistence, 20), visibility: store(o.databases.visibility, 10) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${p.metrics}` } },
      ...(o.tls
        ? {
            tls: {
              // The frontend requires a client certificate signed by the CA (mTLS); the server's own services and its
              // system worker reach the frontend with the same certificate.
              frontend: {
                server: { certFile: o.tls.certFile, keyFile: o.tls.keyFile, clientCaFiles: [o.tls.caFile], requireClientAuth: true },
                client: { serverName: 'localhost', rootCaFiles: [o.tls.caFile] },
              },
              systemWorker: { certFile: o.tls.certFile, keyFile: o.tls.keyFile, client: { serverName: 'localhost', rootCaFiles: [o.tls.caFile] } },
            },
          }
        : {}),
    },
    services: {
      frontend: rpc(p.frontend, p.membership, { httpPort: p.frontendHttp }),
      history: rpc(p.history, p.membership + 1),
      matching: rpc(p.matching, p.membership + 2),
      worker: rpc(p.worker, p.membership + 3),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `localhost:${p.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  };
  return JSON.stringify(config, null, 2);
}

/**
 * Dynamic configuration: search attributes added at start are seen at once (the cache is refreshed on read: only
 * for a cluster set up and used in the same minute, as the tests do), and the namespace cache is refreshed every second
 * instead of ten, so a namespace registered at start is served promptly.
 */
export const DYNAMIC_CONFIG = [
  'system.forceSearchAttributesCacheRefreshOnRead:',
  '  - value: true',
  'system.namespaceCacheRefreshInterval:',
  '  - value: 1s',
  '',
].join('\n');
