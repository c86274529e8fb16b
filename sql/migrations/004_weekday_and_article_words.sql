-- Schema version 4: two kinds of linkage evidence for reports that give no date
-- (docs/reconciliation.md). A report's written weekday ("on Monday"), known even when its date is
-- not; and each article's uncommon words, which the reports of one attack share (names, quotes).
-- A database upgraded to it has its stored articles' words filled by its next run (load), which
-- also regroups in full (the rules fingerprint changes); mentions stored before it keep no weekday.

-- 0 = Monday
ALTER TABLE mentions ADD COLUMN event_weekday TINYINT;

ALTER TABLE report_links ADD COLUMN w_weekday DOUBLE NOT NULL DEFAULT 0;

CREATE TABLE article_words (
    article_id  VARCHAR PRIMARY KEY,
    words       VARCHAR NOT NULL,                  -- its uncommon words, normalized, sorted, space-separated
    rarity      DOUBLE NOT NULL,                   -- their summed rarity (incidents/linkage/words.py)
    rarest      VARCHAR NOT NULL                   -- the ten rarest that Arabic knows, rarest first
);
