// Response schemas of enrollments (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { INSTRUMENT_KINDS } from '../../domain/account.js';
import { moneySchema } from '../../domain/money.js';
import { ENROLLMENT_STATUSES } from '../../workflows/enrollment/contract.js';
import { instant } from '../kit/schemas.js';

const enrollmentStatus = z.enum(ENROLLMENT_STATUSES);
const instrument = z.strictObject({ kind: z.enum(INSTRUMENT_KINDS), id: z.string(), issuer: z.string(), amount: moneySchema });

export const ENROLLMENT_EVENT_TYPES = ['REQUESTED', 'APPROVED', 'REJECTED', 'WITHDRAWN', 'REVIEW_ESCALATED', 'DEADLINE_CHANGED', 'JOINED', 'REFUSED_AT_JOINING'] as const;

export const enrollmentSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    program: z.string().describe('the program joined: SOLUTION_PROVIDER or RESELLER (the distributor plan is joined offline only)'),
    status: enrollmentStatus,
    requestedBy: z.string(),
    submittedAt: instant,
    reviewDueAt: instant.nullable().describe("IN_REVIEW: when the vendor's review is due; null for a program without review"),
    joinedAt: instant.nullable(),
    refusal: z.array(z.strictObject({ code: z.string(), evidence: z.record(z.string(), z.unknown()) })).nullable().describe('REFUSED_AT_JOINING: every condition unmet at the moment of joining'),
    voided: z.array(instrument.extend({ voidedAt: instant })).describe('the instruments this enrollment voided on joining, each once'),
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

export type EnrollmentView = z.output<typeof enrollmentSchema>;
export type VoidedInstrumentsPreview = z.output<typeof voidedInstrumentsPreviewSchema>;
