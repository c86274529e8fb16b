-- A full regroup's candidate pairs, numbered into batches of $pairs_per_batch in the order of
-- their earlier report's time (incidents/linkage/batches.py; docs/reconciliation.md, section 8).
--
-- _candidates: (a, b) positions of every pair to compare;
-- _records:    one row per report (comparisons.records_table), `position` its number.
-- A batch's pairs are weighed together, and the words of its reports are read once for it: in
-- the order of time, the reports a batch's pairs name are mostly the same few days' (blocking
-- keys are bounded in time), not reports from all over the history. A report's time is its first
-- day, else its article's day; a report with neither comes last.
WITH timed AS (
    SELECT position,
        CASE WHEN year_known THEN first_day WHEN published_day IS NOT NULL THEN published_day END AS day
    FROM _records
)
SELECT c.a, c.b,
    (row_number() OVER (ORDER BY least(coalesce(ta.day, 9223372036854775807), coalesce(tb.day, 9223372036854775807)),
                        c.a, c.b) - 1) // $pairs_per_batch AS batch
FROM _candidates c
JOIN timed ta ON ta.position = c.a
JOIN timed tb ON tb.position = c.b
