/**
 * A month's incentive generation (GET /v1/admin/incentive-runs/:period): partners processed of those in scope, as a
 * progress bar and counts — succeeded, failed, waiting — read again every second until the run completes. The run is
 * picked from the recent ones (GET /v1/admin/incentive-runs, newest period first) or by typing a month, which may
 * not have run yet: a caller who may run it (incentive.run) can start or join the month's run from here
 * (POST /v1/admin/incentive-runs).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type FormEvent, useId, useState } from 'react';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { OPERATIONS_MESSAGES } from './messages';
import { may } from './permissions';
import { useMe } from '../me';
import { dataOr, ProblemAlert } from './ProblemAlert';
import type { IncentiveRun } from './types';

/** How many recent runs the picker offers: two years of monthly runs. */
const RECENT_RUNS = 24;

/** Periods are months in the vendor's zone (domain/period.ts counts them in Asia/Shanghai). */
const VENDOR_ZONE = 'Asia/Shanghai';

export function IncentiveRunProgress() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const { language } = useLanguage();
  const { api } = useSession();
  const me = useMe().data;
  const queryClient = useQueryClient();
  const periodId = useId();
  const pickId = useId();
  const [period, setPeriod] = useState(() => DateTime.now().setZone(VENDOR_ZONE).minus({ months: 1 }).toFormat('yyyy-MM'));
  const [shown, setShown] = useState<string>();

  const run = useQuery({
    queryKey: ['incentive-run', shown],
    enabled: !!shown,
    queryFn: async (): Promise<IncentiveRun | null> => {
      const result = await api.GET('/v1/admin/incentive-runs/{period}', { params: { path: { period: shown! } } });
      return result.response.status === 404 ? null : dataOr(result);
    },
    refetchInterval: (query) => (query.state.data && query.state.data.status !== 'COMPLETED' ? 1000 : false),
  });
  // The recent runs, read again every few seconds while one of them is still going.
  const recent = useQuery({
    queryKey: ['incentive-runs'],
    queryFn: async () => dataOr(await api.GET('/v1/admin/incentive-runs', { params: { query: { limit: RECENT_RUNS } } })).items,
    refetchInterval: (query) => (query.state.data?.some((item) => item.status !== 'COMPLETED') ? 5000 : false),
  });
  const start = useMutation({
    mutationFn: async (month: string) => dataOr(await api.POST('/v1/admin/incentive-runs', { body: { period: month } })),
    onSuccess: (view) => {
      queryClient.setQueryData(['incentive-run', view.period], view);
      void queryClient.invalidateQueries({ queryKey: ['incentive-runs'] });
    },
  });

  const showPeriod = (month: string) => {
    start.reset();
    setShown(month);
    void queryClient.invalidateQueries({ queryKey: ['incentive-run', month] });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    showPeriod(period);
  };
  const pick = (month: string) => {
    if (!month) return;
    setPeriod(month);
    showPeriod(month);
  };
  const view = run.data;
  const at = (instant: string) => formatInZone(instant, VENDOR_ZONE, language);

  return (
    <section aria-labelledby="incentive-runs-title" className="operations-subsection">
      <h4 id="incentive-runs-title">{messages.incentiveRunsTitle}</h4>
      {recent.error && <ProblemAlert error={recent.error} />}
      {recent.data && recent.data.length === 0 && <p className="help">{messages.noRunsYet}</p>}
      {recent.data && recent.data.length > 0 && (
        <div className="operations-form inline">
          <label htmlFor={pickId}>{messages.recentRuns}</label>
          <select id={pickId} className="recent-runs" value={recent.data.some((item) => item.period === shown) ? shown : ''} onChange={(e) => pick(e.target.value)}>
            <option value="">{messages.pickRun}</option>
            {recent.data.map((item) => (
              <option key={item.period} value={item.period} data-status={item.status}>
                {messages.runOption(item.period, messages.runStatuses[item.status], item.partners.done, item.partners.total)}
              </option>
            ))}
          </select>
        </div>
      )}
      <form className="operations-form inline" onSubmit={submit}>
        {recent.data && recent.data.length > 0 && <span className="help">{messages.orMonth}</span>}
        <label htmlFor={periodId}>{messages.period}</label>
        <input id={periodId} type="month" required value={period} onChange={(e) => setPeriod(e.target.value)} />
        <button type="submit">{messages.show}</button>
      </form>
      {run.error && <ProblemAlert error={run.error} />}
      {start.error && <ProblemAlert error={start.error} />}
      {shown && run.isPending && <p>{messages.loading}</p>}
      {shown && view === null && (
        <>
          <p>{messages.noRun(shown)}</p>
          {may(me, 'incentive.run') ? (
            <button type="button" onClick={() => start.mutate(shown)} disabled={start.isPending}>
              {messages.runNow(shown)}
            </button>
          ) : (
            <p className="help">{messages.runNotAllowed}</p>
          )}
        </>
      )}
      {view && (
        <div className="run-progress incentive-run" data-period={view.period} data-status={view.status}>
          <p>{messages.runStatusLine(messages.runStatuses[view.status], view.runs)}</p>
          <progress max={Math.max(view.partners.total, 1)} value={view.partners.total === 0 ? 1 : view.partners.done} aria-label={messages.incentiveProgressLabel(view.period)} />
          <p role="status" className="run-counts">
            {messages.partnersProgress(view.partners.done, view.partners.total)} —{' '}
            {messages.partnerCounts(view.partners.done - view.partners.failed, view.partners.failed, view.partners.total - view.partners.done)}
          </p>
          <ul className="run-facts">
            <li className="incentives-generated">{messages.incentivesGenerated(view.incentivesGenerated)}</li>
            {view.requestedBy && <li>{messages.requestedBy(view.requestedBy)}</li>}
            {view.startedAt && <li>{messages.startedAt(at(view.startedAt))}</li>}
            {view.finishedAt && <li>{messages.finishedAt(at(view.finishedAt))}</li>}
          </ul>
          {view.failures.length > 0 && (
            <>
              <h5>{messages.failures}</h5>
              <ul className="run-failures">
                {view.failures.map((failure) => (
                  <li key={failure.partnerId}>
                    {failure.partnerId} — {failure.code}: {failure.message}
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
