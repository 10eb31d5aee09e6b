/**
 * An enrollment that waits for the partner: an invitation into a program to accept or decline before it expires, or
 * an approved enrollment to confirm before its confirmation deadline. Confirming joins the program and voids the
 * partner's unused vouchers, coupons and stored-value cards, so the card first shows exactly what would be voided
 * (GET …/voided-instruments-preview) and confirms with that list's hash: a list changed meanwhile is refused by the
 * API (409 voided-instruments-changed) rather than voiding what the partner never saw. The deadline counts down in
 * working time in the partner's zone, with the API's explanation of how it was counted (GET /v1/enrollments/:id).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { formatMinor } from './amount';
import { DeadlineFacts, DeadlineWhy } from './Deadline';
import { INBOX_MESSAGES } from './messages';
import { dataOf, failureText } from './refusals';
import type { EnrollmentSummary } from './types';

type Props = { enrollment: EnrollmentSummary; deadline: string; now: Date; onDone: (announcement: string) => void };

export function EnrollmentCard({ enrollment, deadline, now, onDone }: Props) {
  const { language } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const { api } = useSession();
  const id = useId();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [previewing, setPreviewing] = useState(false);
  const invited = enrollment.status === 'INVITED';
  const program = words.programs[enrollment.program] ?? enrollment.program;
  const title = invited ? words.invitationTitle(program) : words.confirmationTitle(program);
  const path = { params: { path: { id: enrollment.id } } };
  // The list names the deadline; the enrollment itself explains how it was counted (days skipped and why).
  const detail = useQuery({ queryKey: ['enrollment', enrollment.id], queryFn: async () => dataOf(await api.GET('/v1/enrollments/{id}', path)) });
  const explanation = detail.data?.deadlineExplanation ?? undefined;

  const accept = useMutation({
    mutationFn: async () => dataOf(await api.POST('/v1/enrollments/{id}/accept', { ...path, body: {} })),
    onSuccess: () => onDone(words.invitationAccepted(title)),
  });
  const decline = useMutation({
    mutationFn: async () => dataOf(await api.POST('/v1/enrollments/{id}/decline', { ...path, body: reason.trim() ? { reason: reason.trim() } : {} })),
    onSuccess: () => onDone(words.invitationDeclined(title)),
  });
  const preview = useQuery({
    queryKey: ['enrollment-preview', enrollment.id],
    enabled: previewing,
    queryFn: async () => dataOf(await api.GET('/v1/enrollments/{id}/voided-instruments-preview', path)),
  });
  const confirm = useMutation({
    mutationFn: async (instrumentsHash: string) => dataOf(await api.POST('/v1/enrollments/{id}/confirm', { ...path, body: { instrumentsHash } })),
    onSuccess: () => onDone(words.joined(title)),
  });
  const submitDecline = (event: FormEvent) => {
    event.preventDefault();
    decline.mutate();
  };

  const busy = accept.isPending || decline.isPending || confirm.isPending;
  const failure = accept.error ?? decline.error ?? confirm.error ?? preview.error ?? detail.error;
  return (
    <article className="card inbox-item" aria-labelledby={`${id}-title`} data-kind={invited ? 'invitation' : 'confirmation'}>
      <p className="kind">{invited ? words.kinds.invitation : words.kinds.confirmation}</p>
      <h4 id={`${id}-title`}>{title}</h4>
      <dl>
        {invited && (
          <>
            <dt>{words.invitedBy}</dt>
            <dd>{enrollment.requestedBy}</dd>
          </>
        )}
        {invited && enrollment.invitationNote && (
          <>
            <dt>{words.invitationNote}</dt>
            <dd className="request-note">{enrollment.invitationNote}</dd>
          </>
        )}
        <DeadlineFacts deadline={deadline} zone={enrollment.zone} now={now} explanation={explanation} />
      </dl>
      <DeadlineWhy explanation={explanation} />
      {failure && (
        <p role="alert" className="problem">
          {failureText(failure, words)}
        </p>
      )}
      {invited ? (
        <>
          <div className="actions">
            <button type="button" onClick={() => accept.mutate()} disabled={busy}>
              {words.acceptInvitation}
            </button>
            <button type="button" className="secondary" aria-expanded={declining} onClick={() => setDeclining(!declining)} disabled={busy}>
              {words.declineInvitation}
            </button>
          </div>
          {declining && (
            <form className="inbox-form" onSubmit={submitDecline}>
              <label htmlFor={`${id}-reason`}>{words.declineReason}</label>
              <textarea id={`${id}-reason`} rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
              <div className="actions">
                <button type="submit" className="danger" disabled={busy}>
                  {words.confirmDecline}
                </button>
                <button type="button" className="secondary" onClick={() => setDeclining(false)}>
                  {words.cancel}
                </button>
              </div>
            </form>
          )}
        </>
      ) : (
        <>
          <div className="actions">
            <button type="button" className="secondary" aria-expanded={previewing} onClick={() => setPreviewing(true)} disabled={previewing}>
              {words.previewVoided}
            </button>
          </div>
          {preview.data && (
            <div className="voided-preview">
              {preview.data.instruments.length === 0 ? (
                <p>{words.voidedNone}</p>
              ) : (
                <>
                  <p>{words.voidedLead(preview.data.instruments.length)}</p>
                  <ul>
                    {preview.data.instruments.map((instrument) => (
                      <li key={`${instrument.kind}:${instrument.id}`}>
                        {words.instrumentKinds[instrument.kind] ?? instrument.kind} {instrument.id} — {instrument.issuer} —{' '}
                        {formatMinor(instrument.amount.minor, instrument.amount.currency, language)}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              <div className="actions">
                <button type="button" onClick={() => confirm.mutate(preview.data.instrumentsHash)} disabled={busy}>
                  {words.confirmJoin}
                </button>
              </div>
            </div>
          )}
        </>
      )}
    </article>
  );
}
