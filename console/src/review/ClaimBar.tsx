/**
 * The claim of the item on its own page: the queue read for the item's kind and partner (GET /v1/review-queue has
 * no route for one item), and the same actions as in the list.
 */
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../session';
import { ClaimActions } from './ClaimActions';
import type { Outcome } from './DecisionForm';
import type { ReviewKind } from './kinds';
import { readQueue } from './queue';

export function ClaimBar({ kind, id, partnerId, subject, onOutcome }: { kind: ReviewKind; id: string; partnerId: string; subject: string; onOutcome: (outcome: Outcome) => void }) {
  const { api } = useSession();
  const queue = useQuery({ queryKey: ['review-queue', 'item', kind, partnerId], queryFn: () => readQueue(api, { kind, partnerId, limit: 100 }) });
  const item = queue.data?.items.find((candidate) => candidate.kind === kind && candidate.id === id);
  return item ? <ClaimActions item={item} subject={subject} onOutcome={onOutcome} /> : null;
}
