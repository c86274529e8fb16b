-- Assertion: every incident rests on at least one article, as its subject (primary) or in
-- passing (background), and its article_count says how many.
SELECT i.incident_id, i.article_count, count(DISTINCT s.article_id) AS linked_articles
FROM incidents i
LEFT JOIN incident_sources s ON s.incident_id = i.incident_id AND s.role IN ('primary', 'background')
GROUP BY i.incident_id, i.article_count
HAVING count(s.article_id) = 0 OR i.article_count <> count(DISTINCT s.article_id);
