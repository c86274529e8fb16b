-- Schema version 1: every table of the contract, and the state the pipeline needs to be
-- incremental (what was read, signatures for near copies, mentions before reconciliation).

CREATE SEQUENCE IF NOT EXISTS pipeline_run_id_seq START 1;

CREATE TABLE pipeline_runs (
    run_id              INTEGER PRIMARY KEY DEFAULT nextval('pipeline_run_id_seq'),
    flow_run_id         VARCHAR,
    started_at          TIMESTAMP NOT NULL,
    finished_at         TIMESTAMP,
    status              VARCHAR NOT NULL,          -- completed (failed runs leave no row: see docs)
    inbox               VARCHAR,
    files_seen          INTEGER,
    files_new           INTEGER,
    files_changed       INTEGER,
    files_unchanged     INTEGER,
    files_deferred      INTEGER,                   -- still being written: read next run
    files_rejected      INTEGER,
    articles_added      INTEGER,
    articles_updated    INTEGER,
    duplicates_found    INTEGER,
    mentions_extracted  INTEGER,
    incidents_new       INTEGER,
    incidents_updated   INTEGER,
    incidents_retired   INTEGER,
    incidents_total     INTEGER,
    settings            VARCHAR                    -- JSON of the run's settings
);

-- What was read from the inbox: the basis of incremental runs.
CREATE TABLE inbox_files (
    source_file     VARCHAR PRIMARY KEY,           -- path relative to the inbox
    size_bytes      BIGINT,
    mtime_ns        BIGINT,
    content_sha256  VARCHAR,
    outcome         VARCHAR NOT NULL,              -- article | rejected | sidecar | deleted
    article_count   INTEGER NOT NULL DEFAULT 0,
    first_seen_at   TIMESTAMP NOT NULL,
    last_read_at    TIMESTAMP NOT NULL,
    last_run_id     INTEGER
);

CREATE TABLE articles (
    article_id              VARCHAR PRIMARY KEY,   -- stable: derived from source_file
    source_file             VARCHAR NOT NULL UNIQUE,
    external_id             VARCHAR,               -- the `id` a JSON article carried
    content_sha256          VARCHAR NOT NULL,      -- of the decoded text (UTF-8)
    normalized_sha256       VARCHAR NOT NULL,      -- of the matching form: exact copies share it
    published_at            TIMESTAMP,             -- UTC
    published_utc_offset_minutes INTEGER,          -- the offset the source gave (local date = UTC + offset)
    published_at_origin     VARCHAR NOT NULL,      -- metadata | html | dateline | none
    source                  VARCHAR,
    url                     VARCHAR,
    title                   VARCHAR,
    text                    VARCHAR NOT NULL,      -- original text, as decoded
    encoding                VARCHAR,
    char_count              INTEGER,
    version                 INTEGER NOT NULL DEFAULT 1,
    ingested_at             TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    duplicate_of            VARCHAR,               -- first-seen article this one copies
    duplicate_kind          VARCHAR,               -- exact | near
    duplicate_similarity    DOUBLE,
    run_id                  INTEGER
);

