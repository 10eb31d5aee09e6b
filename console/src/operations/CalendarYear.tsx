/**
 * A year of a business calendar: twelve months with every rest day, holiday (by name) and make-up working day, the
 * calendar's version, and — for a year the calendar has not published — the days its statutory rules give, marked
 * provisional (or, for a calendar that fails closed, why there is nothing to show). Every day comes from
 * GET /v1/calendars/:name/years/:year, which classifies it with the deadline arithmetic itself (year-days.ts).
 */
import { useQuery } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { useId } from 'react';
import { useLocation, useParams } from 'wouter';
import { formatDate, formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { useSession } from '../session';
import { MonthGrid } from './MonthGrid';
import { OPERATIONS_MESSAGES } from './messages';
import { dataOr, ProblemAlert } from './ProblemAlert';
import type { Calendar } from './types';
import { byMonth, namedRuns } from './year-days';

const DEFAULT_CALENDAR = 'CN';

/** The years offered: the published ones, the next one, and this year, wherever it falls. */
function yearsOffered(calendar: Calendar, thisYear: number): number[] {
  const first = Math.min(calendar.years.first, thisYear);
  const last = Math.max(calendar.years.last + 1, calendar.nextYear.year, thisYear);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

export function CalendarYear() {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const { language } = useLanguage();
  const { api } = useSession();
  const params = useParams<{ name?: string; year?: string }>();
  const [, navigate] = useLocation();
  const ids = { calendar: useId(), year: useId() };

  const list = useQuery({ queryKey: ['calendars'], queryFn: async () => dataOr(await api.GET('/v1/calendars')).items });
  const name = params.name ?? (list.data?.some((c) => c.name === DEFAULT_CALENDAR) ? DEFAULT_CALENDAR : list.data?.[0]?.name);
  const calendar = useQuery({
    queryKey: ['calendar', name],
    enabled: !!name,
    queryFn: async () => dataOr(await api.GET('/v1/calendars/{name}', { params: { path: { name: name! } } })),
  });
  const zone = calendar.data?.zone;
  const year = params.year && /^\d{4}$/.test(params.year) ? Number(params.year) : DateTime.now().setZone(zone ?? 'utc').year;
  // Keyed by the calendar's version too: a calendar changed meanwhile is read again.
  const yearDays = useQuery({
    queryKey: ['calendar-year', name, calendar.data?.version, year],
    enabled: !!calendar.data,
    retry: false,
    queryFn: async () => dataOr(await api.GET('/v1/calendars/{name}/years/{year}', { params: { path: { name: name!, year: String(year) } } })),
  });

  const days = yearDays.data?.days;
  const published = yearDays.data?.status === 'PUBLISHED';
  const provisional = yearDays.data?.status === 'PROVISIONAL';
  const go = (nextName: string, nextYear: number) => navigate(`/calendars/${nextName}/${nextYear}`);
  const runs = days ? namedRuns(days) : [];
  const range = (from: string, to: string) => (from === to ? formatDate(from, language) : `${formatDate(from, language)} – ${formatDate(to, language)}`);

  return (
    <section aria-labelledby="calendar-title" className="operations-section">
      <h3 id="calendar-title">{messages.calendarsTitle}</h3>
      {list.error && <ProblemAlert error={list.error} />}
      {list.data && calendar.data && (
        <div className="operations-form inline">
          <label htmlFor={ids.calendar}>{messages.calendarLabel}</label>
          <select id={ids.calendar} value={calendar.data.name} onChange={(e) => go(e.target.value, year)}>
            {list.data.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
          <label htmlFor={ids.year}>{messages.yearLabel}</label>
          <select id={ids.year} value={year} onChange={(e) => go(calendar.data.name, Number(e.target.value))}>
            {yearsOffered(calendar.data, DateTime.now().setZone(calendar.data.zone).year).map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        </div>
      )}
      {calendar.error && <ProblemAlert error={calendar.error} />}
      {calendar.data && (
        <div className="calendar-facts">
          <p className="calendar-version">
            <strong>{messages.versionLine(calendar.data.name, calendar.data.version)}</strong>{' '}
            {messages.changedLine(calendar.data.changedBy, formatInZone(calendar.data.changedAt, calendar.data.zone, language))}
          </p>
          <p>
            {messages.zoneLine(calendar.data.zone)} · {messages.coveredLine(calendar.data.years.first, calendar.data.years.last)} ·{' '}
            {messages.nextYear(calendar.data.nextYear.year, calendar.data.nextYear.status)}
          </p>
        </div>
      )}
      <h4 className="year-heading">
        {calendar.data ? `${calendar.data.name} ${year}` : year}
        {provisional && <strong className="provisional-mark"> {messages.provisional}</strong>}
      </h4>
      {(calendar.isPending || (yearDays.isPending && yearDays.fetchStatus !== 'idle')) && <p>{messages.loading}</p>}
      {published && <p className="help">{messages.publishedYear(year)}</p>}
      {provisional && <p className="provisional year-note">{messages.provisionalYear(year)}</p>}
      {yearDays.error && (
        <p role="alert" className="problem">
          {messages.notCoveredYear(year, yearDays.error.message)}
        </p>
      )}
      {days && (
        <>
          <ul className="legend" aria-label={messages.legend}>
            {(['WORKDAY', 'REST_DAY', 'HOLIDAY', 'MAKEUP_WORKDAY'] as const).map((kind) => (
              <li key={kind}>
                <span className={`swatch day-${kind}`} aria-hidden="true" /> {messages.dayKinds[kind]}
              </li>
            ))}
            {provisional && (
              <li>
                <span className="swatch day-provisional" aria-hidden="true" /> {messages.provisional}
              </li>
            )}
          </ul>
          <div className={`year-grid${provisional ? ' year-provisional' : ''}`} data-year={year} data-provisional={provisional}>
            {byMonth(days).map((month, index) => (
              <MonthGrid key={index} year={year} month={index + 1} days={month} provisional={provisional} />
            ))}
          </div>
          <h4>{messages.namedDaysTitle}</h4>
          {runs.length === 0 ? (
            <p>{messages.noNamedDays}</p>
          ) : (
            <ul className="named-days">
              {runs.map((run) => (
                <li key={run.from} data-kind={run.kind} data-from={run.from} data-to={run.to}>
                  {messages.namedRun(range(run.from, run.to), messages.dayKinds[run.kind], run.name, run.days)}
                  {provisional && <strong className="provisional-mark"> {messages.provisional}</strong>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
