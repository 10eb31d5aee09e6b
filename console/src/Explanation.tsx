/** The deadline explanation, one click away: the days counted, the days skipped and why, provisional or not. */
import type { DeadlineExplanation } from './api/client';
import { formatDate, formatInZone, useLanguage } from './i18n';

export function Explanation({ explanation }: { explanation: DeadlineExplanation }) {
  const { language, messages } = useLanguage();
  return (
    <details className="explanation">
      <summary>{messages.explain}</summary>
      <div className="explanation-body">
        <p>{messages.explanationLead(explanation.workingDays, formatInZone(explanation.from, explanation.zone, language))}</p>
        <p>{messages.deadlineLine(formatInZone(explanation.deadline, explanation.zone, language))}</p>
        <p>{messages.calendarLine(explanation.calendar, explanation.calendarVersion)}</p>
        {explanation.provisional ? (
          <p className="provisional">
            <strong>{messages.provisional}</strong> {messages.provisionalNote(explanation.provisionalYears ?? [])}
          </p>
        ) : (
          <p>{messages.notProvisional}</p>
        )}
        <h5>{messages.skippedDays}</h5>
        {explanation.skippedDays.length === 0 ? (
          <p>{messages.noSkippedDays}</p>
        ) : (
          <ul className="skipped-days">
            {explanation.skippedDays.map((day) => (
              <li key={day.date}>
                {formatDate(day.date, language)} — {day.reason === 'HOLIDAY' ? messages.holiday(day.name) : messages.restDay}
              </li>
            ))}
          </ul>
        )}
        <h5>{messages.countedDays}</h5>
        <ul className="counted-days">
          {explanation.countedDays.map((day) => (
            <li key={day.date}>
              {formatDate(day.date, language)}
              {day.kind === 'MAKEUP_WORKDAY' ? ` — ${messages.makeupDay(day.name)}` : ''}
            </li>
          ))}
        </ul>
      </div>
    </details>
  );
}
