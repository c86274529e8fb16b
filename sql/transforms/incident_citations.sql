-- One row per incident this run reconciled: the outlets and links that reported it, when, the
-- sentence that reports it (from the earliest primary original) and the sentences behind its
-- date, casualty figures and place. Read from the staging views, which the filter on
-- _reconciled_incidents reaches before they join (incident_articles and incident_field_values
-- are already rebuilt for these incidents).
DELETE FROM incident_citations WHERE incident_id IN (SELECT incident_id FROM _reconciled_incidents);
INSERT INTO incident_citations
WITH reported AS (
    SELECT
        incident_id,
        -- list_distinct drops NULLs too; it needs a fraction of the memory of list(DISTINCT ...)
        list_sort(list_distinct(list(outlet))) AS outlets,
        list_sort(list_distinct(list(url))) AS urls,
        min(published_at) AS first_published_at,
        max(published_at) AS last_published_at,
        arg_min(evidence, (role <> 'primary', duplicate_of IS NOT NULL, published_at, article_id)) AS evidence
    FROM stg_incident_articles
    WHERE incident_id IN (SELECT incident_id FROM _reconciled_incidents)
    GROUP BY incident_id
),
cited AS (
    SELECT
        incident_id,
        any_value(evidence) FILTER (WHERE field = 'event_date') AS event_date_evidence,
        any_value(evidence) FILTER (WHERE field = 'killed') AS killed_evidence,
        any_value(evidence) FILTER (WHERE field = 'injured') AS injured_evidence,
        any_value(evidence) FILTER (WHERE field = 'location_name') AS location_evidence
    FROM stg_chosen_evidence
    WHERE field IN ('event_date', 'killed', 'injured', 'location_name')
      AND incident_id IN (SELECT incident_id FROM _reconciled_incidents)
    GROUP BY incident_id
)
SELECT
    i.incident_id,
    coalesce(r.outlets, []),
    coalesce(r.urls, []),
    r.first_published_at,
    r.last_published_at,
    r.evidence,
    c.event_date_evidence,
    c.killed_evidence,
    c.injured_evidence,
    c.location_evidence
FROM incidents i
LEFT JOIN reported r ON r.incident_id = i.incident_id
LEFT JOIN cited c ON c.incident_id = i.incident_id
WHERE i.incident_id IN (SELECT incident_id FROM _reconciled_incidents);
