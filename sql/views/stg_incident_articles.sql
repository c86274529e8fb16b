-- Staging: one row per incident and article, with what an analyst needs to cite the article.
-- An article can report one incident in more than one mention (a first report and an update);
-- it is one source all the same, primary if any of its mentions is.
CREATE OR REPLACE VIEW stg_incident_articles AS
WITH linked AS (
    SELECT
        s.incident_id,
        s.article_id,
        CASE WHEN bool_or(s.role = 'primary') THEN 'primary' ELSE 'background' END AS role,
        -- the sentence that reports the attack, from a primary mention when there is one
        arg_min(m.evidence, (s.role <> 'primary', m.mention_index)) AS evidence,
        count(*) AS mention_count
    FROM incident_sources s
    LEFT JOIN mentions m ON m.mention_id = s.mention_id
    GROUP BY s.incident_id, s.article_id
)
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
    l.evidence,
    l.mention_count
FROM linked l
JOIN articles a ON a.article_id = l.article_id;
