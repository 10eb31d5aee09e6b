/**
 * Steps of the agreement tests (issue 17 section 5): publishing a version through the API, today's date in the
 * contracting zone computed here (never by the code under test), and the cleanup every file that publishes a version
 * in force needs: a version in force gates every partner of the database, and the files that run after this one in
 * the same test worker share it (test/support/database.ts), so its tables are emptied when the file ends. TRUNCATE
 * fires no row trigger: the append-only triggers refuse UPDATE and DELETE only.
 */
import { createHash } from 'node:crypto';
import { afterAll } from 'vitest';
import type { TestEnv } from './env.js';

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A date `days` after today in Asia/Shanghai (UTC+8), YYYY-MM-DD, computed by hand from the wall clock. */
export function shanghaiDate(days: number, nowMs = Date.now()): string {
  return new Date(nowMs + 8 * 3600_000 + days * 24 * 3600_000).toISOString().slice(0, 10);
}

export function agreementSteps(env: TestEnv, publisher: () => string) {
  afterAll(async () => {
    await env.prisma.$executeRawUnsafe('TRUNCATE agreement_signature, agreement_event, agreement');
  });
  return {
    async publish(over: { effectiveDate: string; signByDate: string; contractingEntity?: string; text?: string }) {
      const text = over.text ?? `Partner agreement ${over.effectiveDate} — ${Math.random()}`;
      const res = await env.api('POST', '/v1/agreements', publisher(), {
        contractingEntity: over.contractingEntity ?? 'Cloud Co. (Beijing) Ltd.',
        text,
        textSha256: sha256(text),
        effectiveDate: over.effectiveDate,
        signByDate: over.signByDate,
      });
      if (res.status !== 201) throw new Error(`publish: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; version: number; textSha256: string; effectiveDate: string; signByAt: string; publishedAt: string };
    },
    sign: (partnerId: string, token: string, id: string, textSha256: string) => env.api('POST', `/v1/partners/${partnerId}/agreements/${id}/signature`, token, { textSha256 }),
  };
}
