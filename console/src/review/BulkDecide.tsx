/**
 * The reviewer queue's bulk decisions: select all, approve the selected, or reject them with one reason — one
 * `review.decide` job (POST /v1/bulk-actions) whose items are each kind's decide body, mapped by kinds.ts exactly as a
 * single decision is. The API decides each item as its single route does, so an item another reviewer claimed after
 * the page was read is refused on its own ("已由 X 认领") while the others are decided.
 */
import { type FormEvent, useId, useState } from 'react';
import type { BulkAction } from '../api/client';
import { BulkSubmitState, SelectAll, type Submission, submissionOf, useBulkSubmit } from '../BulkToolbar';
import { useLanguage, useMessagesOf } from '../i18n';
import { useCertificationNames } from './catalog';
import { type Decision, KINDS } from './kinds';
import { REVIEW_MESSAGES } from './messages';
import { type ReviewQueueItem, subjectText } from './queue';

type Props = {
  listed: readonly ReviewQueueItem[];
  selected: readonly ReviewQueueItem[];
  onSelectAll: (all: boolean) => void;
  onSubmitted: (job: BulkAction, submission: Submission) => void;
};

/** An item's key in the queue and in a job's results: its kind and id. */
export const queueKey = (item: Pick<ReviewQueueItem, 'kind' | 'id'>) => `${item.kind}/${item.id}`;

export function BulkDecide({ listed, selected, onSelectAll, onSubmitted }: Props) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const { messages } = useLanguage();
  const names = useCertificationNames();
  const reasonId = useId();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const submit = useBulkSubmit((job, submission) => {
    setRejecting(false);
    setReason('');
    onSubmitted(job, submission);
  });

  const send = (decision: Decision, note: string | undefined) => {
    // The titles the results are shown with: the kind, the subject in business words and the partner, as the queue shows them.
    const titles = Object.fromEntries(selected.map((item) => [queueKey(item), m.bulkItemTitle(m.kinds[item.kind], subjectText(item.kind, item.subject, names), item.partnerId)]));
    submit.mutate(submissionOf({ kind: 'review.decide', items: selected.map((item) => KINDS[item.kind].bulkItem(item.id, decision, note)) }, titles));
  };
  const rejectSelected = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim()) send('REJECT', reason.trim());
  };
  const busy = submit.isPending;
  const none = selected.length === 0;

  return (
    <div className="bulk-toolbar" role="group" aria-label={m.bulkActions(selected.length)}>
      <SelectAll total={listed.length} selected={selected.length} onSelectAll={onSelectAll} disabled={busy} />
      <span className="help">{messages.bulk.selected(selected.length)}</span>
      <button type="button" onClick={() => send('APPROVE', undefined)} disabled={none || busy}>
        {m.approveSelected(selected.length)}
      </button>
      <button type="button" className="secondary" onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting} disabled={none || busy}>
        {m.rejectSelected(selected.length)}
      </button>
      <BulkSubmitState submit={submit} />
      {rejecting && !none && (
        <form className="reject" onSubmit={rejectSelected}>
          <label htmlFor={reasonId}>{m.bulkRejectReason}</label>
          <textarea id={reasonId} rows={3} maxLength={2000} required value={reason} onChange={(event) => setReason(event.target.value)} />
          <div className="actions">
            <button type="submit" className="danger" disabled={busy}>
              {m.confirmRejectSelected(selected.length)}
            </button>
            <button type="button" className="secondary" onClick={() => setRejecting(false)}>
              {m.cancel}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
