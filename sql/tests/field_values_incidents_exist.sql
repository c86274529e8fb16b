-- Assertion: every field value belongs to a live incident and to an article that exists, so
-- that each value an incident holds can be traced to its source.
SELECT v.incident_id, v.field, v.value, v.article_id, v.chosen, 'no such incident' AS problem
FROM incident_field_values v
WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.incident_id = v.incident_id)
UNION ALL
SELECT v.incident_id, v.field, v.value, v.article_id, v.chosen, 'no such article'
FROM incident_field_values v
WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = v.article_id);
