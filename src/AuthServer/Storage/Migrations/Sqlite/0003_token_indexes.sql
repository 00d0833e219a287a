-- 0003 token indexes (SQLite): fewer index entries per stored token; see the PostgreSQL script.
DROP INDEX "ix_tokens_renewed_at";
DROP INDEX "ix_tokens_revoked_at";
CREATE INDEX "ix_tokens_revoked_at" ON "tokens" ("revoked_at") WHERE revoked_at IS NOT NULL;
