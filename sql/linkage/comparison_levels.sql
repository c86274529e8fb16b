-- Comparison levels of pairs of reports: how two reports agree on each field, and the hard
-- negative that makes them certainly two attacks (docs/reconciliation.md, section 2).
-- The one implementation of the comparisons: reconcile scores its candidate pairs with it and
-- tests/devset/fit_weights.py every labelled pair (incidents/linkage/comparisons.py runs it).
--
-- _records: one row per report (comparisons.records_table), `position` its number;
-- _pairs:   (a, b) positions of the pairs to compare, a the report of the lower mention id.
-- $complete:        false stops a pair at its date or place hard negative (its other fields stay
--                   NULL: they cannot change the decision); fitting the weights needs them all.
-- $hard_negatives:  the levels that forbid (comparisons.HARD_NEGATIVES).
-- $lookback_days:   a date without a year is of the days this long before its article.
-- $min_words:       fewer uncommon words than this are no text evidence.
-- A level is NULL when one of the two reports does not say: no evidence either way.
-- The text level is left NULL here: `needs_text` marks the pairs whose words Python compares
-- (comparisons.text_levels: sets of a whole article's words intersect there 10x faster).
WITH joined AS (
    -- Each pair's two reports joined once, as two rows (structs) the levels below read.
    SELECT p.a, p.b, ra, rb
    FROM _pairs p
    JOIN _records ra ON ra.position = p.a
    JOIN _records rb ON rb.position = p.b
), measured AS (
    SELECT
        a, b, ra, rb,
        CASE WHEN ra.latitude IS NOT NULL AND rb.latitude IS NOT NULL THEN
            2 * 6371.0088 * asin(least(1.0, sqrt(
                sin((radians(rb.latitude) - radians(ra.latitude)) / 2) * sin((radians(rb.latitude) - radians(ra.latitude)) / 2)
                + cos(radians(ra.latitude)) * cos(radians(rb.latitude))
                  * sin(radians(rb.longitude - ra.longitude) / 2) * sin(radians(rb.longitude - ra.longitude) / 2))))
        END AS km
    FROM joined
), compared AS (
    SELECT
        p.a, p.b, ra.mention_id AS mention_a, rb.mention_id AS mention_b,
        ra.article_id = rb.article_id AS same_article,
        -- Near or exact copies of one report tell the same attacks in the same order: the same
        -- mention of two copies is one attack, whatever the extraction made of each.
        ra.copy_group = rb.copy_group AND ra.article_id <> rb.article_id AND ra.is_primary = rb.is_primary
            AND ra.mention_index = rb.mention_index AS copies_of_one_report,
        CASE
            -- A recollection is of an attack before its article (a day's slack).
            WHEN (NOT ra.is_primary AND ra.published_day IS NOT NULL AND rb.year_known
                  AND rb.first_day > ra.published_day + 1)
              OR (NOT rb.is_primary AND rb.published_day IS NOT NULL AND ra.year_known
                  AND ra.first_day > rb.published_day + 1)
                THEN 'after_the_recalling_article'
            WHEN ra.year_known AND rb.year_known THEN CASE
                WHEN ra.precision = 'day' AND rb.precision = 'day' THEN CASE
                    WHEN greatest(ra.first_day, rb.first_day) - least(ra.last_day, rb.last_day) <= 0 THEN 'same_day'
                    -- "Late Saturday night" and "early Sunday" can be one hour, and so can "Sunday
                    -- night" (ليلة الأحد: the night before Sunday) and a report that gives Saturday
                    -- without an hour; any other two days are two.
                    WHEN greatest(ra.first_day, rb.first_day) - least(ra.last_day, rb.last_day) = 1
                     AND CASE WHEN ra.first_day < rb.first_day
                              THEN coalesce(ra.time_of_day IN ('evening', 'night'), rb.time_of_day IS NOT NULL)
                               AND coalesce(rb.time_of_day IN ('night', 'dawn'), ra.time_of_day IS NOT NULL)
                              ELSE coalesce(rb.time_of_day IN ('evening', 'night'), ra.time_of_day IS NOT NULL)
                               AND coalesce(ra.time_of_day IN ('night', 'dawn'), rb.time_of_day IS NOT NULL) END
                        THEN 'around_midnight'
                    ELSE 'different_days' END
                WHEN greatest(ra.window_first, rb.window_first) > least(ra.window_last, rb.window_last)
                    THEN 'different_dates'
                -- The vaguer of the two precisions.
                ELSE ['same_day', 'same_week', 'same_month', 'same_year'][greatest(ra.precision_rank, rb.precision_rank) + 1]
                END
            -- A date without a year stands for an attack of the year before its article.
            WHEN (NOT ra.year_known AND ra.published_day IS NOT NULL AND rb.year_known
                  AND (rb.first_day > ra.published_day + 1 OR rb.last_day < ra.published_day - $lookback_days))
              OR (NOT rb.year_known AND rb.published_day IS NOT NULL AND ra.year_known
                  AND (ra.first_day > rb.published_day + 1 OR ra.last_day < rb.published_day - $lookback_days))
              OR (NOT ra.year_known AND NOT rb.year_known AND ra.published_day IS NOT NULL
                  AND rb.published_day IS NOT NULL AND abs(ra.published_day - rb.published_day) > $lookback_days + 1)
                THEN 'not_in_the_year_before_its_article'
            WHEN NOT (ra.has_date AND rb.has_date) OR ra.months_of_year IS NULL OR rb.months_of_year IS NULL THEN NULL
            -- By the day of the year: a date without a year against any other.
            WHEN NOT list_has_any(ra.months_of_year, rb.months_of_year) THEN 'different_months'
            WHEN len(ra.days_of_year) > 0 AND len(rb.days_of_year) > 0 THEN
                CASE WHEN list_has_any(ra.days_of_year, rb.days_of_year) THEN 'yearless_same_day' ELSE 'different_days' END
            ELSE 'yearless_same_month'
        END AS date_level,
        CASE
            WHEN ra.place_id IS NOT NULL AND ra.place_id = rb.place_id THEN 'same_place'
            -- Two located places (sites, districts, cities) farther apart than 50 km are two
            -- attacks: a base and "the nearest town" are within it, two cities of one night are not.
            WHEN p.km > 50.0 THEN 'far_apart'
            WHEN p.km IS NOT NULL AND ra.is_point AND rb.is_point THEN
                CASE WHEN p.km <= 3.0 THEN 'within_3km' WHEN p.km <= 15.0 THEN 'within_15km' ELSE 'within_50km' END
            -- Names without a distance. A wrong country is a common misreading of real reports (13
            -- of the 146 labelled pairs of one attack): evidence against, not a veto. Two
            -- governorates never were (0 of 145 when this was measured): two attacks.
            WHEN ra.country IS NOT NULL AND rb.country IS NOT NULL AND ra.country <> rb.country THEN 'different_countries'
            WHEN ra.admin1 IS NOT NULL AND rb.admin1 IS NOT NULL THEN CASE
                WHEN ra.admin1 <> rb.admin1 THEN 'different_governorates'
                WHEN ra.city IS NOT NULL AND rb.city IS NOT NULL THEN
                    CASE WHEN ra.city = rb.city THEN 'same_city' ELSE 'other_city' END
                ELSE 'same_governorate' END
        END AS place_level,
        CASE
            WHEN ra.weapon_type IS NULL OR rb.weapon_type IS NULL THEN NULL
            WHEN ra.weapon_type = rb.weapon_type THEN 'same_type'
            WHEN ra.weapon_class = rb.weapon_class THEN 'same_class'
            -- First reports name the weapon wrongly in known ways: rockets that were drones, an
            -- explosion that was gunfire, a drone that was an airstrike. Weak evidence against.
            WHEN least(ra.weapon_class, rb.weapon_class) || ' ' || greatest(ra.weapon_class, rb.weapon_class)
                 IN ('drone projectile', 'gunfire ied', 'airstrike drone', 'ied projectile') THEN 'confusable'
            ELSE 'different'
        END AS weapon_level,
        CASE
            WHEN ra.projectile_count IS NULL OR rb.projectile_count IS NULL THEN NULL
            WHEN ra.projectile_count = rb.projectile_count THEN 'equal'
            WHEN abs(ra.projectile_count - rb.projectile_count)
                 <= greatest(1, floor(greatest(ra.projectile_count, rb.projectile_count) / 2)) THEN 'close'
            ELSE 'far'
        END AS projectile_count_level,
        CASE
            WHEN ra.killed IS NULL OR rb.killed IS NULL THEN NULL
            -- "No casualties" is what most attacks on a base report: agreeing on it says less.
            WHEN ra.killed = 0 AND rb.killed = 0 THEN 'none_both'
            WHEN ra.killed = rb.killed THEN 'equal'
            WHEN ra.killed = 0 OR rb.killed = 0 THEN 'none_and_some'     -- an early "no casualties" and a later toll
            WHEN abs(ra.killed - rb.killed) <= greatest(1, floor(greatest(ra.killed, rb.killed) / 2)) THEN 'close'
            ELSE 'far'
        END AS killed_level,
        CASE
            WHEN ra.injured IS NULL OR rb.injured IS NULL THEN NULL
            WHEN ra.injured = 0 AND rb.injured = 0 THEN 'none_both'
            WHEN ra.injured = rb.injured THEN 'equal'
            WHEN ra.injured = 0 OR rb.injured = 0 THEN 'none_and_some'
            WHEN abs(ra.injured - rb.injured) <= greatest(1, floor(greatest(ra.injured, rb.injured) / 2)) THEN 'close'
            ELSE 'far'
        END AS injured_level,
        CASE
            WHEN ra.time_of_day IS NULL OR rb.time_of_day IS NULL THEN NULL
            -- Evening and night, dawn and morning, are told of one hour.
            WHEN ra.time_of_day = rb.time_of_day
              OR least(ra.time_of_day, rb.time_of_day) || ' ' || greatest(ra.time_of_day, rb.time_of_day)
                 IN ('evening night', 'dawn morning') THEN 'same'
            WHEN least(ra.time_of_day, rb.time_of_day) || ' ' || greatest(ra.time_of_day, rb.time_of_day)
                 IN ('dawn evening', 'dawn night') THEN 'opposite_times'
            ELSE 'different'
        END AS time_of_day_level,
        CASE
            WHEN ra.launch_key IS NULL OR rb.launch_key IS NULL THEN NULL
            WHEN ra.launch_key = rb.launch_key THEN 'same'
            ELSE 'different'
        END AS launch_site_level,
        CASE
            WHEN len(ra.claimants) = 0 OR len(rb.claimants) = 0 THEN NULL
            WHEN list_has_any(ra.claimants, rb.claimants) THEN 'shared'
            ELSE 'disjoint'
        END AS claimants_level,
        CASE
            WHEN ra.target_name IS NOT NULL AND ra.target_name = rb.target_name THEN 'same_name'
            WHEN ra.target_type IS NULL OR rb.target_type IS NULL THEN NULL
            WHEN ra.target_type = rb.target_type THEN 'same_type'
            ELSE 'different_type'
        END AS target_level,
        ra.weekday AS weekday_a, rb.weekday AS weekday_b,
        ra.word_count >= $min_words AND rb.word_count >= $min_words AS comparable_words,
        CASE WHEN ra.copy_group = rb.copy_group THEN 'copies' END AS copies_level
    FROM measured p
), judged AS (
    SELECT *,
        CASE WHEN list_contains($hard_negatives, date_level) THEN date_level
             WHEN list_contains($hard_negatives, place_level) THEN place_level END AS field_conflict,
        -- The written weekday of a report whose date is not known ("on Monday", no publication
        -- day) against the other's weekday: what the date comparison could not say.
        CASE
            WHEN date_level IS NOT NULL OR weekday_a IS NULL OR weekday_b IS NULL THEN NULL
            WHEN weekday_a = weekday_b THEN 'same_weekday'
            WHEN (weekday_a - weekday_b + 7) % 7 IN (1, 6) THEN 'next_weekday'
            ELSE 'other_weekday'
        END AS weekday_level
    FROM compared
)
SELECT
    a, b, mention_a, mention_b,
    -- Unless an edit moved them: a copy that drops or adds a paragraph numbers its mentions
    -- differently, and two attacks that cannot be one (another day, another place) say so.
    copies_of_one_report AND field_conflict IS NULL AS copies_of_one_report,
    -- The extractor already decided that two mentions of one article are two attacks.
    CASE WHEN same_article THEN 'same_article' ELSE field_conflict END AS conflict,
    CASE WHEN NOT same_article THEN date_level END AS "date",
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN weekday_level END END AS weekday,
    CASE WHEN NOT same_article THEN place_level END AS place,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN weapon_level END END AS weapon,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN projectile_count_level END END AS projectile_count,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN killed_level END END AS killed,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN injured_level END END AS injured,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN time_of_day_level END END AS time_of_day,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN launch_site_level END END AS launch_site,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN claimants_level END END AS claimants,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN target_level END END AS target,
    NULL::VARCHAR AS "text",
    ($complete OR field_conflict IS NULL) AND NOT same_article AND comparable_words AS needs_text,
    CASE WHEN $complete OR field_conflict IS NULL THEN CASE WHEN NOT same_article THEN copies_level END END AS copies
FROM judged
