-- Every value any source gave for an incident, with the sentence it came from; `chosen` marks
-- the values that the incident itself holds (see docs/reconciliation.md for how they are chosen).
-- Rebuilt for the incidents this run reconciled, listed in the scratch table _reconciled_incidents.
-- Values are compared as the extractor writes them: '7', 'true', '2020-11-17', a month date as
-- '2020-11-??', a year date as '2020-??-??'; a name list holds the value when it names it.
-- `cited` marks, per incident and field, the chosen value whose sentence the incident cites: a
-- primary source before a background one, an original before its copies, then the earliest
-- published.
DELETE FROM incident_field_values WHERE incident_id IN (SELECT incident_id FROM _reconciled_incidents);
INSERT INTO incident_field_values
SELECT
    s.incident_id,
    v.field,
    v.value,
    v.article_id,
    v.mention_id,
    s.role,
    v.evidence,
    v.span_start,
    v.span_end,
    v.confidence,
    coalesce(CASE v.field
        WHEN 'event_date' THEN trim(v.value) = CASE i.date_precision
            WHEN 'month' THEN strftime(i.event_date, '%Y-%m-??')
            WHEN 'year' THEN strftime(i.event_date, '%Y-??-??')
            ELSE CAST(i.event_date AS VARCHAR) END
        WHEN 'date_precision' THEN trim(v.value) = i.date_precision
        WHEN 'time_of_day' THEN trim(v.value) = i.time_of_day
        WHEN 'location_name' THEN trim(v.value) = i.location_name
        WHEN 'location_name_ar' THEN trim(v.value) = i.location_name_ar
        WHEN 'country' THEN trim(v.value) = i.country
        WHEN 'admin1' THEN trim(v.value) = i.admin1
        WHEN 'city' THEN trim(v.value) = i.city
        WHEN 'weapon_type' THEN trim(v.value) = i.weapon_type
        WHEN 'weapon_detail' THEN trim(v.value) = i.weapon_detail
        WHEN 'projectile_count' THEN TRY_CAST(trim(v.value) AS BIGINT) = i.projectile_count
        WHEN 'killed' THEN TRY_CAST(trim(v.value) AS BIGINT) = i.killed
        WHEN 'injured' THEN TRY_CAST(trim(v.value) AS BIGINT) = i.injured
        WHEN 'property_damage' THEN lower(trim(v.value)) = CAST(i.property_damage AS VARCHAR)
        WHEN 'target_type' THEN trim(v.value) = i.target_type
        WHEN 'target_name' THEN trim(v.value) = i.target_name
        WHEN 'launch_site' THEN trim(v.value) = i.launch_site
        WHEN 'claim_disowned' THEN lower(trim(v.value)) = CAST(i.claim_disowned AS VARCHAR)
        WHEN 'perpetrator_claimed' THEN list_contains(string_split(i.perpetrator_claimed, '; '), trim(v.value))
        WHEN 'perpetrator_accused' THEN list_contains(string_split(i.perpetrator_accused, '; '), trim(v.value))
    END, false) AS chosen,
    false AS cited
FROM mention_values v
JOIN incident_sources s ON s.mention_id = v.mention_id
JOIN incidents i ON i.incident_id = s.incident_id
WHERE s.incident_id IN (SELECT incident_id FROM _reconciled_incidents);
-- The ranking sorts only the columns it needs (the sentences themselves would not fit a part's
-- memory at 1M articles).
UPDATE incident_field_values SET cited = true
WHERE rowid IN (
    SELECT v.rowid
    FROM incident_field_values v
    LEFT JOIN articles a ON a.article_id = v.article_id
    WHERE v.incident_id IN (SELECT incident_id FROM _reconciled_incidents)
      AND v.chosen AND coalesce(v.evidence, '') <> ''
    QUALIFY row_number() OVER (
        PARTITION BY v.incident_id, v.field
        ORDER BY v.role <> 'primary', a.duplicate_of IS NOT NULL, a.published_at NULLS LAST, v.article_id,
                 v.span_start, v.span_end, v.mention_id
    ) = 1
);
