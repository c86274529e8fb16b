-- Assertion: an article reports an incident either as its subject (primary) or in passing
-- (background), in incident_sources as in incident_field_values.
SELECT 'incident_sources' AS in_table, incident_id, article_id, role
FROM incident_sources
WHERE role IS NULL OR role NOT IN ('primary', 'background')
UNION ALL
SELECT 'incident_field_values', incident_id, article_id, role
FROM incident_field_values
WHERE role IS NULL OR role NOT IN ('primary', 'background');
