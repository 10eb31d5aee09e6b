/**
 * Runs a curl walkthrough (scripts/walkthrough/<name>.sh) as a reader runs it, against a test API: its BASE_URL, and
 * tokens the script signs with that API's secret. The walkthrough files (test/walkthrough.*.test.ts) then read what it
 * left in the database.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../scripts/temporal-binaries.js';
import { JWT_SECRET } from './app.js';

/** Runs the script to its end: exit code and everything it printed (stdout and stderr as they came). */
export function runWalkthrough(name: string, base: string, vars: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const script = path.join(projectRoot, 'scripts', 'walkthrough', `${name}.sh`);
  const environment: NodeJS.ProcessEnv = { ...process.env, BASE_URL: base, AUTH_JWT_SECRET: JWT_SECRET, ...vars };
  // The token script signs with what the API checks: this API's secret, and the development issuer and audience.
  for (const key of ['AUTH_ISSUER', 'AUTH_AUDIENCE']) delete environment[key];
  const child = spawn('bash', [script], { cwd: projectRoot, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output: chunks.join('') })));
}
