-- Staging: one row per incident and article, with what an analyst needs to cite the article.
-- The grouping (one source per article, primary if any of its mentions is) is the table
-- incident_articles, rebuilt by sql/transforms/incident_articles.sql.
CREATE OR REPLACE VIEW stg_incident_articles AS
SELECT
    l.incident_id,
    l.article_id,
    l.role,
    a.source AS outlet,
    a.title,
    a.url,
    a.published_at,
    a.source_file,
    a.duplicate_of,
    a.duplicate_kind,
    m.evidence,
    l.mention_count
FROM incident_articles l
JOIN articles a ON a.article_id = l.article_id
LEFT JOIN mentions m ON m.mention_id = l.evidence_mention_id;
