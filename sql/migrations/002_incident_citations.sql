-- Schema version 2: what the analyst views used to aggregate over the whole history on every
-- query (who reported an incident, the sentences it cites) is kept in tables, rebuilt by the
-- transforms for the incidents a run reconciles. At 1M articles `SELECT * FROM v_incidents
-- LIMIT 5` took 11.5 s and 2.6 GiB of memory (docs/benchmarks.md, "Analysts' queries").
-- A database upgraded to it is filled by its next run (store.rebuild_derived_rows).

-- The row whose sentence the incident cites for its value of a field: a primary source before
-- a background one, an original before its copies, then the earliest published.
ALTER TABLE incident_field_values ADD COLUMN cited BOOLEAN DEFAULT false;

-- One row per incident and article that reports it (an article with several mentions of one
-- incident, a first report and an update, is one source).
CREATE TABLE incident_articles (
    incident_id         VARCHAR NOT NULL,
    article_id          VARCHAR NOT NULL,
    role                VARCHAR NOT NULL,          -- primary if any of its mentions is
    evidence_mention_id VARCHAR,                   -- the mention whose sentence reports the attack
    mention_count       INTEGER NOT NULL
);

-- One row per incident: who reported it and the sentences behind its values (v_incidents).
CREATE TABLE incident_citations (
    incident_id             VARCHAR NOT NULL,
    outlets                 VARCHAR[] NOT NULL,
    urls                    VARCHAR[] NOT NULL,
    first_published_at      TIMESTAMP,
    last_published_at       TIMESTAMP,
    evidence                VARCHAR,
    event_date_evidence     VARCHAR,
    killed_evidence         VARCHAR,
    injured_evidence        VARCHAR,
    location_evidence       VARCHAR
);
