-- Assertion: every incident's weapon_type is one of the contract's vocabulary.
SELECT incident_id, weapon_type
FROM incidents
WHERE weapon_type IS NULL
   OR weapon_type NOT IN ('rocket', 'mortar', 'drone', 'ied', 'missile', 'airstrike', 'gunfire', 'unknown');
