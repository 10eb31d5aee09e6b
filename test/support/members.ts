/** Steps the members tests share, on the real API (support/env.ts): a partner organization, members, custom roles. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { tokenFor } from './app.js';
import type { TestEnv } from './env.js';

export const newPartner = () => `P-mb-${randomUUID().slice(0, 8)}`;

/** The steps; `vendor` is a vendor_staff token (it shares opportunities). */
export function memberSteps(env: TestEnv, vendor: () => string) {
  const { api } = env;

  async function organization() {
    const partnerId = newPartner();
    return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`) };
  }

  async function share(partnerId: string): Promise<string> {
    const res = await api('POST', '/v1/opportunities', vendor(), { partnerId, customerName: 'Members Ltd.', title: 'Members' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  async function addMember(partnerId: string, by: string, sub: string, roles: string[]) {
    const res = await api('POST', `/v1/partners/${partnerId}/members`, by, { sub, displayName: `Member ${sub}`, roles });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; roles: string[]; active: boolean };
  }

  async function addRole(partnerId: string, by: string, name: string, permissions: string[]) {
    const res = await api('POST', `/v1/partners/${partnerId}/roles`, by, { name, permissions });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; permissions: string[] };
  }

  const snapshotDb = async () => ({
    members: await env.prisma.partnerMember.count(),
    memberRoles: await env.prisma.partnerMemberRole.count(),
    memberRows: JSON.stringify(await env.prisma.partnerMember.findMany({ orderBy: { id: 'asc' }, include: { roles: { orderBy: { role: 'asc' } } } })),
    roles: JSON.stringify(await env.prisma.partnerRole.findMany({ orderBy: { id: 'asc' } })),
    keys: await env.prisma.idempotencyKey.count(),
    audit: await env.prisma.auditLog.count(),
  });

  return { organization, share, addMember, addRole, snapshotDb };
}
