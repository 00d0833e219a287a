-- 0002 pruning (PostgreSQL): one row per scheduled pruning slot; its primary key lets exactly
-- one node run each trigger (see Pruning/PruneRuns.cs).
CREATE TABLE prune_runs (
    slot bigint NOT NULL,
    node character varying(200) NOT NULL,
    started_at bigint NOT NULL,
    finished_at bigint,
    tokens_deleted bigint NOT NULL,
    audit_events_deleted bigint NOT NULL,
    signing_keys_deleted bigint NOT NULL,
    batches integer NOT NULL,
    error character varying(2000),
    CONSTRAINT pk_prune_runs PRIMARY KEY (slot)
);
