// Response schemas of enrollments (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { INSTRUMENT_KINDS } from '../../domain/account.js';
import { moneySchema } from '../../domain/money.js';
import { ENROLLMENT_STATUSES } from '../../workflows/enrollment/contract.js';
import { deadlineExplanationSchema, instant } from '../kit/schemas.js';

const enrollmentStatus = z.enum(ENROLLMENT_STATUSES);
const instrument = z.strictObject({ kind: z.enum(INSTRUMENT_KINDS), id: z.string(), issuer: z.string(), amount: moneySchema });

export const ENROLLMENT_EVENT_TYPES = [
  'REQUESTED',
  'INVITED',
  'ACCEPTED',
  'DECLINED',
  'INVITATION_EXPIRED',
  'FAILED',
  'APPROVED',
  'REJECTED',
  'WITHDRAWN',
  'REVIEW_ESCALATED',
  'DEADLINE_CHANGED',
  'CONFIRMATION_EXPIRED',
  'JOINED',
  'REFUSED_AT_JOINING',
] as const;

const summaryShape = {
  id: z.uuid(),
  partnerId: z.string(),
  program: z.string().describe('the program joined: SOLUTION_PROVIDER or RESELLER (the distributor plan is joined offline only)'),
  status: enrollmentStatus,
  origin: z.enum(['REQUEST', 'INVITATION']).describe("REQUEST: the partner asked; INVITATION: the vendor invited the partner (requestedBy is the inviter)"),
  requestedBy: z.string(),
  submittedAt: instant.describe('when the partner asked, or the vendor invited'),
  invitationNote: z.string().nullable(),
  invitationExpiresAt: instant.nullable().describe('INVITED: the partner accepts or declines before it (working days of its calendar), else EXPIRED'),
  acceptedBy: z.string().nullable(),
  acceptedAt: instant.nullable().describe("an invitation's acceptance: the review SLA or the confirmation deadline counts from it"),
  reviewDueAt: instant.nullable().describe("IN_REVIEW: when the vendor's review is due; null for a program without review"),
  confirmationDueAt: instant.nullable().describe('AWAITING_CONFIRMATION: the partner confirms before it, else the approval lapses (EXPIRED)'),
  joinedAt: instant.nullable(),
  failure: z
    .strictObject({ reason: z.string(), program: z.string(), enrollmentId: z.string() })
    .nullable()
    .describe('FAILED: the partner joined another program (which, by which enrollment) while the invitation waited'),
  zone: z.string().describe("the IANA zone of the partner's calendar: the deadlines are counted in its working days, and shown to people in it"),
};

export const enrollmentSummarySchema = z.strictObject(summaryShape).describe('An enrollment as listed.');

export const enrollmentSchema = z
  .strictObject({
    ...summaryShape,
    refusal: z.array(z.strictObject({ code: z.string(), evidence: z.record(z.string(), z.unknown()) })).nullable().describe('REFUSED_AT_JOINING: every condition unmet at the moment of joining'),
    voided: z.array(instrument.extend({ voidedAt: instant })).describe('the instruments this enrollment voided on joining, each once'),
    deadlineExplanation: deadlineExplanationSchema
      .nullable()
      .describe(
        'how the pending deadline was counted: invitationExpiresAt (INVITED), reviewDueAt (IN_REVIEW) or confirmationDueAt (AWAITING_CONFIRMATION), as last counted (a recount after a calendar change included); null when none is pending',
      ),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(ENROLLMENT_EVENT_TYPES),
        fromStatus: enrollmentStatus.nullable(),
        toStatus: enrollmentStatus,
        actor: z.string(),
        at: instant,
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'Enrollment', description: 'An enrollment into a program with its review deadline, outcome and history.' });

export const voidedInstrumentsPreviewSchema = z
  .strictObject({
    enrollmentId: z.uuid(),
    program: z.string(),
    instruments: z.array(instrument).describe('exactly the unused vouchers, coupons and stored-value cards joining voids (none for a program that voids none)'),
    instrumentsHash: z.string().describe('SHA-256 of that list: confirm with it; a list changed meanwhile refuses the confirmation (409)'),
  })
  .meta({ id: 'VoidedInstrumentsPreview', description: 'What joining would void, to confirm.' });

export const enrollmentPageSchema = z
  .strictObject({ items: z.array(enrollmentSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'EnrollmentPage', description: "One page of a partner's enrollments, newest first." });

export type EnrollmentView = z.output<typeof enrollmentSchema>;
export type EnrollmentSummary = z.output<typeof enrollmentSummarySchema>;
export type VoidedInstrumentsPreview = z.output<typeof voidedInstrumentsPreviewSchema>;
