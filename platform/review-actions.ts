/**
 * A vendor reviewer's decision on one review of any kind (certification, path review, project specialist, enrollment,
 * level raise, customer report), for the bulk job's items (activities/bulk-action.ts): each goes through the very
 * function its single decide route calls — the process's API client — so an item does exactly what that route does:
 * the same scoping, the same checks (a review claimed by another reviewer included, api/review-queue/claims.ts), the
 * same update, and a refusal thrown as the same problem. The clients are the HTTP layer's doors into the processes, not
 * its routes: the worker holds a Temporal client and the database as the API does, so it can open the same doors.
 */
import type { Client } from '@temporalio/client';
import type { Principal } from '../domain/auth.js';
import type { CalendarLookup } from '../domain/calendar.js';
import { createCertificationClient, type CertificationClient } from '../api/certification/client.js';
import { createCustomerReportClient, type CustomerReportClient } from '../api/customers/reports-client.js';
import { createEnrollmentClient, type EnrollmentClient } from '../api/enrollment/client.js';
import { createLevelRaiseClient, type LevelRaiseClient } from '../api/level-raise/client.js';
import { createPathReviewsClient, type PathReviewsClient } from '../api/path-review/client.js';
import type { ReviewKind } from '../api/review-queue/kinds.js';
import { createSpecialistClient, type SpecialistClient } from '../api/specialist/client.js';
import type { PrismaClient } from '../prisma/generated/client.js';

/** A decision as the single decide route takes it (its body): validated by that route's schema before it is recorded. */
export type ReviewDecisionBody = { decision: string; note?: string; newLevel?: string };

/** What the bulk job reads of an object it acted on: its status, and its history (who did what, when). */
export type ActedView = { status: string; history: readonly { actor: string; at: string }[] };

type Decide = (principal: Principal, id: string, body: ReviewDecisionBody) => Promise<ActedView>;
type View = (principal: Principal, id: string) => Promise<ActedView>;

/** As the API's: the worker's calendars (the database's in production) give the views their local instants. */
export type ReviewActionDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; calendarFor?: CalendarLookup };

export function createReviewActions(deps: ReviewActionDeps) {
  const { calendarFor, ...rest } = deps;
  const withCalendar = { ...rest, ...(calendarFor ? { calendarFor } : {}) };
  const certifications = createCertificationClient(withCalendar);
  const pathReviews = createPathReviewsClient(withCalendar);
  const specialists = createSpecialistClient(withCalendar);
  const enrollments = createEnrollmentClient(rest);
  const raises = createLevelRaiseClient(withCalendar);
  const reports = createCustomerReportClient(withCalendar);

  // The body was validated by the kind's own decide schema when the job was recorded (api/bulk-action/routes.ts), so
  // each cast below only restores the type that validation established.
  const decide: Record<ReviewKind, Decide> = {
    certification: (p, id, body) => certifications.decide(p, id, body as Parameters<CertificationClient['decide']>[2]),
    'path-review': (p, id, body) => pathReviews.decide(p, id, body as Parameters<PathReviewsClient['decide']>[2]),
    specialist: (p, id, body) => specialists.decide(p, id, body as Parameters<SpecialistClient['decide']>[2]),
    enrollment: (p, id, body) => enrollments.review(p, id, body as Parameters<EnrollmentClient['review']>[2]),
    'level-raise': (p, id, body) => raises.review(p, id, body as Parameters<LevelRaiseClient['review']>[2]),
    'customer-report': (p, id, body) => reports.review(p, id, body as Parameters<CustomerReportClient['review']>[2]),
  };
  const view: Record<ReviewKind, View> = {
    certification: (p, id) => certifications.get(p, id),
    'path-review': (p, id) => pathReviews.get(p, id),
    specialist: (p, id) => specialists.get(p, id),
    enrollment: (p, id) => enrollments.get(p, id),
    'level-raise': (p, id) => raises.get(p, id),
    'customer-report': (p, id) => reports.get(p, id),
  };

  return {
    /** Decides review `id` of `kind` as `principal`, exactly as POST <the kind's decide route> does; a refusal is thrown as its problem. */
    decide: (kind: ReviewKind, principal: Principal, id: string, body: ReviewDecisionBody) => decide[kind](principal, id, body),
    /** The review as GET <the kind's detail route> answers it. */
    view: (kind: ReviewKind, principal: Principal, id: string) => view[kind](principal, id),
  };
}

export type ReviewActions = ReturnType<typeof createReviewActions>;
