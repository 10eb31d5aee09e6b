/**
 * The reviewer queue: every item the caller may decide (the API lists only the kinds whose decide permission the
 * caller holds), soonest review due first as the API orders it, filtered by kind and by claim. Each shows its kind
 * and subject in business words, the partner, when it was submitted and when its review is due — in the partner's
 * zone, with the working time left and the deadline's explanation where the item's detail route gives one —
 * overdue marked, and who has claimed it with the claim's actions. A box per item and select all lead to the bulk
 * decisions (BulkDecide), whose job is followed here (BulkJob) and reads the queue again when it completes.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'wouter';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import type { BulkAction } from '../api/client';
import { BulkJob } from '../BulkJob';
import { type Submission, useSelection } from '../BulkToolbar';
import { useSession } from '../session';
import { BulkDecide, queueKey } from './BulkDecide';
import { useCertificationNames } from './catalog';
import { ClaimActions } from './ClaimActions';
import type { Outcome } from './DecisionForm';
import { DueTime } from './DueTime';
import { isReviewKind, KINDS, REVIEW_KINDS, type ReviewKind } from './kinds';
import { REVIEW_MESSAGES } from './messages';
import { CLAIM_FILTERS, type ClaimFilter, readQueue, type ReviewQueueItem, subjectText } from './queue';
import { useNow } from '../useNow';

type RowProps = { item: ReviewQueueItem; now: Date; onOutcome: (outcome: Outcome) => void; selected: boolean; onSelect: (on: boolean) => void };

function QueueRow({ item, now, onOutcome, selected, onSelect }: RowProps) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const { language } = useLanguage();
  const { api } = useSession();
  const kind: ReviewKind = item.kind;
  const headingId = useId();
  // The item's detail (shared with its page's cache) gives the partner's zone and the deadline's explanation.
  const detail = useQuery({ queryKey: ['review-item', kind, item.id], queryFn: () => KINDS[kind].load(api, item.id) });
  const zone = detail.data?.zone;
  const subject = subjectText(kind, item.subject, useCertificationNames());
  return (
    <article aria-labelledby={headingId} className={`card review-card${item.overdue ? ' overdue' : ''}`} data-item={`${kind}/${item.id}`}>
      {/* Beside the heading, not in it: the heading names the article, and the box's own label must not join that name. */}
      <input type="checkbox" className="select-item" checked={selected} onChange={(event) => onSelect(event.target.checked)} aria-label={m.select(m.bulkItemTitle(m.kinds[kind], subject, item.partnerId))} />
      <h3 id={headingId}>
        <span className="kind-badge">{m.kinds[kind]}</span>{' '}
        <Link href={`/${kind}/${encodeURIComponent(item.id)}`}>{subject}</Link>
      </h3>
      <dl>
        <dt>{m.partner}</dt>
        <dd data-fact="partner">{item.partnerId}</dd>
        <dt>{m.submittedAt}</dt>
        <dd>{zone ? formatInZone(item.submittedAt, zone, language) : m.loading}</dd>
        <dt>{m.reviewDue}</dt>
        <dd data-fact="due">
          {item.reviewDueAt && !zone ? (
            m.loading
          ) : (
            <DueTime dueAt={item.reviewDueAt} zone={zone ?? 'UTC'} explanation={detail.data?.deadlineExplanation} now={now} overdue={item.overdue} />
          )}
        </dd>
      </dl>
      <ClaimActions item={item} subject={subject} onOutcome={onOutcome} />
    </article>
  );
}

/** What a completed bulk decision reads again: the queue (the decided leave it) and the items' own details. */
const BULK_REFRESH = [['review-queue'], ['review-item']];

