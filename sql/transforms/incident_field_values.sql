-- Every value any source gave for an incident, with the sentence it came from; `chosen` marks
-- the values that the incident itself holds (see docs/reconciliation.md for how they are chosen).
DELETE FROM incident_field_values;
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
    coalesce((v.value = CASE v.field
        WHEN 'event_date' THEN CAST(i.event_date AS VARCHAR)
        WHEN 'date_precision' THEN i.date_precision
        WHEN 'time_of_day' THEN i.time_of_day
        WHEN 'location_name' THEN i.location_name
        WHEN 'country' THEN i.country
        WHEN 'admin1' THEN i.admin1
        WHEN 'city' THEN i.city
        WHEN 'weapon_type' THEN i.weapon_type
        WHEN 'weapon_detail' THEN i.weapon_detail
        WHEN 'projectile_count' THEN CAST(i.projectile_count AS VARCHAR)
        WHEN 'killed' THEN CAST(i.killed AS VARCHAR)
        WHEN 'injured' THEN CAST(i.injured AS VARCHAR)
        WHEN 'property_damage' THEN CASE WHEN i.property_damage THEN 'true' WHEN NOT i.property_damage THEN 'false' END
        WHEN 'target_type' THEN i.target_type
        WHEN 'launch_site' THEN i.launch_site
        WHEN 'perpetrator_claimed' THEN i.perpetrator_claimed
        WHEN 'claim_disowned' THEN CASE WHEN i.claim_disowned THEN 'true' END
        WHEN 'perpetrator_accused' THEN i.perpetrator_accused
    END)
    OR (v.field IN ('perpetrator_claimed', 'perpetrator_accused')
        AND list_contains(string_split(CASE v.field WHEN 'perpetrator_claimed' THEN i.perpetrator_claimed
                                                      ELSE i.perpetrator_accused END, '; '), v.value)), false) AS chosen
FROM mention_values v
JOIN incident_sources s ON s.mention_id = v.mention_id
JOIN incidents i ON i.incident_id = s.incident_id
