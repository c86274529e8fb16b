-- Question: which attacks targeted diplomatic sites (embassies, consulates, diplomatic
-- support centres) in Baghdad governorate, and who reported them?
SELECT
    incident_id,
    event_date,
    date_precision,
    time_of_day,
    location_name,
    location_name_ar,
    target_name,
    weapon_type,
    projectile_count,
    killed,
    injured,
    perpetrator_claimed,
    array_to_string(outlets, ', ') AS outlets,
    evidence
FROM v_incidents
WHERE NOT is_background AND target_type = 'diplomatic' AND admin1 = 'Baghdad'
ORDER BY event_date DESC NULLS LAST, incident_id;
