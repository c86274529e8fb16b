-- Assertion: an incident dated to the day has a sentence, from one of its sources, that gave
-- that date.
SELECT i.incident_id, i.event_date
FROM incidents i
WHERE i.date_precision = 'day'
  AND NOT EXISTS (
      SELECT 1 FROM incident_field_values v
      WHERE v.incident_id = i.incident_id
        AND v.field = 'event_date'
        AND v.chosen
        AND v.value = CAST(i.event_date AS VARCHAR)
        AND length(v.evidence) > 0
  );
