-- Question: what happened in the most recent week, and which sentences say so?
-- "Recent" is the 7 days up to the latest event date in the database, so that the query also
-- answers for an archive; for the week up to today, replace the subquery with current_date.
SELECT
    incident_id,
    event_date,
    date_precision,
    coalesce(city, admin1, country) AS place,
    location_name,
    weapon_type,
    target_type,
    killed,
    injured,
    array_to_string(outlets, ', ') AS outlets,
    evidence,
    event_date_evidence,
    killed_evidence,
    injured_evidence
FROM v_incidents
WHERE NOT is_background
  AND event_date > (SELECT max(event_date) FROM incidents WHERE NOT is_background) - INTERVAL 7 DAY
ORDER BY event_date DESC, incident_id;
