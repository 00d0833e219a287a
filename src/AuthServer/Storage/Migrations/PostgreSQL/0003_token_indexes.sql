-- authserver: no-transaction
-- 0003 token indexes (PostgreSQL): fewer index entries per stored token. ix_tokens_renewed_at was
-- never read (renewal alone does not make a token prunable); ix_tokens_revoked_at now holds only
-- revoked tokens, the only ones pruning looks up by revoked_at, so issuing a token writes two index
-- entries fewer.
-- Online: the old nodes go on issuing tokens while this runs. CONCURRENTLY takes no lock that
-- blocks writes (a plain CREATE or DROP INDEX would hold every issuance for as long as it reads
-- the table), and it cannot run in a transaction, so each statement can be repeated: a run that
-- stopped half-way (leaving an invalid ix_tokens_revoked_at_new) is finished by the next one.
DROP INDEX CONCURRENTLY IF EXISTS ix_tokens_renewed_at;
DROP INDEX CONCURRENTLY IF EXISTS ix_tokens_revoked_at_new;
CREATE INDEX CONCURRENTLY ix_tokens_revoked_at_new ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS ix_tokens_revoked_at;
ALTER INDEX ix_tokens_revoked_at_new RENAME TO ix_tokens_revoked_at;
