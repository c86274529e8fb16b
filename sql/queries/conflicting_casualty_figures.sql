-- Question: where do sources give different numbers of killed or injured for the same attack?
-- One row per incident and figure: what each outlet said, and what the incident holds (the
-- lowest credible figure, as ACLED codes fatalities; the highest is in killed_max/injured_max).
SELECT
    c.incident_id,
    i.event_date,
    i.location_name,
    c.field,
    CASE c.field WHEN 'killed' THEN i.killed ELSE i.injured END AS incident_value,
    CASE c.field WHEN 'killed' THEN i.killed_max ELSE i.injured_max END AS highest_value,
    string_agg(coalesce(c.outlet, c.article_id) || ': ' || c.value, '; ' ORDER BY c.published_at, c.article_id)
        AS values_by_source,
    c.n_sources
FROM v_conflicts c
JOIN v_incidents i ON i.incident_id = c.incident_id
WHERE c.field IN ('killed', 'injured')
GROUP BY ALL
ORDER BY i.event_date DESC NULLS LAST, c.incident_id, c.field;
