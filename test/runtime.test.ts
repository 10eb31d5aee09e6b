/**
 * The project carries its own supported runtime (the `node` package, Node 24 LTS): `npm test`, `npm start` and every
 * script run on it even where the machine's Node is older (npm puts node_modules/.bin first on PATH).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pinned = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }).dependencies.node;

describe('runtime', () => {
  it('runs on Node 24 LTS, the version package.json pins', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(process.version).toBe(`v${pinned}`);
    // What a script's `node` resolves to (tsx's shebang, child processes spawned by name).
    expect(execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${pinned}`);
  });
});
