-- Question: which places were attacked most often?
-- A place is the most precise location the sources agree on (a base, an airport, a
-- neighbourhood, else a town or governorate), with its Arabic name as the reports give it.
SELECT
    location_name,
    any_value(location_name_ar) AS location_name_ar,
    any_value(admin1) AS admin1,
    any_value(country) AS country,
    count(*) AS incidents,
    min(event_date) AS first_attack,
    max(event_date) AS last_attack,
    coalesce(sum(killed), 0) AS killed,
    coalesce(sum(injured), 0) AS injured,
    string_agg(DISTINCT weapon_type, ', ' ORDER BY weapon_type) AS weapons
FROM v_incidents
WHERE NOT is_background AND location_name IS NOT NULL
GROUP BY location_name
ORDER BY incidents DESC, killed DESC, location_name
LIMIT 20;
