/**
 * A development path's annual review cycle (GET /v1/admin/path-reviews/:pathId/:year): members whose review opened of
 * the path's members, as a progress bar, and the cycle's reviews counted by status (GET /v1/path-reviews, page by
 * page). A caller who may run cycles (pathReview.run) can start or join one from here.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type FormEvent, useId, useState } from 'react';
import { useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { OPERATIONS_MESSAGES } from './messages';
import { may } from './permissions';
import { useMe } from '../me';
import { dataOr, ProblemAlert } from './ProblemAlert';
import type { PathReviewCycle, PathReviewStatus } from './types';

/** Pages of 100 read to count the reviews by status; a cycle larger than this says it counted the first ones only. */
const MAX_PAGES = 10;
const STATUS_ORDER: PathReviewStatus[] = ['OPEN', 'APPLIED', 'SUBMITTED', 'SUPPLEMENT_REQUESTED', 'PASSED', 'FAILED', 'LAPSED'];

export function PathReviewProgress() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const { api } = useSession();
  const me = useMe().data;
  const queryClient = useQueryClient();
  const ids = { path: useId(), year: useId() };
  const [pathId, setPathId] = useState('');
  const [year, setYear] = useState(() => String(DateTime.now().year));
  const [shown, setShown] = useState<{ pathId: string; year: number }>();

  const paths = useQuery({ queryKey: ['paths'], queryFn: async () => dataOr(await api.GET('/v1/paths')).items });
  const chosenPath = pathId || paths.data?.[0]?.id || '';
  const cycle = useQuery({
    queryKey: ['path-review-cycle', shown?.pathId, shown?.year],
    enabled: !!shown,
    queryFn: async (): Promise<PathReviewCycle | null> => {
      const result = await api.GET('/v1/admin/path-reviews/{pathId}/{year}', { params: { path: { pathId: shown!.pathId, year: shown!.year } } });
      return result.response.status === 404 ? null : dataOr(result);
    },
    refetchInterval: (query) => (query.state.data && query.state.data.status !== 'COMPLETED' ? 1000 : false),
  });
  const byStatus = useQuery({
    queryKey: ['path-reviews-by-status', shown?.pathId, shown?.year, cycle.data?.reviewsStarted],
    enabled: !!cycle.data,
    queryFn: async () => {
      const counts = new Map<PathReviewStatus, number>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const query = { pathId: shown!.pathId, year: shown!.year, limit: 100, ...(cursor ? { cursor } : {}) };
        const page = dataOr(await api.GET('/v1/path-reviews', { params: { query } }));
        for (const review of page.items) counts.set(review.status, (counts.get(review.status) ?? 0) + 1);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && ++pages < MAX_PAGES);
      return { counts, truncated: !!cursor };
    },
  });
  const start = useMutation({
    mutationFn: async (which: { pathId: string; year: number }) => dataOr(await api.POST('/v1/admin/path-reviews', { body: which })),
    onSuccess: (view) => queryClient.setQueryData(['path-review-cycle', view.pathId, view.year], view),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.reset();
    setShown({ pathId: chosenPath, year: Number(year) });
  };
  const view = cycle.data;

  return (
    <section aria-labelledby="path-reviews-title" className="operations-subsection">
      <h4 id="path-reviews-title">{messages.pathReviewsTitle}</h4>
      {paths.error && <ProblemAlert error={paths.error} />}
      <form className="operations-form inline" onSubmit={submit}>
        <label htmlFor={ids.path}>{messages.path}</label>
        <select id={ids.path} value={chosenPath} onChange={(e) => setPathId(e.target.value)}>
          {(paths.data ?? []).map((path) => (
            <option key={path.id} value={path.id}>
              {path.name} ({path.id})
            </option>
          ))}
        </select>
        <label htmlFor={ids.year}>{messages.year}</label>
        <input id={ids.year} type="number" min={2000} max={9999} required value={year} onChange={(e) => setYear(e.target.value)} />
        <button type="submit" disabled={!chosenPath}>
          {messages.show}
        </button>
      </form>
      {cycle.error && <ProblemAlert error={cycle.error} />}
      {start.error && <ProblemAlert error={start.error} />}
      {shown && cycle.isPending && <p>{messages.loading}</p>}
      {shown && view === null && (
        <>
          <p>{messages.noCycle(shown.pathId, shown.year)}</p>
          {may(me, 'pathReview.run') ? (
            <button type="button" onClick={() => start.mutate(shown)} disabled={start.isPending}>
              {messages.startCycle(shown.pathId, shown.year)}
            </button>
          ) : (
            <p className="help">{messages.cycleNotAllowed}</p>
          )}
        </>
      )}
      {view && (
        <div className="run-progress path-review-cycle" data-path={view.pathId} data-year={view.year} data-status={view.status}>
          <p>{messages.runStatusLine(messages.runStatuses[view.status], view.runs)}</p>
          <progress max={Math.max(view.members.total, 1)} value={view.members.total === 0 ? 1 : view.members.done} aria-label={messages.cycleProgressLabel(view.pathId, view.year)} />
          <p role="status" className="run-counts">
            {messages.membersProgress(view.members.done, view.members.total)}
          </p>
          <ul className="run-facts">
            <li>{messages.reviewsStarted(view.reviewsStarted)}</li>
            {view.windowWorkingDays !== null && <li>{messages.windowLine(view.windowWorkingDays)}</li>}
          </ul>
          {byStatus.error && <ProblemAlert error={byStatus.error} />}
          {byStatus.data && (
            <>
              <h5>
                {messages.reviewsByStatus}
                {byStatus.data.truncated && messages.moreThan(MAX_PAGES * 100)}
              </h5>
              <ul className="status-counts">
                {STATUS_ORDER.map((status) => (
                  <li key={status} data-status={status}>
                    {messages.reviewStatuses[status]}: {byStatus.data.counts.get(status) ?? 0}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}
