-- One row per incident and article that reports it, for the incidents this run reconciled
-- (the scratch table _reconciled_incidents). An article can report one incident in more than one
-- mention (a first report and an update); it is one source all the same, primary if any of its
-- mentions is, and the sentence it is cited by comes from a primary mention when there is one.
DELETE FROM incident_articles WHERE incident_id IN (SELECT incident_id FROM _reconciled_incidents);
INSERT INTO incident_articles
SELECT
    s.incident_id,
    s.article_id,
    CASE WHEN bool_or(s.role = 'primary') THEN 'primary' ELSE 'background' END AS role,
    arg_min(s.mention_id, (s.role <> 'primary', m.mention_index)) FILTER (WHERE m.evidence IS NOT NULL)
        AS evidence_mention_id,
    count(*) AS mention_count
FROM incident_sources s
LEFT JOIN mentions m ON m.mention_id = s.mention_id
WHERE s.incident_id IN (SELECT incident_id FROM _reconciled_incidents)
GROUP BY s.incident_id, s.article_id;
