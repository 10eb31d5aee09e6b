/**
 * A bulk job's progress and its result per item: GET /v1/bulk-actions/:id read every second until the job is
 * COMPLETED, the progress announced in a live region, and every item listed with its outcome — done, refused with
 * the reason in words, or failed. When the job completes, the lists it acted on are read again (`refresh`: the
 * decided ones leave them). The same for every kind of job: the inbox's opportunities and incentives, the reviewer
 * queue's decisions.
 */
import { type QueryKey, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId } from 'react';
import { type BulkAction, problemText } from './api/client';
import { outcomeText, resultKey } from './bulk-outcome';
import type { Submission } from './BulkToolbar';
import { useLanguage } from './i18n';
import { useSession } from './session';

type Props = { submitted: BulkAction; submission: Submission; refresh: readonly QueryKey[]; onDismiss: () => void };

export function BulkJob({ submitted, submission, refresh, onDismiss }: Props) {
  const { messages } = useLanguage();
  const words = messages.bulk;
  const { api } = useSession();
  const queryClient = useQueryClient();
  const titleId = useId();

  const job = useQuery({
    queryKey: ['bulk-action', submitted.id],
    queryFn: async () => {
      const { data, error, response } = await api.GET('/v1/bulk-actions/{id}', { params: { path: { id: submitted.id } } });
      if (!data) throw new Error(problemText(error, response.status));
      return data;
    },
    initialData: submitted,
    refetchInterval: (query) => (query.state.data?.status === 'COMPLETED' ? false : 1_000),
  });
  const view = job.data;
  const completed = view.status === 'COMPLETED';
  // The lists are read again once, when the job completes (the callers pass a constant list, so this runs once).
  useEffect(() => {
    if (completed) for (const queryKey of refresh) void queryClient.invalidateQueries({ queryKey });
  }, [completed, queryClient, refresh]);

  const settled = view.total - view.counts.PENDING;
  return (
    <section className="bulk-job" aria-labelledby={titleId} data-testid="bulk-job">
      <h3 id={titleId}>{words.title(view.kind)}</h3>
      <progress max={view.total} value={settled} aria-label={words.progressLabel} />
      <p role="status" aria-live="polite" className="bulk-progress" data-testid="bulk-progress">
        {completed ? words.completed(view.total, view.counts) : words.progress(settled, view.total, view.counts)}
      </p>
      {job.isError && (
        <p role="alert" className="problem">
          {job.error.message}
        </p>
      )}
      <ol className="bulk-results" aria-labelledby={titleId}>
        {view.results.map((result) => (
          <li key={result.index} data-outcome={result.outcome} className={`outcome-${result.outcome.toLowerCase()}`}>
            <span className="item-title">{submission.titles[resultKey(result)] ?? result.itemId}</span>
            {' — '}
            <span className="item-outcome">{outcomeText(result, view.kind, words)}</span>
          </li>
        ))}
      </ol>
      {completed && (
        <button type="button" className="secondary" onClick={onDismiss}>
          {words.dismiss}
        </button>
      )}
    </section>
  );
}
