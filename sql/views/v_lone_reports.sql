-- Why is this report alone? For every report that is the only one of its incident: each report it
-- was compared with (best first), that one's incident, the weight and each field's part, and why
-- they were kept apart. A report compared with none has one row with other_mention NULL.
--   SELECT * FROM v_lone_reports WHERE mention_id = 'ARTICLE:0' ORDER BY rank;
CREATE OR REPLACE VIEW v_lone_reports AS
WITH lone AS (
    SELECT any_value(mention_id) AS mention_id, incident_id FROM incident_sources
    GROUP BY incident_id HAVING count(*) = 1
),
pairs AS (
    SELECT mention_a AS mention_id, mention_b AS other_mention, * EXCLUDE (mention_a, mention_b) FROM report_links
    UNION ALL
    SELECT mention_b AS mention_id, mention_a AS other_mention, * EXCLUDE (mention_a, mention_b) FROM report_links
)
SELECT lone.mention_id, lone.incident_id, p.other_mention, o.incident_id AS other_incident,
       row_number() OVER (PARTITION BY lone.mention_id ORDER BY p.weight DESC NULLS LAST, p.other_mention) AS rank,
       CASE WHEN p.other_mention IS NULL
                THEN 'compared with no report: none shares a date window, place, name, words or copy with it'
            WHEN p.decision = 'cannot_link' THEN 'an analyst''s cannot-link'
            WHEN p.conflict IS NOT NULL THEN 'hard negative: ' || p.conflict
            WHEN p.is_link THEN 'a link, outweighed by the other reports of that incident (average weight) '
                                || 'or by a hard negative with one of them'
            ELSE 'weight below the threshold' END AS why_apart,
       p.weight, p.levels, p.w_date, p.w_weekday, p.w_place, p.w_weapon, p.w_projectile_count, p.w_killed, p.w_injured,
       p.w_time_of_day, p.w_launch_site, p.w_claimants, p.w_target, p.w_text, p.w_copies
FROM lone LEFT JOIN pairs p USING (mention_id)
LEFT JOIN incident_sources o ON o.mention_id = p.other_mention;
