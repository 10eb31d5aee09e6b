/**
 * What waits for the partner, from every process that asks something of it, as one list ordered by deadline:
 * opportunities to accept, incentives to verify, supplements requested (certification applications and annual path
 * reviews), annual path reviews inside their window, agreement versions not yet signed, and enrollments that wait for
 * the partner (an invitation to answer, an approval to confirm). Each kind is read from its own list route, and only
 * when the caller holds both the permission that reads it and the one that acts on it (GET /v1/me's effective
 * permissions: a member's custom roles count). Display only — the API decides every request — but it means a partner's
 * salesperson is not shown incentives it may read but not verify, and nobody's inbox sends a read the API would refuse.
 */
import { useQuery } from '@tanstack/react-query';
import type { Api, OpportunitySummary } from '../api/client';
import { holds, type Me, type Permission, useMe } from '../me';
import type { Claims } from '../session';
import { dataOf } from './refusals';
import type { SupplementItem } from './SupplementCard';
import type { AgreementSummary, EnrollmentSummary, IncentiveSummary, PathReviewSummary } from './types';

export type InboxItem = { key: string; deadline: string; tieBreak: string } & (
  | { kind: 'opportunity'; summary: OpportunitySummary }
  | { kind: 'incentive'; summary: IncentiveSummary }
  | SupplementItem
  | { kind: 'pathReviewWindow'; summary: PathReviewSummary }
  | { kind: 'agreement'; agreement: AgreementSummary; inForce: boolean }
  | { kind: 'enrollment'; enrollment: EnrollmentSummary }
);

type Kind = 'opportunity' | 'incentive' | 'certification' | 'pathReview' | 'agreement' | 'enrollment';

/** What each kind's list route needs, and what its card's action needs: the kind shows only to a caller holding both. */
const NEEDS: Record<Kind, readonly Permission[]> = {
  opportunity: ['opportunity.read', 'opportunity.act'],
  incentive: ['incentive.read', 'incentive.verify'],
  certification: ['certification.read', 'certification.apply'],
  pathReview: ['pathReview.read', 'pathReview.act'],
  agreement: ['agreement.read', 'agreement.sign'],
  enrollment: ['enrollment.read', 'enrollment.request'],
};
/** Whether the inbox shows `kind` to this caller: a partner's staff holding what the kind needs. */
export const mayAct = (me: Me | undefined, kind: Kind) => Boolean(me?.partnerId) && NEEDS[kind].every((permission) => holds(me, permission));

/** The query keys of the inbox's reads: an action invalidates them all, and the item it settled leaves the list. */
export const INBOX_KEY = 'inbox';
/** One page of 100, the API's largest: each kind's waiting items are few, since each has a deadline of days. */
const LIMIT = 100;

/** The opportunities pending acceptance, soonest first (equal deadlines in the order they were shared). */
export function usePendingOpportunities(api: Api) {
  const me = useMe().data;
  const allowed = mayAct(me, 'opportunity');
  return useQuery({
    queryKey: ['opportunities', 'PENDING_ACCEPTANCE', allowed],
    // Asked once the caller's permissions are known; a caller who may not act on opportunities has none waiting.
    enabled: me !== undefined,
    queryFn: async () => {
      if (!allowed) return [];
      const page = dataOf(await api.GET('/v1/opportunities', { params: { query: { status: 'PENDING_ACCEPTANCE', limit: LIMIT } } }));
      return [...page.items].sort((a, b) => Date.parse(a.acceptDeadline) - Date.parse(b.acceptDeadline) || Date.parse(a.sharedAt) - Date.parse(b.sharedAt));
    },
    refetchInterval: 60_000,
  });
}

