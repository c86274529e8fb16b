-- Question: which incidents rest on a single source, and which article is it?
-- Copies of one report count as one source (`single_source` is true for an incident reported
-- only by one article and its copies, which are listed too, with `duplicate_of` set): these are
-- the incidents to check before citing them.
SELECT
    i.incident_id,
    i.event_date,
    i.date_precision,
    i.location_name,
    i.weapon_type,
    i.target_type,
    s.outlet,
    s.title,
    s.url,
    s.published_at,
    s.duplicate_of,
    i.evidence
FROM v_incidents i
JOIN v_incident_sources s ON s.incident_id = i.incident_id AND s.role = 'primary'
WHERE NOT i.is_background AND i.single_source
ORDER BY i.event_date DESC NULLS LAST, i.incident_id, s.published_at, s.article_id;
