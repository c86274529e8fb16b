-- Match weights of compared pairs: the rows of the links table (report_links) and what the
-- clustering reads (docs/reconciliation.md, sections 3 and 4; incidents/linkage/linking.py).
--
-- _levels:    the pairs' comparison levels (sql/linkage/comparison_levels.sql);
-- _weights:   (field, level, weight) of the fitted model (incidents/linkage/weights.json);
-- _decisions: (a, b, decision) an analyst's must_link or cannot_link between two of the pairs.
-- $prior, $threshold: the model's prior log2 odds and the weight from which a pair is a link.
-- A level the model has no weight for, or a field one report does not give, adds 0.
WITH weighed AS (
    SELECT
        l.a, l.b, l.mention_a, l.mention_b, l.conflict, l."date", l.weekday, l.place, l.weapon, l.projectile_count, l.killed,
        l.injured, l.time_of_day, l.launch_site, l.claimants, l.target, l."text", l.copies,
        coalesce(d.decision, CASE WHEN l.copies_of_one_report THEN 'copies' END) AS decision,
        concat_ws('; ', 'date=' || l."date", 'weekday=' || l.weekday, 'place=' || l.place, 'weapon=' || l.weapon,
                  'projectile_count=' || l.projectile_count, 'killed=' || l.killed, 'injured=' || l.injured,
                  'time_of_day=' || l.time_of_day, 'launch_site=' || l.launch_site, 'claimants=' || l.claimants,
                  'target=' || l.target, 'text=' || l."text", 'copies=' || l.copies) AS levels,
        coalesce(w_date.weight, 0.0) AS w_date,
        coalesce(w_weekday.weight, 0.0) AS w_weekday,
        coalesce(w_place.weight, 0.0) AS w_place,
        coalesce(w_weapon.weight, 0.0) AS w_weapon,
        coalesce(w_projectile_count.weight, 0.0) AS w_projectile_count,
        coalesce(w_killed.weight, 0.0) AS w_killed,
        coalesce(w_injured.weight, 0.0) AS w_injured,
        coalesce(w_time_of_day.weight, 0.0) AS w_time_of_day,
        coalesce(w_launch_site.weight, 0.0) AS w_launch_site,
        coalesce(w_claimants.weight, 0.0) AS w_claimants,
        coalesce(w_target.weight, 0.0) AS w_target,
        coalesce(w_text.weight, 0.0) AS w_text,
        coalesce(w_copies.weight, 0.0) AS w_copies
    FROM _levels l
    LEFT JOIN _decisions d ON d.a = l.a AND d.b = l.b
    LEFT JOIN _weights w_date ON w_date.field = 'date' AND w_date.level = l."date"
    LEFT JOIN _weights w_weekday ON w_weekday.field = 'weekday' AND w_weekday.level = l.weekday
    LEFT JOIN _weights w_place ON w_place.field = 'place' AND w_place.level = l.place
    LEFT JOIN _weights w_weapon ON w_weapon.field = 'weapon' AND w_weapon.level = l.weapon
    LEFT JOIN _weights w_projectile_count ON w_projectile_count.field = 'projectile_count'
                                         AND w_projectile_count.level = l.projectile_count
    LEFT JOIN _weights w_killed ON w_killed.field = 'killed' AND w_killed.level = l.killed
    LEFT JOIN _weights w_injured ON w_injured.field = 'injured' AND w_injured.level = l.injured
    LEFT JOIN _weights w_time_of_day ON w_time_of_day.field = 'time_of_day' AND w_time_of_day.level = l.time_of_day
    LEFT JOIN _weights w_launch_site ON w_launch_site.field = 'launch_site' AND w_launch_site.level = l.launch_site
    LEFT JOIN _weights w_claimants ON w_claimants.field = 'claimants' AND w_claimants.level = l.claimants
    LEFT JOIN _weights w_target ON w_target.field = 'target' AND w_target.level = l.target
    LEFT JOIN _weights w_text ON w_text.field = 'text' AND w_text.level = l."text"
    LEFT JOIN _weights w_copies ON w_copies.field = 'copies' AND w_copies.level = l.copies
), summed AS (
    SELECT *,
        -- Added in the order of the fields, as the weights are documented.
        round($prior + (w_date + w_weekday + w_place + w_weapon + w_projectile_count + w_killed + w_injured + w_time_of_day
                        + w_launch_site + w_claimants + w_target + w_text + w_copies), 3) AS weight,
        -- Never one incident: a hard negative or an analyst's cannot-link.
        conflict IS NOT NULL OR decision IS NOT DISTINCT FROM 'cannot_link' AS forbidden,
        -- Always one incident: copies of one report or an analyst's must-link.
        decision IS NOT DISTINCT FROM 'copies' OR decision IS NOT DISTINCT FROM 'must_link' AS must_link
    FROM weighed
)
SELECT
    a, b, forbidden, must_link,
    mention_a, mention_b, weight, must_link OR (NOT forbidden AND weight >= $threshold) AS is_link,
    conflict, decision, levels, w_date, w_weekday, w_place, w_weapon, w_projectile_count, w_killed, w_injured, w_time_of_day,
    w_launch_site, w_claimants, w_target, w_text, w_copies,
    "date", weekday, place, weapon, projectile_count, killed, injured, time_of_day, launch_site, claimants, target, "text",
    copies
FROM summed
