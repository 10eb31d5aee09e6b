/**
 * The code agrees with the hand-written policy (test/support/policy.ts): each built-in role holds exactly the
 * permissions the policy gives it, custom roles may hold exactly the partner-assignable ones, and every route demands
 * exactly the permission the policy names. A grant or a route declaration that drifts fails here, whatever else passes.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import { PARTNER_ASSIGNABLE_PERMISSIONS, PERMISSIONS, permissionsOfRoles, ROLES } from '../domain/auth.js';
import { HOLDERS, PARTNER_ASSIGNABLE, ROUTE_PERMISSIONS } from './support/policy.js';

const sorted = (values: readonly string[]) => [...values].sort();

describe('the policy', () => {
  it.each(ROLES.map((role) => [role]))('%s holds exactly what the policy gives it', (role) => {
    const byPolicy = PERMISSIONS.filter((permission) => HOLDERS[permission].includes(role));
    expect(sorted(permissionsOfRoles([role]))).toEqual(sorted(byPolicy));
  });

  it('docs/access-control.md lists each role with exactly the permissions the policy gives it', () => {
    const doc = readFileSync(new URL('../docs/access-control.md', import.meta.url), 'utf8');
    for (const role of ROLES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${role}\` |`));
      expect(row, `docs/access-control.md has no row for ${role}`).toBeDefined();
      // The permissions are the backticked names before any parenthetical note.
      const listed = [...row!.split(' | ')[1]!.replace(/\(.*$/, '').matchAll(/`([\w.]+)`/g)].map((m) => m[1]!);
      expect(sorted(listed), role).toEqual(sorted(PERMISSIONS.filter((permission) => HOLDERS[permission].includes(role))));
    }
  });

  it('custom roles may hold exactly the partner-assignable permissions', () => {
    expect(sorted(PARTNER_ASSIGNABLE_PERMISSIONS)).toEqual(sorted(PARTNER_ASSIGNABLE));
  });

  it('every route demands exactly the permission the policy names, and the policy names every route', () => {
    const routes = routesOf({
      temporal: { connection: {}, workflow: {} } as never,
      prisma: {} as never,
      taskQueue: 'policy',
      jwtSecret: 'policy-secret-0123456789abcdefghijklmnop',
      logger: pino({ level: 'silent' }),
      timeSkipping: { testService: {} } as never, // mounts the time-skipping-only routes too
    });
    const declared = Object.fromEntries(routes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.permission]));
    expect(declared).toEqual(ROUTE_PERMISSIONS);
  });
});
