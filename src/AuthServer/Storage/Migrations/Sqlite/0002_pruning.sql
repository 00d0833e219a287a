-- 0002 pruning (SQLite): one row per scheduled pruning slot (see Pruning/PruneRuns.cs).
CREATE TABLE "prune_runs" (
    "slot" INTEGER NOT NULL CONSTRAINT "pk_prune_runs" PRIMARY KEY,
    "node" TEXT NOT NULL,
    "started_at" INTEGER NOT NULL,
    "finished_at" INTEGER NULL,
    "tokens_deleted" INTEGER NOT NULL,
    "audit_events_deleted" INTEGER NOT NULL,
    "signing_keys_deleted" INTEGER NOT NULL,
    "batches" INTEGER NOT NULL,
    "error" TEXT NULL
);
