-- Attacks per day and governorate: incidents, casualties and incidents per weapon. Only the
-- attacks the reports are about (no background incidents), and only dated ones. Some dates are
-- approximate: a month date is stored as the 1st of the month, a week date as the day the report
-- was read against (the attack was within a week of it). `approximate_dates` counts those, so
-- that a spike on the 1st of a month or on a publication day can be read for what it is.
CREATE OR REPLACE VIEW v_daily AS
SELECT
    event_date,
    country,
    admin1,
    count(*) AS incidents,
    count(*) FILTER (WHERE date_precision <> 'day') AS approximate_dates,
    sum(killed) AS killed,
    sum(killed_max) AS killed_max,
    sum(injured) AS injured,
    sum(injured_max) AS injured_max,
    sum(projectile_count) AS projectiles,
    count(*) FILTER (WHERE weapon_type = 'rocket') AS rocket,
    count(*) FILTER (WHERE weapon_type = 'mortar') AS mortar,
    count(*) FILTER (WHERE weapon_type = 'drone') AS drone,
    count(*) FILTER (WHERE weapon_type = 'ied') AS ied,
    count(*) FILTER (WHERE weapon_type = 'missile') AS missile,
    count(*) FILTER (WHERE weapon_type = 'airstrike') AS airstrike,
    count(*) FILTER (WHERE weapon_type = 'gunfire') AS gunfire,
    count(*) FILTER (WHERE weapon_type = 'unknown') AS unknown_weapon
FROM incidents
WHERE NOT is_background AND event_date IS NOT NULL
GROUP BY event_date, country, admin1;
