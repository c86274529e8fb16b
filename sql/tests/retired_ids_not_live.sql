-- Assertion: an id retired by a merge is not also a live incident's id (ids are never reused),
-- so that v_incident_ids resolves every id to one incident.
SELECT m.retired_id, m.surviving_id
FROM incident_id_map m
JOIN incidents i ON i.incident_id = m.retired_id;
