-- Assertion: every incident's target_type is one of the contract's vocabulary.
SELECT incident_id, target_type
FROM incidents
WHERE target_type IS NULL
   OR target_type NOT IN ('diplomatic', 'military', 'airport', 'convoy', 'civilian', 'government',
                          'infrastructure', 'unknown');
