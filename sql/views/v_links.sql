-- Why are these one incident? Every pair of reports the linkage compared, with the incident each
-- is in, its weight (log2 odds that the two tell one attack), the probability it stands for, and
-- each field's part in it (w_*; docs/reconciliation.md, "Reading the links").
--   SELECT * FROM v_links WHERE incident_a = 'inc_...' AND same_incident ORDER BY weight DESC;
CREATE OR REPLACE VIEW v_links AS
SELECT l.mention_a, l.mention_b, sa.incident_id AS incident_a, sb.incident_id AS incident_b,
       coalesce(sa.incident_id = sb.incident_id, false) AS same_incident,
       l.weight, 1 / (1 + pow(2, -greatest(l.weight, -60))) AS probability, l.is_link, l.conflict, l.decision,
       l.levels, l.w_date, l.w_weekday, l.w_place, l.w_weapon, l.w_projectile_count, l.w_killed, l.w_injured, l.w_time_of_day,
       l.w_launch_site, l.w_claimants, l.w_target, l.w_text, l.w_copies
FROM report_links l
LEFT JOIN incident_sources sa ON sa.mention_id = l.mention_a
LEFT JOIN incident_sources sb ON sb.mention_id = l.mention_b;
