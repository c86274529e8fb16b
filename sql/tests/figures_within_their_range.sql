-- Assertion: the conservative figure of an incident is never above the highest one a source
-- gave, and no figure is negative.
SELECT incident_id, killed, killed_max, injured, injured_max, projectile_count, projectile_count_max
FROM incidents
WHERE killed > killed_max
   OR injured > injured_max
   OR projectile_count > projectile_count_max
   OR (killed IS NULL) <> (killed_max IS NULL)
   OR (injured IS NULL) <> (injured_max IS NULL)
   OR least(killed, injured, projectile_count) < 0;
