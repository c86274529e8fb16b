-- Staging: for each incident and field, the sentence that gave the value the incident holds.
-- Several sources often give the same value; the one cited is a primary source before a
-- background one, an original before its copies, then the earliest published.
CREATE OR REPLACE VIEW stg_chosen_evidence AS
SELECT
    v.incident_id,
    v.field,
    v.value,
    v.evidence,
    v.article_id,
    a.source AS outlet
FROM incident_field_values v
JOIN articles a ON a.article_id = v.article_id
WHERE v.chosen AND coalesce(v.evidence, '') <> ''
QUALIFY row_number() OVER (
    PARTITION BY v.incident_id, v.field
    ORDER BY v.role <> 'primary', a.duplicate_of IS NOT NULL, a.published_at NULLS LAST, v.article_id, v.span_start
) = 1;
