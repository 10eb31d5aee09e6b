/**
 * The deployment files (issue 19 section 5), checked without docker: the Dockerfile copies only tracked files the
 * image's context keeps, and into its runtime stage everything the processes read from the root at run time; the
 * commands run what `npm run build` produces, the worker with its heap flags; compose.yaml gives the API and the
 * worker only variables platform/config.ts knows (and that parse), the other images only variables they document;
 * every variable docs/operations.md says production must set is there; .env.example's placeholders never start an API
 * and real keys in their place do; the namespace gets every search attribute the workflows upsert; the Temporal images
 * are the version `npm run cluster` builds.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiStartRefusal, loadConfig, WORKER_NODE_FLAGS } from '../platform/config.js';
import { projectRoot } from '../platform/paths.js';
import { SERVER_VERSION } from '../scripts/cluster/server.js';
import { searchAttributeTypes } from '../workflows/kit/search-attributes.js';

/**
 * The YAML compose.yaml is written in, read strictly: block mappings and sequences (`- key: value` items too),
 * plain, single- and double-quoted scalars, flow sequences of double-quoted strings, literal blocks (`|`), comments.
 * No YAML parser is among the dependencies and this test adds none: anything else (anchors, tags, folded or flow
 * mappings, tabs) fails naming the line, so the file stays in the subset every YAML parser reads the same way.
 */
