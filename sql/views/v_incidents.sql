-- One row per incident: every column of `incidents`, then who reported it and the sentences
-- behind its date and casualty figures (kept in incident_citations, rebuilt with the incident).
-- Background incidents (earlier attacks that a report only recalls) are included: filter on
-- `is_background` for the attacks the reports are about.
CREATE OR REPLACE VIEW v_incidents AS
SELECT
    i.*,
    coalesce(c.outlets, []) AS outlets,
    coalesce(c.urls, []) AS urls,
    c.first_published_at,
    c.last_published_at,
    c.evidence,
    c.event_date_evidence,
    c.killed_evidence,
    c.injured_evidence,
    c.location_evidence
FROM incidents i
LEFT JOIN incident_citations c ON c.incident_id = i.incident_id;
