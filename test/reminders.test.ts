/** domain/reminders.ts: the reminders of a moved deadline, table-driven (pure: no server, no database). */
import { describe, expect, it } from 'vitest';
import { planReminders } from '../domain/reminders.js';

const H = 3600 * 1000;
const NOW = Date.parse('2027-03-10T08:00:00.000Z');
const iso = (hoursFromNow: number) => new Date(NOW + hoursFromNow * H).toISOString();
/** Path review's pair, 10 and 3 working days before the end; `at` in hours from now. */
const pair = (at10: number, at3: number) => [
  { days: 10, at: iso(at10) },
  { days: 3, at: iso(at3) },
];

describe('planReminders: reminders belong to the deadline', () => {
  it.each([
    { when: 'all ahead: each waits for its time', reminders: pair(24, 200), deadline: 300, sent: [false, false] },
    { when: 'the earlier passed, the later ahead: the passed one goes out at once', reminders: pair(-24, 200), deadline: 300, sent: [false, false] },
    { when: 'both passed: only the latest-due goes out, the earlier is skipped', reminders: pair(-200, -24), deadline: 300, sent: [true, false] },
    { when: 'both passed, listed latest first: still the latest-due one', reminders: pair(-24, -200), deadline: 300, sent: [false, true] },
    { when: 'a reminder due exactly now counts as passed', reminders: pair(-200, 0), deadline: 300, sent: [true, false] },
    { when: 'the deadline has passed: nothing goes out', reminders: pair(-200, -24), deadline: -1, sent: [true, true] },
    { when: 'the deadline is now: nothing goes out', reminders: pair(-200, -24), deadline: 0, sent: [true, true] },
    { when: 'one reminder, passed: it goes out at once', reminders: [{ at: iso(-5) }], deadline: 48, sent: [false] },
    { when: 'one reminder, ahead: it waits', reminders: [{ at: iso(5) }], deadline: 48, sent: [false] },
    { when: 'no reminders (a window too short for them)', reminders: [], deadline: 48, sent: [] },
  ])('$when', ({ reminders, deadline, sent }) => {
    const planned = planReminders(reminders as { at: string }[], iso(deadline), NOW);
    expect(planned.map((r) => r.sent)).toEqual(sent);
    expect(planned.map(({ sent: _, ...r }) => r)).toEqual(reminders); // instants and fields kept, order kept
  });
});
