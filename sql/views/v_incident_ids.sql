-- Every id that was ever an incident's, and the live incident it stands for now: a live id
-- stands for itself; an id retired by a merge follows `incident_id_map` to its survivor, and on
-- through later merges. `live_id` is NULL when the chain ends at an incident that no longer
-- exists (all of its articles were removed from the inbox).
CREATE OR REPLACE VIEW v_incident_ids AS
WITH RECURSIVE chain(incident_id, current_id, retired_at, hops) AS (
    SELECT retired_id, surviving_id, retired_at, 1
    FROM incident_id_map
    UNION ALL
    SELECT c.incident_id, m.surviving_id, c.retired_at, c.hops + 1
    FROM chain c
    JOIN incident_id_map m ON m.retired_id = c.current_id
    -- retired ids are never reused, so a chain cannot loop; the bound only guards bad data
    WHERE c.hops < 100
),
resolved AS (
    SELECT incident_id, arg_max(current_id, hops) AS current_id, any_value(retired_at) AS retired_at, max(hops) AS hops
    FROM chain
    GROUP BY incident_id
)
SELECT incident_id, incident_id AS live_id, true AS is_live, CAST(NULL AS TIMESTAMP) AS retired_at, 0 AS merges
FROM incidents
UNION ALL
SELECT r.incident_id, i.incident_id, false, r.retired_at, r.hops
FROM resolved r
LEFT JOIN incidents i ON i.incident_id = r.current_id;
