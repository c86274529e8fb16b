-- Assertion: every incident has one row of citations (who reported it, the sentences it cites),
-- and no retired incident keeps one.
SELECT coalesce(i.incident_id, c.incident_id) AS incident_id, count(c.incident_id) AS citation_rows
FROM incidents i
FULL JOIN incident_citations c ON c.incident_id = i.incident_id
GROUP BY ALL
HAVING count(c.incident_id) <> 1 OR any_value(i.incident_id) IS NULL;
