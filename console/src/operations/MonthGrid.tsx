/**
 * One month of the year view as a table, Monday first: each day's cell is coloured by its kind and labelled in words
 * (the date, the kind, the holiday's name, provisional or not), so that the colours are never the only carrier.
 */
import { DateTime, Info } from 'luxon';
import { formatDate, useLanguage, useMessagesOf } from '../i18n';
import { OPERATIONS_MESSAGES } from './messages';
import type { YearDay } from './year-days';

type Props = { year: number; month: number; days: readonly YearDay[]; provisional: boolean };

export function MonthGrid({ year, month, days, provisional }: Props) {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const { language } = useLanguage();
  const first = DateTime.utc(year, month, 1).setLocale(language);
  // Blank cells before the 1st (Monday first), then the days, cut into weeks.
  const cells: (YearDay | undefined)[] = [...Array.from({ length: first.weekday - 1 }, () => undefined), ...days];
  const weeks: (YearDay | undefined)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  const weekdays = Info.weekdays('short', { locale: language });
  const weekdayNames = Info.weekdays('long', { locale: language });

  return (
    <table className="month" data-month={month}>
      <caption>{first.toFormat(language === 'en' ? 'LLLL' : 'M月')}</caption>
      <thead>
        <tr>
          {weekdays.map((weekday, i) => (
            <th key={weekday} scope="col" abbr={weekdayNames[i]}>
              {weekday}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {weeks.map((week, w) => (
          <tr key={w}>
            {Array.from({ length: 7 }, (_, d) => {
              const day = week[d];
              if (!day) return <td key={d} />;
              const label = messages.dayLabel(formatDate(day.date, language), messages.dayKinds[day.kind], day.name, provisional);
              return (
                <td
                  key={d}
                  className={`day day-${day.kind}${provisional ? ' day-provisional' : ''}`}
                  data-date={day.date}
                  data-kind={day.kind}
                  data-name={day.name}
                  aria-label={label}
                  title={label}
                >
                  {Number(day.date.slice(8))}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
