/**
 * When a review is due: the time in the partner's zone, the working time left (counted from the deadline's own
 * explanation, console/src/working-time.ts — so only where the detail route gives one), the explanation one click
 * away, and an overdue mark.
 */
import { Explanation } from '../Explanation';
import { formatInZone, useLanguage, useMessagesOf } from '../i18n';
import { workingTimeLeft } from '../working-time';
import type { DeadlineExplanation } from './kinds';
import { REVIEW_MESSAGES } from './messages';

export function DueTime({
  dueAt,
  zone,
  explanation,
  now,
  overdue: overdueByApi,
}: {
  dueAt: string | null;
  zone: string;
  explanation: DeadlineExplanation | null | undefined;
  now: Date;
  /** The API's word on it, where the queue gave one; else the page's clock decides. */
  overdue?: boolean;
}) {
  const m = useMessagesOf(REVIEW_MESSAGES);
  const { language } = useLanguage();
  if (!dueAt) return <span className="help">{m.noDue}</span>;
  const overdue = overdueByApi ?? Date.parse(dueAt) <= now.getTime();
  return (
    <span className="due-time">
      <span className="deadline">{formatInZone(dueAt, zone, language)}</span>
      {overdue ? (
        <strong className="overdue-mark">{m.overdue}</strong>
      ) : (
        explanation && (
          <span className="countdown" data-testid="countdown">
            {m.countdown(workingTimeLeft(explanation, now))}
          </span>
        )
      )}
      {explanation && <Explanation explanation={explanation} />}
    </span>
  );
}
