/**
 * The bulk toolbars' parts — the selection, select all, sending a job and its state — and the inbox's toolbar for
 * opportunities: select all, accept the selected, or reject them with one reason and note. A click sends
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

/** One click's request: its key, its body, and the titles the results will be shown with (the list forgets them), by resultKey. */
export type Submission = { key: string; body: BulkActionBody; titles: Record<string, string> };

/**
 * The ids a person ticked, and what that makes of a list: only those still listed count (one decided elsewhere leaves
 * the list and so the selection).
 */
export function useSelection<T>(listed: readonly T[], idOf: (item: T) => string) {
  const [ids, setIds] = useState<ReadonlySet<string>>(() => new Set());
  const chosen = listed.filter((item) => ids.has(idOf(item)));
  const choose = (id: string, on: boolean) =>
    setIds((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const chooseAll = (all: boolean) => setIds(new Set(all ? listed.map(idOf) : []));
  return { chosen, isChosen: (id: string) => ids.has(id), choose, chooseAll, clear: () => setIds(new Set()) };
}

/**
 * Sending one click's job: POST /v1/bulk-actions with the click's Idempotency-Key, retried with the same key — by
 * TanStack Query after no answer or a 5xx (up to 3 times), or by the Retry button (BulkSubmitState) after it gave up.
 */
export function useBulkSubmit(onSubmitted: (job: BulkAction, submission: Submission) => void) {
  const { api } = useSession();
  return useMutation({
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
    onSuccess: (job, submission) => onSubmitted(job, submission),
  });
}

/** A new click's submission: a fresh key, the body, and the selected items' titles. */
export const submissionOf = (body: BulkActionBody, titles: Record<string, string>): Submission => ({ key: newIdempotencyKey(), body, titles });

type Submit = ReturnType<typeof useBulkSubmit>;

/** While a job is sent: "submitting", or the failure with a Retry that sends the same submission (the same key). */
export function BulkSubmitState({ submit }: { submit: Submit }) {
  const { messages } = useLanguage();
  const words = messages.bulk;
  return (
    <>
      {submit.isPending && <span role="status">{words.submitting}</span>}
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
    </>
  );
}

/** 全选 / Select all: checked when every listed item is, indeterminate when some are. */
export function SelectAll({ total, selected, onSelectAll, disabled, label }: { total: number; selected: number; onSelectAll: (all: boolean) => void; disabled: boolean; label?: string }) {
  const { messages } = useLanguage();
  const box = useRef<HTMLInputElement>(null);
  const all = total > 0 && selected === total;
  // "Some but not all" is neither checked nor unchecked: the box says so (indeterminate is a property, not an attribute).
  useEffect(() => {
    if (box.current) box.current.indeterminate = selected > 0 && !all;
  }, [selected, all]);
  return (
    <label className="select-all">
      <input ref={box} type="checkbox" checked={all} onChange={(e) => onSelectAll(e.target.checked)} disabled={disabled} /> {label ?? messages.bulk.selectAll}
    </label>
  );
}

type Props = {
  items: readonly OpportunitySummary[];
  selected: readonly OpportunitySummary[];
  onSelectAll: (all: boolean) => void;
  onSubmitted: (job: BulkAction, submission: Submission) => void;
};

/** The inbox's opportunities: accept the selected, or reject them with one reason and note. */
export function BulkToolbar({ items, selected, onSelectAll, onSubmitted }: Props) {
  const { messages } = useLanguage();
  const words = messages.bulk;
  const [rejecting, setRejecting] = useState(false);
  const [reasonCode, setReasonCode] = useState<RejectReason>(REJECT_REASONS[0]);
  const [note, setNote] = useState('');
  const submit = useBulkSubmit((job, submission) => {
    setRejecting(false);
    setNote('');
    onSubmitted(job, submission);
  });

  const send = (body: BulkActionBody) => submit.mutate(submissionOf(body, Object.fromEntries(selected.map((summary) => [summary.id, summary.title]))));
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
      <SelectAll total={items.length} selected={selected.length} onSelectAll={onSelectAll} disabled={busy} />
      <span className="help">{words.selected(selected.length)}</span>
      <button type="button" onClick={acceptSelected} disabled={none || busy}>
        {words.acceptSelected(selected.length)}
      </button>
      <button type="button" className="secondary" onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting} disabled={none || busy}>
        {words.rejectSelected(selected.length)}
      </button>
      <BulkSubmitState submit={submit} />
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
