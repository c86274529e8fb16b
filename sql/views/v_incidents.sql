-- One row per incident: every column of `incidents`, then who reported it and the sentences
-- behind its date and casualty figures. Background incidents (earlier attacks that a report only
-- recalls) are included: filter on `is_background` for the attacks the reports are about.
CREATE OR REPLACE VIEW v_incidents AS
WITH reported AS (
    SELECT
        incident_id,
        list_sort(list(DISTINCT outlet) FILTER (WHERE outlet IS NOT NULL)) AS outlets,
        list_sort(list(DISTINCT url) FILTER (WHERE url IS NOT NULL)) AS urls,
        min(published_at) AS first_published_at,
        max(published_at) AS last_published_at,
        -- the attack as the earliest primary source tells it
        arg_min(evidence, (role <> 'primary', duplicate_of IS NOT NULL, published_at, article_id)) AS evidence
    FROM stg_incident_articles
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
    GROUP BY incident_id
)
SELECT
    i.*,
    coalesce(r.outlets, []) AS outlets,
    coalesce(r.urls, []) AS urls,
    r.first_published_at,
    r.last_published_at,
    r.evidence,
    c.event_date_evidence,
    c.killed_evidence,
    c.injured_evidence,
    c.location_evidence
FROM incidents i
LEFT JOIN reported r ON r.incident_id = i.incident_id
LEFT JOIN cited c ON c.incident_id = i.incident_id;
