-- Assertion: where sources gave the value an incident holds with a sentence, exactly one of them
-- is cited for it, and only such a value is cited.
SELECT incident_id, field, count(*) FILTER (WHERE cited) AS cited_rows,
       count(*) FILTER (WHERE cited AND NOT (chosen AND length(evidence) > 0)) AS cited_wrongly
FROM incident_field_values
GROUP BY incident_id, field
HAVING count(*) FILTER (WHERE cited) <> CASE WHEN bool_or(chosen AND length(evidence) > 0) THEN 1 ELSE 0 END
    OR count(*) FILTER (WHERE cited AND NOT (chosen AND length(evidence) > 0)) > 0;
