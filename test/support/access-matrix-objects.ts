/**
 * The objects the access matrix acts on, all of the "own" partner and made through the real app as its users would
 * (test/access-matrix.test.ts): opportunities, incentives, certification applications, path reviews and webhook
 * endpoints in the state each route needs, and the snapshots that show a refused call changed none of them.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../../platform/db.js';
import { getIncentive, incentiveWorkflow, incentiveWorkflowId } from '../../workflows/incentive/workflow.js';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId } from '../../workflows/path-review/workflow.js';
import { call } from './app.js';
import { inBatches, type MatrixFixtures, type MatrixObject, type ObjectState } from './access-matrix.js';
import { MATRIX_HOOK_URL, OWN, pdfUpload, shareBody, unique } from './access-matrix-table.js';
import { PDF } from './env.js';
import { attestExpert, insertExpert } from './experts.js';

/** An ACTIVE ADVANCED_CLOUD_SOFTWARE certificate (with its approved application), straight through Prisma. */
async function insertCertificate(prisma: PrismaClient, partnerId: string) {
  const id = randomUUID();
  const at = new Date();
  const type = 'ADVANCED_CLOUD_SOFTWARE';
  await prisma.certificationApplication.create({
    data: { id, partnerId, type, category: type, appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'matrix-setup', createdAt: at, decidedAt: at, lastSeq: 0, updatedAt: at },
  });
  await prisma.certificate.create({
    data: { number: `PF-MX-${id}`, applicationId: id, partnerId, type, category: type, labels: [], scope: 'partner', validFrom: new Date('2020-01-01T00:00:00Z'), validTo: new Date('2099-12-31T00:00:00Z'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

/** Who makes them: the normal-mode app (address, database, Temporal client) and the setup callers of the own partner. */
export type MatrixSetup = {
  base: string;
  prisma: PrismaClient;
  client: Client;
  setupVendor: string;
  setupPartner: string;
  fx: MatrixFixtures;
  setupCall: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ id: string }>;
};

export function matrixObjects({ base, prisma, client, setupVendor, setupPartner, fx, setupCall }: MatrixSetup) {
  // Objects of OWN: one shared target per route (refused calls hit it and must not change it), one fresh per
  // allowed call that consumes its object.
  const createOpportunity = async (state: ObjectState): Promise<MatrixObject> => {
    const shared = await call(base, 'POST', '/v1/opportunities', setupVendor, shareBody(OWN));
    if (shared.status !== 201) throw new Error(`setup: share answered ${shared.status} ${JSON.stringify(shared.body)}`);
    const id = shared.body.id as string;
    if (state === 'ACCEPTED') {
      const accepted = await call(base, 'POST', `/v1/opportunities/${id}/accept`, setupPartner);
      if (accepted.status !== 200) throw new Error(`setup: accept answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
    }
    return { id };
  };
  // Incentives of OWN, one month each (the fixture expert qualifies from 2025-02), started as the schedule will.
  let month = 0;
  const createIncentive = async (state: ObjectState): Promise<MatrixObject> => {
    const period = new Date(Date.UTC(2025, 1 + month++, 1)).toISOString().slice(0, 7);
    await client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(OWN, period), taskQueue: 'access-matrix', args: [{ partnerId: OWN, period }] });
    const id = `${OWN}-${period}`;
    // Generated once the workflow itself has it (its row commits a moment before the workflow hears so).
    const handle = client.workflow.getHandle(incentiveWorkflowId(OWN, period));
    for (let i = 0; !(await handle.query(getIncentive)).generatedAt; i++) {
      if (i > 200) throw new Error(`setup: incentive ${id} was not generated`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { body, headers } = pdfUpload(PDF);
    const material = await setupCall('POST', `/v1/incentives/${id}/materials`, body, headers);
    if (state === 'INCENTIVE_OBJECTED') await setupCall('POST', `/v1/incentives/${id}/objections`, { lines: [{ expertId: fx.expertId, reason: 'setup' }] });
    return { id, materialId: material.id };
  };
  // Certification applications of OWN (ADVANCED_CLOUD_SOFTWARE: two CLOUD_PROFESSIONAL experts, added only after
  // every incentive exists so that no incentive's lines change), one file set as both materials.
  const vendorCall = async (method: string, path: string, body?: unknown) => {
    const res = await call(base, method, path, setupVendor, body);
    if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
  };
  const createCertification = async (state: ObjectState): Promise<MatrixObject> => {
    const { id } = await setupCall('POST', '/v1/certifications', { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'Matrix solution' });
    const { body, headers } = pdfUpload(PDF);
    const file = await setupCall('POST', `/v1/certifications/${id}/files`, body, headers);
    const materials = ['SOLUTION_DESCRIPTION', 'TEST_REPORT'].map((kind) => ({ kind, materialId: file.id }));
    await setupCall('PUT', `/v1/certifications/${id}/materials`, { materials });
    if (state !== 'CERTIFICATION_DRAFT') await setupCall('POST', `/v1/certifications/${id}/submit`);
    if (state === 'CERTIFICATION_SUPPLEMENT_REQUESTED') await vendorCall('POST', `/v1/certifications/${id}/review`, { decision: 'REQUEST_SUPPLEMENT', note: 'setup' });
    if (state === 'CERTIFICATION_APPROVED') await vendorCall('POST', `/v1/certifications/${id}/review`, { decision: 'APPROVE' });
    return { id, materialId: file.id };
  };
  // SOFTWARE CERTIFIED reviews of OWN, one year each (far from any cycle's), started as the cycle would; OWN meets
  // the level's requirements once the certification phase has added its experts and an ACTIVE certificate exists.
  let reviewYear = 2100;
  const createPathReview = async (state: ObjectState): Promise<MatrixObject> => {
    const year = reviewYear++;
    const id = pathReviewId('SOFTWARE', OWN, year);
    const args = [{ pathId: 'SOFTWARE', partnerId: OWN, year, level: 'CERTIFIED', cycleStartedAt: new Date().toISOString() }] as const;
    await client.workflow.start(pathReviewWorkflow, { workflowId: pathReviewWorkflowId(id), taskQueue: 'access-matrix', args: [...args] });
    for (let i = 0; !(await prisma.pathReview.findUnique({ where: { id } })); i++) {
      if (i > 200) throw new Error(`setup: path review ${id} did not open`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (state === 'PATH_REVIEW_OPEN') return { id };
    for (let i = 0; ; i++) {
      const applied = await call(base, 'POST', `/v1/path-reviews/${id}/apply`, setupPartner);
      if (applied.status === 200) break;
      if (applied.status !== 409 || i > 100) throw new Error(`setup: apply answered ${applied.status} ${JSON.stringify(applied.body)}`);
      await new Promise((r) => setTimeout(r, 50)); // still opening
    }
    const { body, headers } = pdfUpload(PDF);
    const file = await setupCall('POST', `/v1/path-reviews/${id}/files`, body, headers);
    await setupCall('PUT', `/v1/path-reviews/${id}/materials`, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.id }] });
    if (state === 'PATH_REVIEW_APPLIED') return { id, materialId: file.id };
    await setupCall('POST', `/v1/path-reviews/${id}/submit`);
    if (state === 'PATH_REVIEW_SUPPLEMENT_REQUESTED') await vendorCall('POST', `/v1/path-reviews/${id}/decision`, { decision: 'REQUEST_SUPPLEMENT', note: 'setup' });
    return { id, materialId: file.id };
  };
  // Webhook endpoints of OWN; a DEAD delivery of an OWN outbox message, as the relay leaves it after its budget.
  const createWebhook = async (state: ObjectState): Promise<MatrixObject> => {
    const { id } = await setupCall('POST', '/v1/webhooks', { url: MATRIX_HOOK_URL, events: ['incentive.reminder'] });
    if (state === 'WEBHOOK_ENDPOINT') return { id };
    const key = unique('matrix-outbox');
    const message = await prisma.outbox.create({
      data: { topic: 'incentive.reminder', aggregateId: key, dedupeKey: key, payload: { partnerId: OWN }, dueAt: new Date(), dispatchedAt: new Date(), deliveredAt: new Date() },
    });
    const deliveryId = randomUUID();
    await prisma.webhookDelivery.create({
      data: { id: deliveryId, endpointId: id, outboxId: message.id, status: 'DEAD', attempts: 12, lastError: 'matrix setup', createdAt: new Date() },
    });
    return { id, deliveryId };
  };
  const isCertification = (state: ObjectState) => state.startsWith('CERTIFICATION_');
  const isPathReview = (state: ObjectState) => state.startsWith('PATH_REVIEW_');
  const phaseOf = (state: ObjectState) => (isPathReview(state) ? 2 : isCertification(state) ? 1 : 0);
  const createObject = (state: ObjectState) =>
    isPathReview(state)
      ? createPathReview(state)
      : isCertification(state)
        ? createCertification(state)
        : state.startsWith('INCENTIVE_')
          ? createIncentive(state)
          : state.startsWith('WEBHOOK_')
            ? createWebhook(state)
            : createOpportunity(state);

  /** One object per state, in phases: incentives before the experts certifications need, path reviews once a certificate exists. */
  async function makeObjects(states: ObjectState[]): Promise<MatrixObject[]> {
    const needs = states.map((state) => ({ state }));
    const objects: MatrixObject[] = new Array(needs.length);
    for (const phase of [0, 1, 2]) {
      if (phase === 1) for (const employeeId of ['matrix-cert-1', 'matrix-cert-2']) await attestExpert(prisma, OWN, await insertExpert(prisma, OWN, { employeeId }));
      if (phase === 2) await insertCertificate(prisma, OWN);
      const batch = needs.flatMap((need, i) => (phaseOf(need.state) === phase ? [i] : []));
      const made = await inBatches(batch, 8, (i) => createObject(needs[i]!.state));
      batch.forEach((i, k) => (objects[i] = made[k]!));
    }
    return objects;
  }

  return { makeObjects };
}

/** What a refused call must not change on the shared targets (one line per route). */
export const targetsSnapshot = (prisma: PrismaClient, sharedTargets: Map<string, MatrixObject>) =>
  Promise.all(
    [...sharedTargets].map(async ([key, { id }]) => {
      if (key.includes(' /v1/path-reviews/')) {
        const row = await prisma.pathReview.findUniqueOrThrow({ where: { id }, include: { events: true, materials: true } });
        const files = await prisma.material.count({ where: { ownerKind: 'path-review', ownerId: id } });
        return `${key}: ${row.status}, ${row.events.length} events, ${row.materials.length} materials set, ${files} files`;
      }
      if (key.includes(' /v1/certifications/')) {
        const row = await prisma.certificationApplication.findUniqueOrThrow({ where: { id }, include: { events: true, materials: true } });
        const files = await prisma.material.count({ where: { ownerKind: 'certification', ownerId: id } });
        return `${key}: ${row.status}, ${row.events.length} events, ${row.materials.length} materials set, ${files} files`;
      }
      if (key.includes(' /v1/webhooks/')) {
        const row = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id }, include: { deliveries: true } });
        return `${key}: active ${row.active}, secret ${row.secret}, deliveries [${row.deliveries.map((d) => `${d.status} run ${d.runs}`)}]`;
      }
      if (key.startsWith('GET /v1/incentives') || key.startsWith('POST /v1/incentives')) {
        const row = await prisma.incentive.findUniqueOrThrow({ where: { id }, include: { events: true, settlement: true } });
        const materials = await prisma.material.count({ where: { ownerKind: 'incentive', ownerId: id } });
        return `${key}: ${row.status}, ${row.events.length} events, ${materials} materials, settled ${row.settlement !== null}`;
      }
      const row = await prisma.opportunity.findUniqueOrThrow({ where: { id }, include: { events: true } });
      return `${key}: ${row.status}, ${row.events.length} events`;
    }),
  );

/** What a refused call must not change in the own partner's organization. */
export async function organizationSnapshot(prisma: PrismaClient, fx: MatrixFixtures) {
  const member = await prisma.partnerMember.findUniqueOrThrow({ where: { id: fx.memberId }, include: { roles: true } });
  const role = await prisma.partnerRole.findUniqueOrThrow({ where: { id: fx.roleId } });
  const expert = await prisma.expert.findUniqueOrThrow({ where: { id: fx.expertId }, include: { certifications: true, changes: true } });
  const paths = await prisma.pathMembership.findMany({ where: { partnerId: OWN }, orderBy: { pathId: 'asc' } });
  const pathChanges = await prisma.pathMembershipChange.count({ where: { partnerId: OWN } });
  return (
    `paths [${paths.map((p) => `${p.pathId}:${p.level}`)}], ${pathChanges} path changes; ` +
    `member ${member.displayName}, ${member.active}, [${member.roles.map((r) => r.role).sort()}]; role ${role.name} [${role.permissions}]; ` +
    `expert ${expert.name}, ${expert.active}, ${expert.certifications.length} certifications (${expert.certifications.filter((c) => c.attestedAt).length} attested), ` +
    `full-time attested ${expert.fullTimeAttestedAt !== null}, ${expert.changes.length} changes`
  );
}