/** Every other kind, as inbox items; `failures` names each read that failed (the others still show). */
export function useOtherItems(api: Api, claims: Claims | undefined) {
  const me = useMe();
  const may = (kind: Kind) => mayAct(me.data, kind);
  const partnerId = claims?.partnerId ?? '';
  const common = { refetchInterval: 60_000 };
  const incentives = useQuery({
    ...common,
    queryKey: [INBOX_KEY, 'incentive'],
    enabled: may('incentive'),
    queryFn: async (): Promise<InboxItem[]> =>
      dataOf(await api.GET('/v1/incentives', { params: { query: { status: 'PENDING_VERIFICATION', limit: LIMIT } } })).items.map((summary) => ({
        kind: 'incentive',
        key: `incentive:${summary.id}`,
        deadline: summary.verificationDeadline,
        tieBreak: summary.generatedAt,
        summary,
      })),
  });
  const certifications = useQuery({
    ...common,
    queryKey: [INBOX_KEY, 'certification'],
    enabled: may('certification'),
    queryFn: async (): Promise<InboxItem[]> =>
      dataOf(await api.GET('/v1/certifications', { params: { query: { status: 'SUPPLEMENT_REQUESTED', limit: LIMIT } } }))
        .items.filter((summary) => summary.supplementDeadline)
        .map((summary) => ({ kind: 'certification', key: `certification:${summary.id}`, deadline: summary.supplementDeadline!, tieBreak: summary.createdAt, summary })),
  });
  const pathReviews = useQuery({
    ...common,
    queryKey: [INBOX_KEY, 'pathReview'],
    enabled: may('pathReview'),
    // Every review of the partner's, newest year first (a few paths a year), of which those waiting for the partner:
    // inside the window (OPEN: apply; APPLIED: submit the materials), or sent back for a supplement.
    queryFn: async (): Promise<InboxItem[]> =>
      dataOf(await api.GET('/v1/path-reviews', { params: { query: { limit: LIMIT } } })).items.flatMap((summary): InboxItem[] => {
        const base = { key: `pathReview:${summary.id}`, tieBreak: summary.openedAt };
        if (summary.status === 'SUPPLEMENT_REQUESTED' && summary.supplementDeadline) return [{ ...base, kind: 'pathReview', deadline: summary.supplementDeadline, summary }];
        if (summary.status === 'OPEN' || summary.status === 'APPLIED') return [{ ...base, kind: 'pathReviewWindow', deadline: summary.windowEndsAt, summary }];
        return [];
      }),
  });
  const agreements = useQuery({
    ...common,
    queryKey: [INBOX_KEY, 'agreement'],
    enabled: may('agreement'),
    queryFn: async (): Promise<InboxItem[]> => {
      const [entities, catalog] = [
        dataOf(await api.GET('/v1/partners/{partnerId}/contracting-entities', { params: { path: { partnerId } } })),
        dataOf(await api.GET('/v1/agreements')),
      ];
      // The version in force and any published to take effect later wait for a signature; an older one, superseded,
      // gates nothing any more and signing it would change nothing.
      const inForce = entities.items.find((item) => item.inForce);
      const waiting = entities.items.filter((item) => !item.signed && (item.inForce || !inForce || item.effectiveDate > inForce.effectiveDate));
      return waiting.flatMap((item) => {
        const agreement = catalog.items.find((version) => version.id === item.agreementId);
        return agreement ? [{ kind: 'agreement' as const, key: `agreement:${agreement.id}`, deadline: agreement.signByAt, tieBreak: agreement.publishedAt, agreement, inForce: item.inForce }] : [];
      });
    },
  });
  const enrollments = useQuery({
    ...common,
    queryKey: [INBOX_KEY, 'enrollment'],
    enabled: may('enrollment'),
    queryFn: async (): Promise<InboxItem[]> => {
      const waiting = async (status: 'INVITED' | 'AWAITING_CONFIRMATION') =>
        dataOf(await api.GET('/v1/partners/{partnerId}/enrollments', { params: { path: { partnerId }, query: { status, limit: LIMIT } } })).items;
      const [invited, approved] = [await waiting('INVITED'), await waiting('AWAITING_CONFIRMATION')];
      return [...invited, ...approved].flatMap((enrollment) => {
        const deadline = enrollment.status === 'INVITED' ? enrollment.invitationExpiresAt : enrollment.confirmationDueAt;
        return deadline ? [{ kind: 'enrollment' as const, key: `enrollment:${enrollment.id}`, deadline, tieBreak: enrollment.submittedAt, enrollment }] : [];
      });
    },
  });
  const reads = [incentives, certifications, pathReviews, agreements, enrollments];
  return {
    items: reads.flatMap((read) => read.data ?? []),
    failures: reads.flatMap((read) => (read.error ? [read.error.message] : [])),
    loading: me.isLoading || reads.some((read) => read.isLoading),
  };
}

/** Soonest deadline first across every kind; equal deadlines in the order the items arose. */
export function byDeadline(a: InboxItem, b: InboxItem): number {
  return Date.parse(a.deadline) - Date.parse(b.deadline) || Date.parse(a.tieBreak) - Date.parse(b.tieBreak) || a.key.localeCompare(b.key);
}
