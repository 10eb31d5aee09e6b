/**
 * A path review's PASS to a higher level is checked against that level's requirements (issue 17 section 6), as
 * apply checks the current level's: to an unmet level it is refused with every unmet item (REQUIREMENTS_UNMET, the
 * review stays SUBMITTED, the level unchanged), to a met one accepted. On the time-skipping server with the real
 * activities and PostgreSQL; the run is recorded for test/replay.test.ts (RECORD_HISTORIES=1).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Actor, apply, decide, getPathReview, pathReviewId, pathReviewWorkflow, pathReviewWorkflowId, setMaterial, submit } from '../workflows/path-review/workflow.js';
import { nextFriday } from './support/calendar.js';
import { refused } from './support/certification.js';
import { useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { joinPath, qualifySoftware } from './support/path-facts.js';
import { eventually } from './support/wait.js';

const taskQueue = 'path-review-pass-level-test';
const env = useTestEnv({ taskQueue });
const vendor: Actor = { sub: 'vendor-1' };
const YEAR = 2028;

describe('PASS with newLevel', () => {
  it("refused while newLevel's requirements are unmet (every item named), accepted once they are met", async () => {
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    const actor: Actor = { sub: 'partner-user', partnerId };
    await joinPath(env.prisma, partnerId, 'SOFTWARE', 'CERTIFIED', new Date(await env.currentTimeMs()));
    await qualifySoftware(env.prisma, partnerId, 'CERTIFIED');
    const friday = nextFriday(await env.currentTimeMs(), 15).toMillis();
    await env.advanceTo(friday);
    const reviewId = pathReviewId('SOFTWARE', partnerId, YEAR);
    const handle = await env.client.workflow.start(pathReviewWorkflow, {
      workflowId: pathReviewWorkflowId(reviewId),
      taskQueue,
      args: [{ pathId: 'SOFTWARE', partnerId, year: YEAR, level: 'CERTIFIED', cycleStartedAt: new Date(friday).toISOString() }],
    });
    await eventually(async () => ((await handle.query(getPathReview)).openedAt ? true : undefined));
    await handle.executeUpdate(apply, { args: [{ actor }] });
    const id = randomUUID();
    const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
    const row = await env.prisma.material.create({
      data: { id, ownerKind: 'path-review', ownerId: reviewId, partnerId, fileName: 'report.pdf', contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
    });
    const material = { materialId: id, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
    await handle.executeUpdate(setMaterial, { args: [{ actor, kind: 'ANNUAL_REPORT', material }] });
    expect(await handle.executeUpdate(submit, { args: [{ actor }] })).toMatchObject({ status: 'SUBMITTED', seq: 4 });

    // ADVANCED needs 2 software certificates and 3 CLOUD_PROFESSIONAL experts; the partner has 1 and 2.
    const error = await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' }] }));
    expect(error.type).toBe('REQUIREMENTS_UNMET');
    expect(error.details).toEqual([
      [
        { description: 'at least 2 active ADVANCED_CLOUD_SOFTWARE certificates', required: 2, actual: 1 },
        { description: 'at least 3 experts holding a valid CLOUD_PROFESSIONAL certification', required: 3, actual: 2 },
      ],
    ]);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'SUBMITTED', seq: 4 });
    expect((await env.prisma.pathMembership.findUniqueOrThrow({ where: { partnerId_pathId: { partnerId, pathId: 'SOFTWARE' } } })).level).toBe('CERTIFIED');

    await qualifySoftware(env.prisma, partnerId, 'ADVANCED', 'CERTIFIED');
    const passed = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' }] });
    expect(passed).toMatchObject({ status: 'PASSED', decision: 'PASS', newLevel: 'ADVANCED', seq: 5 });
    expect((await env.prisma.pathMembership.findUniqueOrThrow({ where: { partnerId_pathId: { partnerId, pathId: 'SOFTWARE' } } })).level).toBe('ADVANCED');
    await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
    await recordHistory(handle, 'path-review-pass-level-checked');
  });
});
