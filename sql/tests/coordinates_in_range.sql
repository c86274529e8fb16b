-- Assertion: coordinates are valid WGS 84 degrees, given as a pair or not at all.
SELECT incident_id, latitude, longitude
FROM incidents
WHERE latitude NOT BETWEEN -90 AND 90
   OR longitude NOT BETWEEN -180 AND 180
   OR (latitude IS NULL) <> (longitude IS NULL);
