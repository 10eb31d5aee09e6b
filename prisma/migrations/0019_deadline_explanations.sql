-- Every process's answer carries the explanation of its pending deadline as a top-level field (issue 14), as the
-- opportunity and the incentive already do. A certification application keeps the explanation of its pending
-- reviewDueAt or supplementDeadline, a path review that of its windowEndsAt or supplementDeadline: the activity
-- writes it with each transition that sets or moves the deadline (its history row carries the same explanation).
-- NULL: nothing explained yet (a DRAFT), or a review opened before explanations were recorded.
ALTER TABLE certification_application ADD COLUMN deadline_explanation jsonb;
ALTER TABLE path_review ADD COLUMN deadline_explanation jsonb;

-- Rows from before: the latest history row that explains a deadline is the one that set the deadline in force.
UPDATE certification_application a SET deadline_explanation = (
  SELECT e.data -> 'explanation' FROM certification_event e
  WHERE e.application_id = a.id AND jsonb_typeof(e.data -> 'explanation') = 'object'
  ORDER BY e.seq DESC LIMIT 1);
UPDATE path_review r SET deadline_explanation = (
  SELECT e.data -> 'explanation' FROM path_review_event e
  WHERE e.review_id = r.id AND jsonb_typeof(e.data -> 'explanation') = 'object'
  ORDER BY e.seq DESC LIMIT 1);
