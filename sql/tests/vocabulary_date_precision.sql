-- Assertion: every incident's date_precision is one of the contract's vocabulary, and an
-- incident has an event_date exactly when its precision is not 'unknown'.
SELECT incident_id, date_precision, event_date
FROM incidents
WHERE date_precision IS NULL
   OR date_precision NOT IN ('day', 'week', 'month', 'year', 'unknown')
   OR (date_precision = 'unknown') <> (event_date IS NULL);
