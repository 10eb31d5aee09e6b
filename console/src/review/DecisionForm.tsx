/**
 * The decision, in business words: approve, reject with a reason, or request a supplement saying what is missing —
 * each kind offers the ones its decide route takes, and kinds.ts maps them to that route's body. The outcome (or the
 * refusal's own words, e.g. the item claimed by another reviewer) goes to the page's live region.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { type Decision, KINDS, type ReviewKind } from './kinds';
import { REVIEW_MESSAGES, refusalText } from './messages';
import { STATUS_WORDS, wordFor } from './words';

/** What an action came to, for the page's live region: done, or refused with the API's words. */
export type Outcome = { ok: boolean; text: string };

export function DecisionForm({ kind, id, onOutcome }: { kind: ReviewKind; id: string; onOutcome: (outcome: Outcome) => void }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const words = useMessagesOf(STATUS_WORDS);
  const { api } = useSession();
  const queryClient = useQueryClient();
  const noteId = useId();
  const [decision, setDecision] = useState<Decision>('APPROVE');
  const [note, setNote] = useState('');
  const decide = useMutation({
    mutationFn: ({ decision, note }: { decision: Decision; note: string }) => KINDS[kind].decide(api, id, decision, note.trim() || undefined),
    onSuccess: (status, sent) => {
      onOutcome({ ok: true, text: m.decided(m.decisions[sent.decision], wordFor(words.statuses, status)) });
      void queryClient.invalidateQueries({ queryKey: ['review-item', kind, id] });
      void queryClient.invalidateQueries({ queryKey: ['review-queue'] });
    },
    onError: (error) => onOutcome({ ok: false, text: refusalText(m, error) }),
  });
  const needsNote = decision !== 'APPROVE';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    decide.mutate({ decision, note });
  };
  return (
    <form className="review-decision" onSubmit={submit}>
      <fieldset>
        <legend>{m.decision}</legend>
        {KINDS[kind].decisions.map((option) => (
          <label key={option} className="decision-option">
            <input type="radio" name="decision" value={option} checked={decision === option} onChange={() => setDecision(option)} />
            {m.decisions[option]}
          </label>
        ))}
      </fieldset>
      <label htmlFor={noteId}>{m.noteFor[decision]}</label>
      <textarea id={noteId} rows={3} maxLength={2000} required={needsNote} value={note} onChange={(event) => setNote(event.target.value)} />
      <div className="actions">
        <button type="submit" className={decision === 'APPROVE' ? '' : 'danger'} disabled={decide.isPending}>
          {decide.isPending ? m.deciding : m.submitDecision(m.decisions[decision])}
        </button>
      </div>
    </form>
  );
}
