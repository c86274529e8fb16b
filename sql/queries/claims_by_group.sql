-- Question: which groups claimed attacks, how many, with what weapons, and when?
-- An incident claimed by two groups counts for each. `disowned` counts the incidents where a
-- claim was later denied by the group named.
SELECT
    claimant,
    count(*) AS incidents,
    count(*) FILTER (WHERE claim_disowned) AS disowned,
    min(event_date) AS first_claimed_attack,
    max(event_date) AS last_claimed_attack,
    string_agg(DISTINCT weapon_type, ', ' ORDER BY weapon_type) AS weapons,
    string_agg(DISTINCT target_type, ', ' ORDER BY target_type) AS targets,
    coalesce(sum(killed), 0) AS killed
FROM v_incidents, unnest(string_split(perpetrator_claimed, '; ')) AS claimed(claimant)
WHERE NOT is_background AND perpetrator_claimed IS NOT NULL
GROUP BY claimant
ORDER BY incidents DESC, claimant;