export function QueueList() {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const { api } = useSession();
  const now = useNow(30_000);
  const kindId = useId();
  const claimId = useId();
  const partnerId = useId();
  const partnerHelpId = useId();
  const [kind, setKind] = useState<ReviewKind | ''>('');
  // One partner's items (the API's partnerId filter): typed, then applied with the form, not on every keystroke.
  const [partnerDraft, setPartnerDraft] = useState('');
  const [partner, setPartner] = useState('');
  const [claim, setClaim] = useState<ClaimFilter>('any');
  const [outcome, setOutcome] = useState<Outcome>();
  const queue = useInfiniteQuery({
    queryKey: ['review-queue', 'list', kind, claim, partner],
    queryFn: ({ pageParam }) => readQueue(api, { ...(kind ? { kind } : {}), claim, ...(partner ? { partnerId: partner } : {}), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: 60_000,
  });
  const items = queue.data?.pages.flatMap((page) => page.items) ?? [];
  const selection = useSelection(items, queueKey);
  const [bulk, setBulk] = useState<{ job: BulkAction; submission: Submission }>();
  const claimLabel: Record<ClaimFilter, string> = { any: m.claimAny, mine: m.claimMine, unclaimed: m.claimUnclaimed, others: m.claimOthers };

  return (
    <section aria-labelledby="review-queue-title" className="review-queue">
      <h2 id="review-queue-title">{m.title}</h2>
      <p className="help">{m.intro}</p>
      <form
        className="review-filters"
        aria-label={m.filters}
        onSubmit={(event) => {
          event.preventDefault();
          setPartner(partnerDraft.trim());
        }}
      >
        <label htmlFor={kindId}>{m.kindFilter}</label>
        <select id={kindId} value={kind} onChange={(event) => setKind(isReviewKind(event.target.value) ? event.target.value : '')}>
          <option value="">{m.allKinds}</option>
          {REVIEW_KINDS.map((option) => (
            <option key={option} value={option}>
              {m.kinds[option]}
            </option>
          ))}
        </select>
        <label htmlFor={claimId}>{m.claimFilter}</label>
        <select id={claimId} value={claim} onChange={(event) => setClaim(CLAIM_FILTERS.find((option) => option === event.target.value) ?? 'any')}>
          {CLAIM_FILTERS.map((option) => (
            <option key={option} value={option}>
              {claimLabel[option]}
            </option>
          ))}
        </select>
        <label htmlFor={partnerId}>{m.partnerFilter}</label>
        <input id={partnerId} type="search" value={partnerDraft} onChange={(event) => setPartnerDraft(event.target.value)} aria-describedby={partnerHelpId} placeholder="P-1" size={14} />
        <span id={partnerHelpId} className="visually-hidden">
          {m.partnerFilterHelp}
        </span>
        <button type="submit" className="secondary">
          {m.applyFilter}
        </button>
      </form>
      <p role="status" className={outcome?.ok === false ? 'problem' : 'announcement'}>
        {outcome?.text ?? ''}
      </p>
      {bulk && <BulkJob key={bulk.job.id} submitted={bulk.job} submission={bulk.submission} refresh={BULK_REFRESH} onDismiss={() => setBulk(undefined)} />}
      {items.length > 0 && (
        <BulkDecide
          listed={items}
          selected={selection.chosen}
          onSelectAll={selection.chooseAll}
          onSubmitted={(job, submission) => {
            selection.clear();
            setBulk({ job, submission });
          }}
        />
      )}
      {queue.isPending && <p>{m.loading}</p>}
      {queue.isError && (
        <p role="alert" className="problem">
          {m.loadFailed(queue.error.message)}
        </p>
      )}
      {queue.isSuccess && items.length === 0 && <p>{m.empty}</p>}
      {items.length > 0 && (
        <ul className="review-list" aria-label={m.title}>
          {items.map((item) => (
            <li key={`${item.kind}/${item.id}`}>
              <QueueRow item={item} now={now} onOutcome={setOutcome} selected={selection.isChosen(queueKey(item))} onSelect={(on) => selection.choose(queueKey(item), on)} />
            </li>
          ))}
        </ul>
      )}
      {queue.hasNextPage && (
        <button type="button" className="secondary" disabled={queue.isFetchingNextPage} onClick={() => void queue.fetchNextPage()}>
          {m.more}
        </button>
      )}
    </section>
  );
}
