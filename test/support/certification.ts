/**
 * Steps the certification workflow tests share, on a test file's environment (support/env.ts): a qualified partner,
 * an application created (update-with-start) and filled with materials, submitted, and the refusals and events to
 * check after each.
 */
import { randomUUID } from 'node:crypto';
import { type WorkflowHandle, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  type Actor,
  type CertificationInput,
  certificationWorkflow,
  certificationWorkflowId,
  create,
  type RenewedCertificate,
  setMaterial,
  submit,
} from '../../workflows/certification/workflow.js';
import type { TestEnv } from './env.js';
import { attestExpert, insertExpert } from './experts.js';

export const vendor: Actor = { sub: 'vendor-1' };
export const partner = () => `P-${randomUUID().slice(0, 8)}`;
export const KINDS = ['CASE_STUDIES', 'TEAM_ROSTER'];

/** The refusal an update met (type, message, details), or `not a refusal` when it failed otherwise. */
export const refusal = (error: unknown) => {
  const cause = error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string; message?: string; details?: unknown[] } | undefined) : undefined;
  return cause ? { type: cause.type, message: cause.message ?? '', details: cause.details } : { type: `not a refusal: ${String(error)}`, message: '', details: undefined };
};
/** What an update came to: `accepted`, or its refusal. */
export const refused = (promise: Promise<unknown>) => promise.then(() => ({ type: 'accepted', message: '', details: undefined }), refusal);

/** The steps, on `env`'s server, task queue and database. */
export function certificationSteps(env: TestEnv) {
  /** What ROLE_CONSULTING needs: 3 full-time experts, one of them a CLOUD_EXPERT. */
  async function qualify(partnerId: string) {
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT' }));
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E2' }));
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E3' }));
  }

  async function start(partnerId: string, extra: Partial<CertificationInput> = {}, renewedCertificate?: RenewedCertificate) {
    const input: CertificationInput = { applicationId: randomUUID(), partnerId, type: 'ROLE_CONSULTING', createdBy: 'partner-user', ...extra };
    const workflowId = certificationWorkflowId(input.applicationId);
    const snapshot = await env.client.workflow.executeUpdateWithStart(create, {
      args: [renewedCertificate ? { renewedCertificate } : {}],
      startWorkflowOperation: new WithStartWorkflowOperation(certificationWorkflow, { workflowId, taskQueue: env.taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
    return { handle: env.client.workflow.getHandle<typeof certificationWorkflow>(workflowId), snapshot, actor: { sub: 'partner-user', partnerId } as Actor };
  }

  /** Uploads a material row for the application (as the API will) and sets it as `kind`. */
  async function attach(handle: WorkflowHandle, applicationId: string, actor: Actor, kind: string) {
    const id = randomUUID();
    const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
    const row = await env.prisma.material.create({
      data: { id, ownerKind: 'certification', ownerId: applicationId, partnerId: actor.partnerId!, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
    });
    const material = { materialId: id, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
    return handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
  }

  /** A qualified partner's application, with its materials, submitted: IN_REVIEW. */
  async function inReview(partnerId = partner(), extra: Partial<CertificationInput> = {}, renewed?: RenewedCertificate) {
    if (!extra.renewalOf) await qualify(partnerId);
    const started = await start(partnerId, extra, renewed);
    for (const kind of KINDS) await attach(started.handle, started.snapshot.applicationId, started.actor, kind);
    const snapshot = await started.handle.executeUpdate(submit, { args: [{ actor: started.actor }] });
    return { ...started, snapshot, partnerId, applicationId: snapshot.applicationId };
  }

  /** The application's event types, in order. */
  const events = async (applicationId: string) =>
    (await env.prisma.certificationEvent.findMany({ where: { applicationId }, orderBy: { seq: 'asc' } })).map((e) => e.type);

  return { qualify, start, attach, inReview, events };
}
