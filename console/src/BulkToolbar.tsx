/**
 * The inbox's bulk toolbar: select all, accept the selected, or reject them with one reason and note. A click sends
 * POST /v1/bulk-actions with an Idempotency-Key of its own; a retry of that click — TanStack Query's automatic one
 * after no answer or a 5xx, or the Retry button after it gave up — sends the same key, so the API answers the one
 * job it recorded rather than starting a second (docs/bulk-actions.md).
 */
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type BulkAction, type BulkActionBody, type OpportunitySummary, problemText, REJECT_REASONS, type RejectReason } from './api/client';
import { newIdempotencyKey } from './bulk-outcome';
import { useLanguage } from './i18n';
import { RejectFields } from './RejectFields';
import { useSession } from './session';

/** One click's request: its key, its body, and the titles the results will be shown with (the inbox forgets them). */
export type Submission = { key: string; body: BulkActionBody; titles: Record<string, string> };

type Props = {
  items: readonly OpportunitySummary[];
  selected: readonly OpportunitySummary[];
  onSelectAll: (all: boolean) => void;
  onSubmitted: (job: BulkAction, submission: Submission) => void;
};

export function BulkToolbar({ items, selected, onSelectAll, onSubmitted }: Props) {
  const { messages } = useLanguage();
  const words = messages.bulk;
  const { api } = useSession();
  const [rejecting, setRejecting] = useState(false);
  const [reasonCode, setReasonCode] = useState<RejectReason>(REJECT_REASONS[0]);
  const [note, setNote] = useState('');
  const selectAll = useRef<HTMLInputElement>(null);

  const all = items.length > 0 && selected.length === items.length;
  // "Some but not all" is neither checked nor unchecked: the box says so (indeterminate is a property, not an attribute).
  useEffect(() => {
    if (selectAll.current) selectAll.current.indeterminate = selected.length > 0 && !all;
  }, [selected.length, all]);

  const submit = useMutation({
    mutationFn: async (submission: Submission) => {
      try {
        const { data, error, response } = await api.POST('/v1/bulk-actions', { params: { header: { 'Idempotency-Key': submission.key } }, body: submission.body });
        if (!data) throw new ApiError(problemText(error, response.status), response.status);
        return data;
      } catch (error) {
        // No answer at all (the network, or the API restarting) is transient too: worth the same click again.
        throw error instanceof ApiError ? error : new ApiError(error instanceof Error ? error.message : String(error), undefined);
      }
    },
    retry: (failures, error) => failures < 3 && error instanceof ApiError && error.transient,
    onSuccess: (job, submission) => {
      setRejecting(false);
      setNote('');
      onSubmitted(job, submission);
    },
  });

  const send = (body: BulkActionBody) => {
    const titles = Object.fromEntries(selected.map((summary) => [summary.id, summary.title]));
    submit.mutate({ key: newIdempotencyKey(), body, titles });
  };
  const acceptSelected = () => send({ kind: 'opportunity.accept', items: selected.map((summary) => ({ opportunityId: summary.id })) });
  const rejectSelected = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = note.trim();
    send({ kind: 'opportunity.reject', items: selected.map((summary) => ({ opportunityId: summary.id, reasonCode, ...(trimmed ? { note: trimmed } : {}) })) });
  };
  const busy = submit.isPending;
  const none = selected.length === 0;

  return (
    <div className="bulk-toolbar" role="group" aria-label={words.selected(selected.length)}>
      <label className="select-all">
        <input ref={selectAll} type="checkbox" checked={all} onChange={(e) => onSelectAll(e.target.checked)} disabled={busy} /> {words.selectAll}
      </label>
      <span className="help">{words.selected(selected.length)}</span>
      <button type="button" onClick={acceptSelected} disabled={none || busy}>
        {words.acceptSelected(selected.length)}
      </button>
      <button type="button" className="secondary" onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting} disabled={none || busy}>
        {words.rejectSelected(selected.length)}
      </button>
      {busy && <span role="status">{words.submitting}</span>}
      {submit.error && (
        <p role="alert" className="problem">
          {words.submitFailed(submit.error.message)}{' '}
          {submit.variables && (
            <button type="button" className="secondary" onClick={() => submit.mutate(submit.variables)}>
              {words.retry}
            </button>
          )}
        </p>
      )}
      {rejecting && !none && (
        <form className="reject" onSubmit={rejectSelected}>
          <RejectFields reasonCode={reasonCode} onReasonCode={setReasonCode} note={note} onNote={setNote} />
          <div className="actions">
            <button type="submit" className="danger" disabled={busy}>
              {words.confirmRejectSelected(selected.length)}
            </button>
            <button type="button" className="secondary" onClick={() => setRejecting(false)}>
              {messages.cancel}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
