-- Assertion: incident_articles lists each article linked to an incident once, with as many
-- mentions as incident_sources links.
SELECT coalesce(s.incident_id, a.incident_id) AS incident_id, coalesce(s.article_id, a.article_id) AS article_id,
       s.mentions, a.mention_count
FROM (SELECT incident_id, article_id, count(*) AS mentions FROM incident_sources GROUP BY ALL) s
FULL JOIN incident_articles a ON a.incident_id = s.incident_id AND a.article_id = s.article_id
WHERE s.mentions IS DISTINCT FROM a.mention_count
   OR (SELECT count(*) FROM incident_articles d WHERE d.incident_id = a.incident_id AND d.article_id = a.article_id) > 1;
