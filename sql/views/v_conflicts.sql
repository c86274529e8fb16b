-- Where the primary sources of an incident disagree: one row per incident, field and source,
-- for the fields whose sources give more than one distinct value. `chosen` marks the sources
-- whose value the incident holds (see docs/data-model.md for how values are chosen).
-- Counted over each incident's field with window functions rather than a self-join, so that a
-- filter on the field or the incident reaches the sources before anything is counted.
CREATE OR REPLACE VIEW v_conflicts AS
SELECT
    incident_id,
    field,
    n_values,
    n_sources,
    value,
    chosen,
    article_id,
    outlet,
    published_at,
    duplicate_of,
    evidence
FROM (
    SELECT
        s.*,
        count(DISTINCT s.value) OVER (PARTITION BY s.incident_id, s.field) AS n_values,
        count(*) OVER (PARTITION BY s.incident_id, s.field) AS n_sources
    FROM stg_source_field_values s
)
WHERE n_values > 1;
