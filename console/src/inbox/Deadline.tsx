/**
 * An item's deadline as the inbox shows it: the time left (working time when the API explains the deadline in
 * working days, calendar time for a contract date), the instant in the partner's zone with the provisional mark, and
 * the explanation one click away.
 */
import type { DeadlineExplanation } from '../api/client';
import { Explanation } from '../Explanation';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { workingTimeLeft } from '../working-time';
import { INBOX_MESSAGES } from './messages';

type Props = {
  deadline: string;
  zone: string;
  now: Date;
  /** The API's explanation of a deadline counted in working days; undefined while it loads. */
  explanation?: DeadlineExplanation | undefined;
  /** A deadline in calendar days (a contract date, or one the API does not explain): calendar time left. */
  calendar?: boolean;
};

/** The `<dt>`/`<dd>` pairs of the card's facts; the explanation goes below the list (DeadlineWhy). */
export function DeadlineFacts({ deadline, zone, now, explanation, calendar = false }: Props) {
  const { language, messages } = useLanguage();
  const words = useMessagesOf(INBOX_MESSAGES);
  const left = calendar ? Math.max(0, Date.parse(deadline) - now.getTime()) : explanation ? workingTimeLeft(explanation, now) : undefined;
  const countdown = calendar ? words.calendarCountdown : messages.countdown;
  return (
    <>
      <dt>{calendar ? words.timeLeft : messages.timeLeft}</dt>
      <dd className="countdown" data-testid="countdown">
        {left === undefined ? messages.loading : left > 0 ? countdown(left) : messages.deadlinePassed}
      </dd>
      <dt>{messages.deadline}</dt>
      <dd>
        <span className="deadline">{formatInZone(deadline, zone, language)}</span>
        {explanation?.provisional && <strong className="provisional-mark"> {messages.provisional}</strong>}
      </dd>
    </>
  );
}

/** The explanation, one click away, where the API gives one. */
export function DeadlineWhy({ explanation }: { explanation: DeadlineExplanation | null | undefined }) {
  return explanation ? <Explanation explanation={explanation} /> : null;
}
