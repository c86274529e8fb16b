-- Where the primary sources of an incident disagree: one row per incident, field and source,
-- for the fields whose sources give more than one distinct value. `chosen` marks the sources
-- whose value the incident holds (see docs/data-model.md for how values are chosen).
CREATE OR REPLACE VIEW v_conflicts AS
WITH disputed AS (
    SELECT
        incident_id,
        field,
        count(DISTINCT value) AS n_values,
        count(*) AS n_sources
    FROM stg_source_field_values
    GROUP BY incident_id, field
    HAVING count(DISTINCT value) > 1
)
SELECT
    d.incident_id,
    d.field,
    d.n_values,
    d.n_sources,
    s.value,
    s.chosen,
    s.article_id,
    s.outlet,
    s.published_at,
    s.duplicate_of,
    s.evidence
FROM disputed d
JOIN stg_source_field_values s ON s.incident_id = d.incident_id AND s.field = d.field;
