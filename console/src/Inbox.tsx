/**
 * The partner inbox: everything that waits for this partner, in one list ordered by deadline, soonest first —
 * opportunities to accept, incentives to verify, supplements requested, agreements to sign, program invitations and
 * enrollments to confirm (inbox/items.ts). One list rather than one per kind, because the partner's question is "what
 * is due next", whatever the process: an incentive due tomorrow must not hide below three opportunities due next week. Each card says its kind, counts down
 * and acts in place; an action's outcome is announced in the one live region, and the item leaves the list when the
 * inbox is read again. Two bulk toolbars act on many at once: the opportunities among the items (accept, reject) and
 * the incentives (verify, with the figures typed in each card — kept here as drafts so that both the card's own verify
 * and the bulk one send them); either job is followed by BulkJob, and the inbox is read again when it completes.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BulkAction } from './api/client';
import { BulkJob } from './BulkJob';
import { BulkToolbar, type Submission, useSelection } from './BulkToolbar';
import { useLanguage, useMessagesOf } from './i18n';
import { AgreementCard } from './inbox/AgreementCard';
import { BulkVerify, EMPTY_DRAFT, type IncentiveDraft } from './inbox/BulkVerify';
import { EnrollmentCard } from './inbox/EnrollmentCard';
import { IncentiveCard } from './inbox/IncentiveCard';
import { byDeadline, INBOX_KEY, type InboxItem, useOtherItems, usePendingOpportunities } from './inbox/items';
import { INBOX_MESSAGES } from './inbox/messages';
import { SupplementCard } from './inbox/SupplementCard';
import { OpportunityCard } from './OpportunityCard';
import { PathReviewCard } from './inbox/PathReviewCard';
import type { IncentiveSummary } from './inbox/types';
import { useSession } from './session';
import { useNow } from './useNow';
import './inbox/inbox.css';

/** What a completed bulk job reads again: every kind of the inbox (the acted-on leave it) and the incentives' details. */
const BULK_REFRESH = [['opportunities'], [INBOX_KEY], ['incentive']];

export function Inbox() {
  const { messages } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api, claims } = useSession();
  const queryClient = useQueryClient();
  const now = useNow(30_000);
  const [announcement, setAnnouncement] = useState('');
  const [bulk, setBulk] = useState<{ job: BulkAction; submission: Submission }>();
  // What the partner typed in each incentive's card, by incentive id (read by the card and by the bulk verify).
  const [drafts, setDrafts] = useState<Readonly<Record<string, IncentiveDraft>>>({});
  const pending = usePendingOpportunities(api);
  const others = useOtherItems(api, claims);

  const listed = pending.data ?? [];
  const opportunities = useSelection(listed, (summary) => summary.id);
  const incentives: IncentiveSummary[] = others.items.flatMap((item) => (item.kind === 'incentive' ? [item.summary] : []));
  const incentiveSelection = useSelection(incentives, (summary) => summary.id);
  const submitted = (clear: () => void) => (job: BulkAction, submission: Submission) => {
    clear();
    setBulk({ job, submission });
  };
  const cardProps = (item: InboxItem): CardProps => {
    if (item.kind === 'opportunity') return { selected: opportunities.isChosen(item.summary.id), onSelect: (on) => opportunities.choose(item.summary.id, on) };
    if (item.kind !== 'incentive') return { selected: false, onSelect: () => undefined };
    const id = item.summary.id;
    return {
      selected: incentiveSelection.isChosen(id),
      onSelect: (on) => incentiveSelection.choose(id, on),
      draft: drafts[id] ?? EMPTY_DRAFT,
      onDraft: (draft) => setDrafts((current) => ({ ...current, [id]: draft })),
    };
  };
  // An item settled: said in the live region, and every kind read again (the settled item leaves the list).
  const done = (said: string) => {
    setAnnouncement(said);
    void queryClient.invalidateQueries({ queryKey: [INBOX_KEY] });
  };

  const items: InboxItem[] = [
    ...listed.map((summary): InboxItem => ({ kind: 'opportunity', key: `opportunity:${summary.id}`, deadline: summary.acceptDeadline, tieBreak: summary.sharedAt, summary })),
    ...others.items,
  ].sort(byDeadline);
  const failures = [...(pending.error ? [pending.error.message] : []), ...others.failures];
  const settled = !pending.isPending && !others.loading;

  return (
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">{messages.inboxTitle}</h2>
      <p className="help">{messages.inboxIntro}</p>
      <p role="status" className="announcement">
        {announcement}
      </p>
      {bulk && <BulkJob key={bulk.job.id} submitted={bulk.job} submission={bulk.submission} refresh={BULK_REFRESH} onDismiss={() => setBulk(undefined)} />}
      {!settled && <p>{messages.loading}</p>}
      {failures.map((failure) => (
        <p key={failure} role="alert" className="problem">
          {failure}
        </p>
      ))}
      {pending.data?.length === 0 && <p>{messages.empty}</p>}
      {listed.length > 0 && (
        <BulkToolbar items={listed} selected={opportunities.chosen} onSelectAll={opportunities.chooseAll} onSubmitted={submitted(opportunities.clear)} />
      )}
      {incentives.length > 0 && (
        <BulkVerify
          listed={incentives}
          selected={incentiveSelection.chosen}
          drafts={drafts}
          onSelectAll={incentiveSelection.chooseAll}
          onSubmitted={submitted(incentiveSelection.clear)}
        />
      )}
      {settled && items.length === 0 && <p>{words.inboxEmpty}</p>}
      {items.length > 0 && (
        <ul className="inbox" aria-label={words.listLabel}>
          {items.map((item) => (
            <li key={item.key}>
              <Item item={item} now={now} onDone={done} {...cardProps(item)} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A card's part in the bulk actions: whether it is selected, and an incentive's draft. */
type CardProps = { selected: boolean; onSelect: (on: boolean) => void; draft?: IncentiveDraft; onDraft?: (draft: IncentiveDraft) => void };
type ItemProps = { item: InboxItem; now: Date; onDone: (said: string) => void } & CardProps;

/** One item's card, by its kind. */
function Item({ item, now, onDone, selected, onSelect, draft, onDraft }: ItemProps) {
  const { claims } = useSession();
  switch (item.kind) {
    case 'opportunity':
      return <OpportunityCard summary={item.summary} now={now} onDone={onDone} selected={selected} onSelect={onSelect} />;
    case 'incentive':
      return <IncentiveCard summary={item.summary} now={now} onDone={onDone} selected={selected} onSelect={onSelect} draft={draft ?? EMPTY_DRAFT} onDraft={onDraft ?? (() => undefined)} />;
    case 'certification':
    case 'pathReview':
      return <SupplementCard item={item} now={now} onDone={onDone} />;
    case 'pathReviewWindow':
      return <PathReviewCard summary={item.summary} now={now} onDone={onDone} />;
    case 'agreement':
      return <AgreementCard agreement={item.agreement} inForce={item.inForce} partnerId={claims?.partnerId ?? ''} now={now} onDone={onDone} />;
    case 'enrollment':
      return <EnrollmentCard enrollment={item.enrollment} deadline={item.deadline} now={now} onDone={onDone} />;
  }
}