-- A changed file replaces its article; the text it had is kept here.
CREATE TABLE article_versions (
    article_id      VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    content_sha256  VARCHAR,
    published_at    TIMESTAMP,
    source          VARCHAR,
    title           VARCHAR,
    text            VARCHAR,
    superseded_at   TIMESTAMP NOT NULL,
    superseded_by_run INTEGER,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE article_signatures (
    article_id  VARCHAR PRIMARY KEY,
    minhash     UINTEGER[] NOT NULL
);

-- One row per article and LSH band: near-copy candidates are an equi-join on (band, band_key).
CREATE TABLE article_band_keys (
    article_id  VARCHAR NOT NULL,
    band        SMALLINT NOT NULL,
    band_key    BIGINT NOT NULL
);

CREATE TABLE rejected_files (
    source_file VARCHAR PRIMARY KEY,
    reason      VARCHAR NOT NULL,                  -- empty | binary | undecodable | unsupported_type | ...
    detail      VARCHAR,
    seen_at     TIMESTAMP NOT NULL,
    size_bytes  BIGINT,
    run_id      INTEGER
);

-- What one article says about one attack, before reports are reconciled into incidents.
CREATE TABLE mentions (
    mention_id              VARCHAR PRIMARY KEY,   -- article_id + ':' + index
    article_id              VARCHAR NOT NULL,
    mention_index           INTEGER NOT NULL,
    role                    VARCHAR NOT NULL,      -- primary | background
    event_date              DATE,
    date_precision          VARCHAR NOT NULL,
    event_year              INTEGER,
    event_month             INTEGER,
    event_day               INTEGER,
    time_of_day             VARCHAR,
    place_id                VARCHAR,
    location_name           VARCHAR,
    location_name_ar        VARCHAR,
    country                 VARCHAR,
    admin1                  VARCHAR,
    city                    VARCHAR,
    latitude                DOUBLE,
    longitude               DOUBLE,
    geo_precision           VARCHAR,
    weapon_type             VARCHAR NOT NULL,
    weapon_detail           VARCHAR,
    projectile_count        INTEGER,
    projectiles_landed      INTEGER,
    projectiles_intercepted INTEGER,
    killed                  INTEGER,
    injured                 INTEGER,
    property_damage         BOOLEAN,
    target_type             VARCHAR NOT NULL,
    target_name             VARCHAR,
    launch_site             VARCHAR,
    launch_place_id         VARCHAR,
    perpetrator_claimed     VARCHAR,
    claim_disowned          BOOLEAN,
    perpetrator_accused     VARCHAR,
    confidence              DOUBLE,
    evidence                VARCHAR                -- the sentence that reports the attack
);

-- Every value a mention gave, with the sentence and span it was read from.
CREATE TABLE mention_values (
    mention_id  VARCHAR NOT NULL,
    article_id  VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    value       VARCHAR,
    evidence    VARCHAR,                           -- the original sentence
    span_start  INTEGER,                           -- character offsets in articles.text
    span_end    INTEGER,
    confidence  DOUBLE,
    statement   INTEGER                            -- order in the article: a later update wins
);

CREATE TABLE incidents (
    incident_id             VARCHAR PRIMARY KEY,
    event_date              DATE,
    date_precision          VARCHAR NOT NULL,
    time_of_day             VARCHAR,
    country                 VARCHAR,
    admin1                  VARCHAR,
    city                    VARCHAR,
    location_name           VARCHAR,
    location_name_ar        VARCHAR,
    place_id                VARCHAR,
    latitude                DOUBLE,
    longitude               DOUBLE,
    geo_precision           VARCHAR,
    weapon_type             VARCHAR NOT NULL,
    weapon_detail           VARCHAR,
    projectile_count        INTEGER,
    projectile_count_max    INTEGER,
    killed                  INTEGER,
    killed_max              INTEGER,
    injured                 INTEGER,
    injured_max             INTEGER,
    property_damage         BOOLEAN,
    target_type             VARCHAR NOT NULL,
    target_name             VARCHAR,
    launch_site             VARCHAR,
    perpetrator_claimed     VARCHAR,
    claim_disowned          BOOLEAN,
    perpetrator_accused     VARCHAR,
    source_count            INTEGER NOT NULL,      -- independent sources: copies count once
    article_count           INTEGER NOT NULL,
    single_source           BOOLEAN NOT NULL,
    is_background           BOOLEAN NOT NULL,
    first_reported_at       TIMESTAMP,
    created_run_id          INTEGER,
    updated_run_id          INTEGER
);

CREATE TABLE incident_sources (
    incident_id VARCHAR NOT NULL,
    article_id  VARCHAR NOT NULL,
    mention_id  VARCHAR NOT NULL,
    role        VARCHAR NOT NULL                   -- primary | background
);

CREATE TABLE incident_field_values (
    incident_id VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    value       VARCHAR,
    article_id  VARCHAR NOT NULL,
    mention_id  VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    evidence    VARCHAR,
    span_start  INTEGER,
    span_end    INTEGER,
    confidence  DOUBLE,
    chosen      BOOLEAN NOT NULL                   -- this value is the incident's
);

-- Where new evidence merged two incidents: the retired id resolves to the surviving one.
CREATE TABLE incident_id_map (
    retired_id      VARCHAR PRIMARY KEY,
    surviving_id    VARCHAR NOT NULL,
    retired_at      TIMESTAMP NOT NULL,
    run_id          INTEGER
);
