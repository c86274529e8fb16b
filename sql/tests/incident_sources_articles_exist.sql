-- Assertion: every article an incident cites is in `articles`, and every incident_sources row
-- belongs to a live incident.
SELECT s.incident_id, s.article_id, 'no such article' AS problem
FROM incident_sources s
WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = s.article_id)
UNION ALL
SELECT s.incident_id, s.article_id, 'no such incident'
FROM incident_sources s
WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.incident_id = s.incident_id);
