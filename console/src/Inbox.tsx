/**
 * The partner inbox: everything that waits for this partner, in one list ordered by deadline, soonest first —
 * opportunities to accept, incentives to verify, supplements requested, agreements to sign, program invitations and
 * enrollments to confirm (inbox/items.ts). One list rather than one per kind, because the partner's question is "what
 * is due next", whatever the process: an incentive due tomorrow must not hide below three opportunities due next week. Each card says its kind, counts down
 * and acts in place; an action's outcome is announced in the one live region, and the item leaves the list when the
 * inbox is read again. The bulk toolbar acts on the opportunities among the items (the only kind with a bulk action
 * in the console so far).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { BulkAction } from './api/client';
import { BulkJob } from './BulkJob';
import { BulkToolbar, type Submission } from './BulkToolbar';
import { useLanguage, useMessagesOf } from './i18n';
import { AgreementCard } from './inbox/AgreementCard';
import { EnrollmentCard } from './inbox/EnrollmentCard';
import { IncentiveCard } from './inbox/IncentiveCard';
import { byDeadline, INBOX_KEY, type InboxItem, useOtherItems, usePendingOpportunities } from './inbox/items';
import { INBOX_MESSAGES } from './inbox/messages';
import { SupplementCard } from './inbox/SupplementCard';
import { OpportunityCard } from './OpportunityCard';
import { PathReviewCard } from './inbox/PathReviewCard';
import { useSession } from './session';
import './inbox/inbox.css';

/** The current time, renewed every `everyMs`, so that countdowns move while the page stays open. */
function useNow(everyMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function Inbox() {
  const { messages } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api, claims } = useSession();
  const queryClient = useQueryClient();
  const now = useNow(30_000);
  const [announcement, setAnnouncement] = useState('');
  // The ids the partner ticked; only those still listed count (one decided elsewhere leaves the list and the selection).
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [bulk, setBulk] = useState<{ job: BulkAction; submission: Submission }>();
  const pending = usePendingOpportunities(api);
  const others = useOtherItems(api, claims);

  const listed = pending.data ?? [];
  const chosen = listed.filter((summary) => selected.has(summary.id));
  const choose = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
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
      {bulk && <BulkJob key={bulk.job.id} submitted={bulk.job} submission={bulk.submission} onDismiss={() => setBulk(undefined)} />}
      {!settled && <p>{messages.loading}</p>}
      {failures.map((failure) => (
        <p key={failure} role="alert" className="problem">
          {failure}
        </p>
      ))}
      {pending.data?.length === 0 && <p>{messages.empty}</p>}
      {listed.length > 0 && (
        <BulkToolbar
          items={listed}
          selected={chosen}
          onSelectAll={(all) => setSelected(new Set(all ? listed.map((summary) => summary.id) : []))}
          onSubmitted={(job, submission) => {
            setSelected(new Set());
            setBulk({ job, submission });
          }}
        />
      )}
      {settled && items.length === 0 && <p>{words.inboxEmpty}</p>}
      {items.length > 0 && (
        <ul className="inbox" aria-label={words.listLabel}>
          {items.map((item) => (
            <li key={item.key}>
              <Item item={item} now={now} onDone={done} selected={item.kind === 'opportunity' && selected.has(item.summary.id)} onSelect={choose} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type ItemProps = { item: InboxItem; now: Date; onDone: (said: string) => void; selected: boolean; onSelect: (id: string, on: boolean) => void };

/** One item's card, by its kind. */
function Item({ item, now, onDone, selected, onSelect }: ItemProps) {
  const { claims } = useSession();
  switch (item.kind) {
    case 'opportunity':
      return <OpportunityCard summary={item.summary} now={now} onDone={onDone} selected={selected} onSelect={(on) => onSelect(item.summary.id, on)} />;
    case 'incentive':
      return <IncentiveCard summary={item.summary} now={now} onDone={onDone} />;
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
