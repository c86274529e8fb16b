-- Schema version 3: reconciliation as record linkage (docs/reconciliation.md). Every pair of
-- reports the linkage compared, with its weight and each field's part in it; the blocking index a
-- night finds its candidates through; the analysts' must-link / cannot-link decisions; and how
-- strongly each incident's reports hold together. A database upgraded to it is regrouped in full
-- by its next run (the rules fingerprint changes), which fills the first two tables.

-- How strongly an incident's reports hold together; NULL for an incident of one report.
ALTER TABLE incidents ADD COLUMN link_confidence DOUBLE;

CREATE TABLE report_links (
    mention_a           VARCHAR NOT NULL,          -- the lower mention id of the pair
    mention_b           VARCHAR NOT NULL,
    weight              DOUBLE NOT NULL,           -- log2 odds of one attack: prior + every w_ column
    is_link             BOOLEAN NOT NULL,          -- weight at the threshold or above and no hard negative, or copies / must-link
    conflict            VARCHAR,                   -- why they can never be one attack (a hard negative)
    decision            VARCHAR,                   -- copies | must_link | cannot_link (an analyst's)
    levels              VARCHAR,                   -- 'date=same_day; place=within_3km; ...' (missing fields left out)
    w_date              DOUBLE NOT NULL,
    w_place             DOUBLE NOT NULL,
    w_weapon            DOUBLE NOT NULL,
    w_projectile_count  DOUBLE NOT NULL,
    w_killed            DOUBLE NOT NULL,
    w_injured           DOUBLE NOT NULL,
    w_time_of_day       DOUBLE NOT NULL,
    w_launch_site       DOUBLE NOT NULL,
    w_claimants         DOUBLE NOT NULL,
    w_target            DOUBLE NOT NULL,
    w_text              DOUBLE NOT NULL,
    w_copies            DOUBLE NOT NULL
);

-- The blocking index: a report is filed under its index keys and looks for partners under its
-- probe keys (incidents/linkage/candidates.py).
CREATE TABLE link_keys (
    mention_id  VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,                  -- index | probe
    key         VARCHAR NOT NULL
);

CREATE SEQUENCE link_override_id_seq START 1;

-- An analyst's decision between two reports, respected by every later run. A decision given
-- between incidents or articles is stored as one row per pair of their reports.
CREATE TABLE link_overrides (
    override_id     INTEGER NOT NULL,              -- one decision (its rows share it)
    mention_a       VARCHAR NOT NULL,              -- the lower mention id
    mention_b       VARCHAR NOT NULL,
    decision        VARCHAR NOT NULL,              -- must_link | cannot_link
    given_as        VARCHAR NOT NULL,              -- what the analyst named: 'inc_... inc_...'
    note            VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    applied_run_id  INTEGER                        -- the first run that regrouped with it
);