type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };
function readComposeYaml(text: string): Yaml {
  const lines = text.split('\n');
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`compose.yaml line ${at + 1}: ${why} (outside the YAML this test reads)`);
  };
  const indentOf = (line: string) => /^ */.exec(line)![0].length;
  const skipBlank = () => {
    while (at < lines.length && /^\s*(#.*)?$/.test(lines[at]!)) at++;
  };
  const scalar = (raw: string): Yaml => {
    const text = /^["'[]/.test(raw) ? raw.trim() : raw.replace(/\s+#.*$/, '').trim();
    if (/^"/.test(text)) return JSON.parse(text) as string;
    if (/^'.*'$/.test(text)) return text.slice(1, -1).replaceAll("''", "'");
    if (/^\[.*\]$/.test(text)) {
      const items = JSON.parse(text) as unknown[];
      return items.every((item) => typeof item === 'string') ? (items as string[]) : fail('a flow sequence of other than double-quoted strings');
    }
    if (/^[{&*!>|%@`]/.test(text) || /: |\t/.test(text)) fail(`unsupported scalar ${text}`);
    if (text === '' || text === 'null' || text === '~') return null;
    if (text === 'true' || text === 'false') return text === 'true';
    return /^-?\d+$/.test(text) ? Number(text) : text;
  };
  const literal = (indent: number): string => {
    const body: string[] = [];
    while (at < lines.length && (lines[at]!.trim() === '' || indentOf(lines[at]!) > indent)) body.push(lines[at++]!);
    while (body.length && body.at(-1)!.trim() === '') body.pop();
    const inner = Math.min(...body.filter((line) => line.trim()).map(indentOf));
    return `${body.map((line) => line.slice(inner)).join('\n')}\n`;
  };
  const valueAfter = (rest: string | undefined, indent: number): Yaml => {
    if (rest === '|') return literal(indent);
    if (rest !== undefined && !/^\s*(#.*)?$/.test(rest)) return scalar(rest);
    skipBlank();
    return at < lines.length && indentOf(lines[at]!) > indent ? block(indentOf(lines[at]!)) : null;
  };
  const mapping = (indent: number): Yaml => {
    const out: Record<string, Yaml> = {};
    for (skipBlank(); at < lines.length && indentOf(lines[at]!) === indent; skipBlank()) {
      const entry = /^([\w.-]+):(?: (.*))?$/.exec(lines[at]!.slice(indent)) ?? fail('expected `key: value`');
      if (entry[1]! in out) fail(`duplicate key ${entry[1]}`);
      at++;
      out[entry[1]!] = valueAfter(entry[2], indent);
    }
    if (at < lines.length && indentOf(lines[at]!) > indent) fail('unexpected indentation');
    return out;
  };
  const sequence = (indent: number): Yaml => {
    const out: Yaml[] = [];
    for (skipBlank(); at < lines.length && indentOf(lines[at]!) === indent && lines[at]!.slice(indent).startsWith('- '); skipBlank()) {
      const rest = lines[at]!.slice(indent + 2);
      if (/^[\w.-]+:( |$)/.test(rest)) {
        // `- key: value` opens a mapping whose next keys sit under its first.
        lines[at] = `${' '.repeat(indent + 2)}${rest}`;
        out.push(mapping(indent + 2));
      } else {
        at++;
        out.push(valueAfter(rest, indent));
      }
    }
    return out;
  };
  const block = (indent: number): Yaml => (lines[at]!.slice(indent).startsWith('- ') ? sequence(indent) : mapping(indent));
  if (text.includes('\t')) fail('a tab');
  skipBlank();
  const document = mapping(0);
  if (at < lines.length) fail('content after the document');
  return document;
}

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
const compose = readComposeYaml(read('compose.yaml')) as { services: Record<string, Service> };
type Service = { image?: string; build?: string; command?: string[]; environment?: Record<string, string | number | boolean> };
const APP_SERVICES = ['migrate', 'worker', 'api'] as const;

/** The Dockerfile's instructions, continuation lines joined, comments dropped, ARG defaults substituted into FROM. */
function dockerfile() {
  const lines = read('Dockerfile').replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: { name: string; image: string; copies: { from?: string; sources: string[] }[]; cmd?: string[] }[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const stage = stages.at(-1);
    if (instruction === 'ARG' && rest[0]?.includes('=')) args[rest[0].split('=')[0]!] = rest[0].slice(rest[0].indexOf('=') + 1);
    else if (instruction === 'FROM') stages.push({ image: rest[0]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name]!), name: rest[2] ?? String(stages.length), copies: [] });
    else if (instruction === 'COPY' && stage) {
      const from = rest.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = rest.filter((word) => !word.startsWith('--'));
      stage.copies.push({ ...(from ? { from } : {}), sources: paths.slice(0, -1) });
    } else if (instruction === 'CMD' && stage) stage.cmd = JSON.parse(line.slice('CMD'.length)) as string[];
  }
  return stages;
}

/**
 * Compose's interpolation: ${NAME} (unset: empty), ${NAME:-default} (unset or empty: the default), ${NAME:?message}
 * (unset or empty: compose stops — here an error naming NAME), and $$ for a literal $.
 */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g, (whole, name: string | undefined, kind: string | undefined, word: string | undefined) => {
    if (whole === '$$') return '$';
    const set = env[name!];
    if (set !== undefined && set !== '') return set;
    if (kind === '?') throw new Error(`compose.yaml needs ${name}: ${word}`);
    return kind === '-' ? word! : '';
  });
}
/** Every ${…} of the document's values (compose interpolates values, never comments). */
const variablesOf = (value: Yaml): { name: string; hasDefault: boolean }[] =>
  typeof value === 'string'
    ? [...value.matchAll(/(?<!\$)\$\{(\w+)(:-)?/g)].map(([, name, dflt]) => ({ name: name!, hasDefault: Boolean(dflt) }))
    : value !== null && typeof value === 'object'
      ? Object.values(value).flatMap(variablesOf)
      : [];

/** .env.example as compose reads .env: NAME=value lines. */
const envExample = () => Object.fromEntries(read('.env.example').split('\n').filter((line) => /^\w+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
/** .env.example with every placeholder key replaced by a real one, as an operator fills it in. */
const filledEnv = () => {
  const env = envExample();
  for (const name of ['WEBHOOK_SECRET_KEYS', 'PAYLOAD_CODEC_KEYS']) env[name] = env[name]!.replace(/REPLACE-ME[\w-]*/, randomBytes(32).toString('base64'));
  for (const [name, value] of Object.entries(env)) if (value === 'REPLACE-ME') env[name] = randomBytes(24).toString('hex');
  return env;
};
/** A service's environment as its container gets it. */
const environmentOf = (service: string, env: Record<string, string>) =>
  Object.fromEntries(Object.entries(compose.services[service]!.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), env)]));

describe('Dockerfile', () => {
  const stages = dockerfile();
  const build = stages.find((stage) => stage.name === 'build')!;
  const runtime = stages.at(-1)!;

  it('copies from the context only files git tracks and .dockerignore keeps', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
    const fromContext = stages.flatMap((stage) => stage.copies.filter((copy) => !copy.from).flatMap((copy) => copy.sources));
    expect(fromContext.length).toBeGreaterThan(5);
    for (const source of fromContext) {
      expect(execFileSync('git', ['ls-files', '--', source], { cwd: projectRoot, encoding: 'utf8' }).trim(), `${source} is tracked`).not.toBe('');
      expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is not excluded by .dockerignore`).toEqual([]);
    }
    for (const secretOrState of ['.env', 'node_modules', 'dist', '.git']) expect(ignored, `.dockerignore excludes ${secretOrState}`).toContain(secretOrState);
  });

  it('copies into the build stage the source of every folder `npm run build` writes into dist/', () => {
    const copied = new Set(build.copies.flatMap((copy) => copy.sources));
    const built = readdirSync(path.join(projectRoot, 'dist'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(built).toContain('worker');
    expect(built.filter((folder) => !copied.has(folder))).toEqual([]);
  });

  it('gives the runtime stage the build, the migrations, and the workflows with every folder they import at run time', () => {
    const fromBuild = runtime.copies.filter((copy) => copy.from === 'build').flatMap((copy) => copy.sources.map((source) => path.relative('/app', source)));
    expect(fromBuild).toEqual(expect.arrayContaining(['dist', 'prisma/migrations', 'workflows']));
    expect(fromBuild.filter((source) => source !== 'dist' && !existsSync(path.join(projectRoot, source)))).toEqual([]);
    // What webpack follows from workflows/index.ts at the worker's start: value imports (type-only ones are erased).
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.ts')) {
          for (const [, typeOnly, specifiers, target] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)(\s+type)?\s*(\{[^}]*\})?[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
            const allTypes = specifiers !== undefined && specifiers.slice(1, -1).split(',').every((s) => !s.trim() || /^type\s/.test(s.trim()));
            if (!typeOnly && !allTypes) imported.add(path.relative(projectRoot, path.resolve(path.dirname(file), target!)).split(path.sep)[0]!);
          }
        }
      }
    };
    walk(path.join(projectRoot, 'workflows'));
    expect([...imported].sort()).toContain('domain');
    expect([...imported].filter((folder) => !fromBuild.includes(folder))).toEqual([]);
  });

  it('runs on the official Node image of the version package.json pins, as a non-root user, without a HEALTHCHECK', () => {
    const pinned = (JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies.node!;
    for (const stage of stages) expect(stage.image).toMatch(new RegExp(`^node:${pinned.replaceAll('.', '\\.')}(-|$)`));
    const text = read('Dockerfile');
    expect(text.slice(text.lastIndexOf('FROM '))).toMatch(/^USER node$/m);
    expect(text).not.toMatch(/^\s*HEALTHCHECK/m);
  });
});

describe('the commands run what the build produces', () => {
  const commands = [
    { who: 'Dockerfile CMD', command: dockerfile().at(-1)!.cmd! },
    ...APP_SERVICES.map((name) => ({ who: `compose ${name}`, command: compose.services[name]!.command! })),
  ];

  it.each(commands)('$who: node runs a file of dist/ that `npm run build` wrote, from a source that exists', ({ command }) => {
    expect(command[0]).toBe('node');
    const built = [...command.join(' ').matchAll(/dist\/[\w/.-]+\.js/g)].map(([file]) => file);
    expect(built.length).toBe(1);
    expect(existsSync(path.join(projectRoot, built[0]!)), `${built[0]} (the tests' global setup builds dist/)`).toBe(true);
    expect(existsSync(path.join(projectRoot, built[0]!.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });

  it('the API and the worker are entries of tsconfig.build.json; the worker starts with WORKER_NODE_FLAGS, before its script', () => {
    const entries = (JSON.parse(read('tsconfig.build.json')) as { files: string[] }).files;
    expect(entries).toEqual(expect.arrayContaining(['api/main.ts', 'worker/main.ts']));
    const worker = compose.services.worker!.command!;
    expect(worker.slice(1, 1 + WORKER_NODE_FLAGS.length)).toEqual([...WORKER_NODE_FLAGS]);
    expect(worker.at(-1)).toBe('dist/worker/main.js');
    expect(compose.services.api!.command!.at(-1)).toBe('dist/api/main.js');
  });

  it('one image for every role, built from this Dockerfile', () => {
    const images = new Set(APP_SERVICES.map((name) => compose.services[name]!.image));
    expect(images.size).toBe(1);
    for (const name of APP_SERVICES) expect(compose.services[name]!.build).toBe('.');
  });
});

/** What the other images read, from their own documentation (their versions as pinned in compose.yaml). */
const IMAGE_VARIABLES: Record<string, string[]> = {
  // The postgres image's documented variables, and the two the init script in compose.yaml's configs reads.
  postgres: ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB', 'POSTGRES_INITDB_ARGS', 'PGDATA', 'PARTNERFLOW_DB_PASSWORD', 'TEMPORAL_DB_PASSWORD'],
  // temporal-sql-tool's flags' environment variables (go.temporal.io/server tools/sql/main.go).
  'temporal-schema': ['SQL_PLUGIN', 'SQL_HOST', 'SQL_PORT', 'SQL_USER', 'SQL_PASSWORD', 'SQL_DATABASE', 'SQL_TLS', 'SQL_TLS_CA_FILE', 'SQL_TLS_CERT_FILE', 'SQL_TLS_KEY_FILE', 'SQL_TLS_SERVER_NAME'],
  // The server's embedded configuration template (common/config/config_template_embedded.yaml), the part used here.
  temporal: ['DB', 'DB_PORT', 'POSTGRES_SEEDS', 'POSTGRES_USER', 'POSTGRES_PWD', 'DBNAME', 'VISIBILITY_DBNAME', 'NUM_HISTORY_SHARDS', 'SQL_MAX_CONNS', 'SQL_MAX_IDLE_CONNS', 'SQL_VIS_MAX_CONNS', 'SQL_VIS_MAX_IDLE_CONNS', 'BIND_ON_IP', 'TEMPORAL_BROADCAST_ADDRESS', 'PROMETHEUS_ENDPOINT', 'LOG_LEVEL', 'DYNAMIC_CONFIG_FILE_PATH', 'SQL_TLS_ENABLED', 'SQL_CA', 'SQL_CERT', 'SQL_CERT_KEY', 'SQL_HOST_NAME'],
  // The temporal CLI's global options.
  'temporal-namespace': ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_API_KEY'],
  // The UI server's docker configuration template (temporalio/ui server/config/docker.yaml).
  'temporal-ui': ['TEMPORAL_ADDRESS', 'TEMPORAL_UI_PORT', 'TEMPORAL_DEFAULT_NAMESPACE', 'TEMPORAL_CORS_ORIGINS', 'TEMPORAL_DISABLE_WRITE_ACTIONS', 'TEMPORAL_NOTIFY_ON_NEW_VERSION', 'TEMPORAL_CODEC_ENDPOINT', 'TEMPORAL_CODEC_PASS_ACCESS_TOKEN', 'TEMPORAL_CODEC_INCLUDE_CREDENTIALS', 'TEMPORAL_AUTH_ENABLED', 'TEMPORAL_AUTH_PROVIDER_URL', 'TEMPORAL_AUTH_CLIENT_ID', 'TEMPORAL_AUTH_CLIENT_SECRET', 'TEMPORAL_AUTH_CALLBACK_URL', 'TEMPORAL_AUTH_SCOPES', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_SERVER_NAME'],
};

/** The variables docs/operations.md says production must set, with the roles (API, worker) that read each. */
function productionVariables(): { name: string; roles: ('api' | 'worker')[] }[] {
  const page = read('docs/operations.md');
  const section = page.slice(page.indexOf('## What production must set'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  return [...table.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)].map(([, name, roles]) => ({
    name: name!,
    roles: (['api', 'worker'] as const).filter((role) => roles!.toLowerCase().includes(role === 'api' ? 'api' : 'worker')),
  }));
}

describe('compose.yaml', () => {
  it('gives the API, the worker and the migration only variables platform/config.ts knows, with values it accepts', () => {
    for (const name of APP_SERVICES) {
      const environment = environmentOf(name, filledEnv());
      const parsed = loadConfig({ ...environment }) as Record<string, unknown>;
      expect(Object.keys(environment).filter((variable) => !(variable in parsed)), `${name}: variables the configuration drops`).toEqual([]);
    }
  });

  it('gives every other image only variables it documents', () => {
    const others = Object.keys(compose.services).filter((name) => !(APP_SERVICES as readonly string[]).includes(name));
    expect(others.sort()).toEqual(Object.keys(IMAGE_VARIABLES).sort());
    for (const name of others) expect(Object.keys(compose.services[name]!.environment ?? {}).filter((v) => !IMAGE_VARIABLES[name]!.includes(v)), name).toEqual([]);
  });

  it('sets every variable production must set, for each role that reads it', () => {
    const required = productionVariables();
    expect(required.map((variable) => variable.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'WEBHOOK_SECRET_KEYS', 'PAYLOAD_CODEC_KEYS', 'AUTH_JWKS_URL', 'RATE_LIMIT_STORE']));
    for (const { name, roles } of required) {
      expect(roles.length, `${name}: the page names the roles reading it`).toBeGreaterThan(0);
      for (const role of roles) expect(Object.keys(compose.services[role]!.environment ?? {}), `${role} sets ${name}`).toContain(name);
    }
  });

  it('takes every secret from .env, never written in compose.yaml', () => {
    for (const [service, { environment = {} }] of Object.entries(compose.services)) {
      for (const [name, value] of Object.entries(environment)) {
        if (/PASSWORD|PWD|SECRET|_KEYS$|API_KEY/.test(name)) expect(String(value), `${service} ${name}`).toMatch(/^\$\{\w+:\?[^}]+\}$/);
      }
    }
  });

  it('.env.example defines every variable compose.yaml needs, and nothing it does not read', () => {
    const example = envExample();
    const used = variablesOf(compose as unknown as Yaml);
    expect(used.filter((variable) => !variable.hasDefault && !(variable.name in example)).map((v) => v.name)).toEqual([]);
    expect(Object.keys(example).filter((name) => !used.some((variable) => variable.name === name))).toEqual([]);
    // Without .env compose stops, naming the first secret it misses.
    expect(() => environmentOf('api', {})).toThrow(/needs \w+/);
  });

  it.each(['WEBHOOK_SECRET_KEYS', 'PAYLOAD_CODEC_KEYS'])('.env.example\'s placeholder for %s never starts an API', (name) => {
    const env = { ...filledEnv(), [name]: envExample()[name]! };
    expect(apiStartRefusal(loadConfig(environmentOf('api', env)))).toMatch(new RegExp(`Refusing to start: .*${name}`));
  });

  it('real keys in place of the placeholders start an API', () => {
    const filled = loadConfig(environmentOf('api', filledEnv()));
    expect(apiStartRefusal(filled)).toBeUndefined();
    expect(filled).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', RATE_LIMIT_STORE: 'postgres' });
  });

  it('registers every search attribute the workflows upsert, with its type', () => {
    const script = (compose.services['temporal-namespace']!.command as string[]).join('\n');
    const registered = Object.fromEntries([...script.matchAll(/\b(\w+)=(Keyword|Datetime|Int|Bool|Text|Double|KeywordList)\b/g)].map(([, name, type]) => [name, type]));
    expect(registered).toEqual(searchAttributeTypes);
  });

  it('runs the Temporal server and its tools at the version `npm run cluster` builds', () => {
    const version = SERVER_VERSION.replace(/^v/, '');
    for (const name of ['temporal', 'temporal-schema', 'temporal-namespace']) expect(compose.services[name]!.image).toBe(`temporalio/${name === 'temporal' ? 'server' : 'admin-tools'}:${version}`);
  });

  it('publishes no port of PostgreSQL or Temporal, and keeps them on the internal network', () => {
    const all = compose as unknown as { services: Record<string, { ports?: unknown }>; networks: Record<string, { internal?: boolean } | null> };
    for (const name of ['postgres', 'temporal']) expect(all.services[name]!.ports, name).toBeUndefined();
    expect(all.networks.data?.internal).toBe(true);
  });
});
