/**
 * One agreement version (`agreement-<agreementId>`, 签署新签约主体的协议): the vendor publishes it for every partner;
 * each partner's administrator signs it through the API (an append-only row, api/agreement/client.ts), and this
 * workflow keeps the version's deadlines for all partners at once.
 *
 *   publish ──▶ SIGNING ──(7 and 1 calendar days before the sign-by instant: remind every partner not yet signed)──▶
 *           ──(the sign-by instant: escalate every partner not yet signed to the vendor)──▶ SIGN_BY_PASSED (ends)
 *
 * The dates are contractual calendar dates in Asia/Shanghai (domain/agreement.ts), so they never move with a working-day
 * calendar and the workflow answers no recomputeDeadline. From the effective instant the API refuses an unsigned
 * partner its gated actions (platform/agreement-gate.ts) — a read of the signatures, not of this workflow.
 * Messages: workflows/agreement/contract.ts (re-exported).
 */
import { allHandlersFinished, condition, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { AgreementTransitionRecord, createAgreementActivities } from '../../activities/agreement.js';
import { agreementReminders } from '../../domain/agreement.js';
import { publishProcess } from '../kit/deadline.js';
import { causeOf, persistenceActivityOptions } from '../kit/shared.js';
import { AGREEMENT_PUBLISHED_TOPIC, AGREEMENT_SIGN_ESCALATION_TOPIC, AGREEMENT_SIGN_REMINDER_TOPIC, type AgreementFanOut, getState, published } from './contract.js';
import type { AgreementInput, AgreementSnapshot } from './contract.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createAgreementActivities>>(persistenceActivityOptions);

export async function agreementWorkflow(input: AgreementInput): Promise<AgreementSnapshot> {
  const state: AgreementSnapshot = { agreementId: input.agreementId, version: 0, status: 'SIGNING', remindersSent: [], seq: 0 };
  let publishFailure: unknown;
  const snapshot = (): AgreementSnapshot => JSON.parse(JSON.stringify(state));
  setHandler(getState, snapshot);
  setHandler(published, async () => {
    await condition(() => state.seq > 0 || publishFailure !== undefined);
    if (publishFailure) throw publishFailure;
    return snapshot();
  });

  /** Every page of one message to the partners, in partner order (each page one activity). */
  async function fanOut(message: AgreementFanOut, dueAt: string): Promise<number> {
    let after: string | undefined;
    let sent = 0;
    do {
      const page = await activities.fanOutAgreementMessages({ agreementId: state.agreementId, ...message, dueAt, ...(after !== undefined ? { after } : {}) });
      sent += page.dedupeKeys.length;
      after = page.next;
    } while (after !== undefined);
    return sent;
  }

  async function transition(t: Omit<AgreementTransitionRecord, 'agreementId' | 'seq' | 'fromStatus'>) {
    const record: AgreementTransitionRecord = { agreementId: state.agreementId, seq: state.seq + 1, fromStatus: state.status, ...t };
    await activities.recordAgreementTransition(record);
    state.seq = record.seq;
    state.status = t.toStatus;
    publishProcess(state.status, state.status === 'SIGNING' ? state.signByAt : undefined, '');
  }

  try {
    const publication = await activities.recordAgreementPublished({ ...input, publishedAt: new Date(workflowInfo().startTime).toISOString() });
    Object.assign(state, publication);
  } catch (error) {
    publishFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw publishFailure;
  }
  publishProcess(state.status, state.signByAt, '');
  await fanOut({ topic: AGREEMENT_PUBLISHED_TOPIC, to: 'all' }, state.publishedAt!);

  for (const reminder of agreementReminders(state.signByAt!, state.publishedAt!)) {
    await sleepUntil(reminder.at);
    const partners = await fanOut({ topic: AGREEMENT_SIGN_REMINDER_TOPIC, to: 'unsigned', daysBefore: reminder.daysBefore }, reminder.at);
    state.remindersSent.push(reminder.daysBefore);
    await transition({ type: 'SIGN_REMINDERS_SENT', toStatus: 'SIGNING', at: reminder.at, data: { daysBefore: reminder.daysBefore, partners } });
  }

  await sleepUntil(state.signByAt!);
  const unsigned = await fanOut({ topic: AGREEMENT_SIGN_ESCALATION_TOPIC, to: 'unsigned' }, state.signByAt!);
  state.escalatedAt = state.signByAt!;
  await transition({ type: 'SIGN_BY_ESCALATED', toStatus: 'SIGN_BY_PASSED', at: state.signByAt!, data: { partners: unsigned } });
  await condition(allHandlersFinished);
  return snapshot();
}

/** Workflow time reaches `at` (at once if it already has). */
async function sleepUntil(at: string) {
  const ms = Date.parse(at) - Date.now();
  if (ms > 0) await sleep(ms);
}
