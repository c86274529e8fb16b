-- One row per incident and article that reports it: the outlet, the headline, the link, when it
-- was published, whether the article is about this attack (`primary`) or only recalls it
-- (`background`), and which article it copies (`duplicate_of`, NULL for an original).
CREATE OR REPLACE VIEW v_incident_sources AS
SELECT
    incident_id,
    article_id,
    role,
    outlet,
    title,
    url,
    published_at,
    duplicate_of,
    duplicate_kind,
    source_file,
    evidence
FROM stg_incident_articles;
