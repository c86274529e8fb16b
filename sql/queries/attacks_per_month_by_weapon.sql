-- Question: how many attacks were there each month, by weapon, and how many people did they
-- kill and injure?
-- Only the attacks the reports are about (no background incidents) whose date is known at least
-- to the month; killed/injured are the conservative figures (the lowest credible across sources).
SELECT
    date_trunc('month', event_date)::DATE AS month,
    weapon_type,
    count(*) AS incidents,
    coalesce(sum(killed), 0) AS killed,
    coalesce(sum(injured), 0) AS injured
FROM v_incidents
WHERE NOT is_background
  AND event_date IS NOT NULL
  AND date_precision IN ('day', 'week', 'month')
GROUP BY ALL
ORDER BY month, incidents DESC, weapon_type;
