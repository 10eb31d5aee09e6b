/**
 * One opportunity in the inbox: its working-time countdown in the partner's zone, the deadline explanation, and the
 * actions in place — accept, or reject with a reason. The explanation comes from GET /v1/opportunities/:id (the
 * list answers summaries without it).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { type OpportunitySummary, problemText, REJECT_REASONS, type RejectReason } from './api/client';
import { Explanation } from './Explanation';
import { formatInZone, useLanguage } from './i18n';
import { RejectFields } from './RejectFields';
import { useSession } from './session';
import { workingTimeLeft } from './working-time';

type Props = {
  summary: OpportunitySummary;
  now: Date;
  onDone: (announcement: string) => void;
  /** Ticked for a bulk action (the inbox's toolbar acts on every ticked card). */
  selected: boolean;
  onSelect: (selected: boolean) => void;
};

export function OpportunityCard({ summary, now, onDone, selected, onSelect }: Props) {
  const { language, messages } = useLanguage();
  const { api } = useSession();
  const queryClient = useQueryClient();
  const [rejecting, setRejecting] = useState(false);
  const [reasonCode, setReasonCode] = useState<RejectReason>(REJECT_REASONS[0]);
  const [note, setNote] = useState('');
  const titleId = useId();

  const detail = useQuery({
    queryKey: ['opportunity', summary.id],
    queryFn: async () => {
      const { data, error, response } = await api.GET('/v1/opportunities/{id}', { params: { path: { id: summary.id } } });
      if (!data) throw new Error(problemText(error, response.status));
      return data;
    },
  });

  const done = (announcement: string) => {
    onDone(announcement);
    void queryClient.invalidateQueries({ queryKey: ['opportunities'] });
    void queryClient.invalidateQueries({ queryKey: ['opportunity', summary.id] });
  };
  const accept = useMutation({
    mutationFn: async () => {
      const { data, error, response } = await api.POST('/v1/opportunities/{id}/accept', { params: { path: { id: summary.id } } });
      if (!data) throw new Error(problemText(error, response.status));
      return data;
    },
    onSuccess: (view) => done(messages.accepted(view.title)),
  });
  const reject = useMutation({
    mutationFn: async () => {
      const body = { reasonCode, ...(note.trim() ? { note: note.trim() } : {}) };
      const { data, error, response } = await api.POST('/v1/opportunities/{id}/reject', { params: { path: { id: summary.id } }, body });
      if (!data) throw new Error(problemText(error, response.status));
      return data;
    },
    onSuccess: (view) => done(messages.rejected(view.title)),
  });
  const submitReject = (event: FormEvent) => {
    event.preventDefault();
    reject.mutate();
  };

  const explanation = detail.data?.deadlineExplanation;
  const left = explanation ? workingTimeLeft(explanation, now) : undefined;
  const busy = accept.isPending || reject.isPending;
  const failure = accept.error ?? reject.error ?? detail.error;

  return (
    <article className="card inbox-item" aria-labelledby={titleId} data-kind="opportunity">
      <p className="kind">{messages.opportunitiesTitle}</p>
      <div className="card-head">
        <input type="checkbox" checked={selected} onChange={(e) => onSelect(e.target.checked)} aria-label={messages.bulk.select(summary.title)} />
        <h4 id={titleId}>{summary.title}</h4>
      </div>
      <dl>
        <dt>{messages.customer}</dt>
        <dd>{summary.customerName}</dd>
        {summary.estimatedAmount && (
          <>
            <dt>{messages.amount}</dt>
            <dd>
              {new Intl.NumberFormat(language, { style: 'currency', currency: summary.estimatedAmount.currency }).format(summary.estimatedAmount.minor / 100)}
            </dd>
          </>
        )}
        <dt>{messages.timeLeft}</dt>
        <dd className="countdown" data-testid="countdown">
          {left === undefined ? messages.loading : left > 0 ? messages.countdown(left) : messages.deadlinePassed}
        </dd>
        <dt>{messages.deadline}</dt>
        <dd>
          <span className="deadline">{formatInZone(summary.acceptDeadline, summary.zone, language)}</span>
          {/* A provisional deadline may still move (an unpublished holiday year): said beside it, not only in the explanation. */}
          {explanation?.provisional && <strong className="provisional-mark"> {messages.provisional}</strong>}
        </dd>
      </dl>
      {explanation && <Explanation explanation={explanation} />}
      {failure && (
        <p role="alert" className="problem">
          {failure.message}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={() => accept.mutate()} disabled={busy}>
          {messages.accept}
        </button>
        <button type="button" className="secondary" onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting} disabled={busy}>
          {messages.reject}
        </button>
      </div>
      {rejecting && (
        <form className="reject" onSubmit={submitReject}>
          <RejectFields reasonCode={reasonCode} onReasonCode={setReasonCode} note={note} onNote={setNote} />
          <div className="actions">
            <button type="submit" className="danger" disabled={busy}>
              {messages.confirmReject}
            </button>
            <button type="button" className="secondary" onClick={() => setRejecting(false)}>
              {messages.cancel}
            </button>
          </div>
        </form>
      )}
    </article>
  );
}
