/**
 * Who reviews an item and the claim's actions: claim it (the reviewer takes it: while the claim holds, only they may
 * decide it), release it (the claimant, or whoever may assign), and — for those who may assign (`review.assign`) —
 * assign it to a reviewer by their id, replacing another's claim. Each outcome, or the refusal's own words (e.g.
 * claimed by another meanwhile), goes to the page's live region; the queue is then read again.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useMessagesOf } from '../i18n';
import { useSession } from '../session';
import type { ReviewKind } from './kinds';
import type { Outcome } from './DecisionForm';
import { REVIEW_MESSAGES, refusalText } from './messages';
import { assignItem, canAssign, claimItem, releaseItem, type ReviewQueueItem } from './queue';

export type { Outcome } from './DecisionForm';

export function ClaimActions({ item, subject, onOutcome }: { item: ReviewQueueItem; subject: string; onOutcome: (outcome: Outcome) => void }) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const { api, claims } = useSession();
  const queryClient = useQueryClient();
  const reviewerId = useId();
  const [assigning, setAssigning] = useState(false);
  const [reviewer, setReviewer] = useState('');
  const kind: ReviewKind = item.kind;
  const me = claims?.sub;
  const assigner = canAssign(claims);
  const settle = (text: string) => ({
    onSuccess: () => onOutcome({ ok: true, text }),
    onError: (error: Error) => onOutcome({ ok: false, text: refusalText(m, error) }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['review-queue'] }),
  });
  const claim = useMutation({ mutationFn: () => claimItem(api, kind, item.id), ...settle(m.claimed(subject)) });
  const release = useMutation({ mutationFn: () => releaseItem(api, kind, item.id), ...settle(m.released(subject)) });
  const assign = useMutation({
    mutationFn: (to: string) => assignItem(api, kind, item.id, to),
    onSuccess: (claim) => {
      setAssigning(false);
      setReviewer('');
      onOutcome({ ok: true, text: m.assigned(subject, claim.reviewer) });
    },
    onError: (error: Error) => onOutcome({ ok: false, text: refusalText(m, error) }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['review-queue'] }),
  });
  const busy = claim.isPending || release.isPending || assign.isPending;
  const mine = item.claim?.reviewer === me;
  const submitAssign = (event: FormEvent) => {
    event.preventDefault();
    if (reviewer.trim()) assign.mutate(reviewer.trim());
  };

  return (
    <div className="claim">
      <p className="claim-state" data-testid="claim-state">
        {!item.claim ? m.unclaimed : mine ? m.claimedByMe : m.claimedBy(item.claim.reviewer)}
        {item.claim?.assignedBy ? m.assignedBy(item.claim.assignedBy) : ''}
      </p>
      <div className="actions">
        {!item.claim && (
          <button type="button" disabled={busy} onClick={() => claim.mutate()}>
            {m.claim}
          </button>
        )}
        {item.claim && (mine || assigner) && (
          <button type="button" className="secondary" disabled={busy} onClick={() => release.mutate()}>
            {m.release}
          </button>
        )}
        {assigner && !assigning && (
          <button type="button" className="secondary" disabled={busy} onClick={() => setAssigning(true)}>
            {m.assign}
          </button>
        )}
      </div>
      {assigning && (
        <form className="assign" onSubmit={submitAssign}>
          <label htmlFor={reviewerId}>{m.assignTo}</label>
          <input id={reviewerId} required maxLength={200} value={reviewer} onChange={(event) => setReviewer(event.target.value)} />
          <div className="actions">
            <button type="submit" disabled={busy}>
              {m.confirmAssign}
            </button>
            <button type="button" className="secondary" onClick={() => setAssigning(false)}>
              {m.cancel}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
