-- Certification deadlines follow the calendar (README "Business calendar"): a recomputed reviewDueAt or
-- supplementDeadline counts again from its start, so the application row keeps each start beside its deadline —
-- the review round's start (REVIEW_STARTED or SUPPLEMENTED) and the supplement request's moment — for the workflow's
-- history readers and for the calendar-change query (activities/calendar-change.ts), whose window is start … deadline.
ALTER TABLE certification_application
  ADD COLUMN review_started_at       timestamptz(3),
  ADD COLUMN supplement_requested_at timestamptz(3);

-- Open applications from before: their starts are in their history.
UPDATE certification_application a SET
  review_started_at = (SELECT max(e.at) FROM certification_event e
                       WHERE e.application_id = a.id AND e.type IN ('REVIEW_STARTED', 'SUPPLEMENTED')),
  supplement_requested_at = (SELECT max(e.at) FROM certification_event e
                             WHERE e.application_id = a.id AND e.type = 'SUPPLEMENT_REQUESTED');
