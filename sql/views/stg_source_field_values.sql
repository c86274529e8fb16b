-- Staging: what each primary source says about each field of an incident, one row per
-- incident, field and article. An article may state several values for one field (a first toll
-- and a later update, or a figure about another attack in a background paragraph); the value it
-- stands for is the one its mention settled on (the `mentions` row), and the sentences that gave
-- that value are its evidence.
CREATE OR REPLACE VIEW stg_source_field_values AS
WITH stated AS (
    SELECT
        v.incident_id,
        v.field,
        v.value,
        v.article_id,
        v.mention_id,
        v.chosen,
        v.evidence,
        v.span_start
    FROM incident_field_values v
    JOIN mentions m ON m.mention_id = v.mention_id
    WHERE v.role = 'primary'
      AND CASE v.field
            WHEN 'event_date' THEN v.value = CAST(m.event_date AS VARCHAR)
            WHEN 'date_precision' THEN v.value = m.date_precision
            WHEN 'time_of_day' THEN v.value = m.time_of_day
            WHEN 'location_name' THEN v.value = m.location_name
            WHEN 'country' THEN v.value = m.country
            WHEN 'admin1' THEN v.value = m.admin1
            WHEN 'city' THEN v.value = m.city
            WHEN 'weapon_type' THEN v.value = m.weapon_type
            WHEN 'weapon_detail' THEN v.value = m.weapon_detail
            WHEN 'projectile_count' THEN v.value = CAST(m.projectile_count AS VARCHAR)
            WHEN 'killed' THEN v.value = CAST(m.killed AS VARCHAR)
            WHEN 'injured' THEN v.value = CAST(m.injured AS VARCHAR)
            WHEN 'property_damage' THEN v.value = CAST(m.property_damage AS VARCHAR)
            WHEN 'target_type' THEN v.value = m.target_type
            WHEN 'launch_site' THEN v.value = m.launch_site
            WHEN 'claim_disowned' THEN v.value = CAST(m.claim_disowned AS VARCHAR)
            -- a mention names every claimant it read, joined with '; '
            WHEN 'perpetrator_claimed' THEN list_contains(string_split(m.perpetrator_claimed, '; '), v.value)
            WHEN 'perpetrator_accused' THEN list_contains(string_split(m.perpetrator_accused, '; '), v.value)
          END
)
SELECT
    s.incident_id,
    s.field,
    string_agg(DISTINCT s.value, '; ' ORDER BY s.value) AS value,
    bool_and(s.chosen) AS chosen,
    s.article_id,
    a.source AS outlet,
    a.published_at,
    a.duplicate_of,
    arg_min(s.evidence, s.span_start) AS evidence
FROM stated s
JOIN articles a ON a.article_id = s.article_id
GROUP BY s.incident_id, s.field, s.article_id, a.source, a.published_at, a.duplicate_of;
