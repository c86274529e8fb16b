-- Staging: for each incident and field, the sentence that gave the value the incident holds.
-- Several sources often give the same value; the one cited (`incident_field_values.cited`, set
-- by sql/transforms/incident_field_values.sql) is a primary source before a background one, an
-- original before its copies, then the earliest published.
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
WHERE v.cited;
