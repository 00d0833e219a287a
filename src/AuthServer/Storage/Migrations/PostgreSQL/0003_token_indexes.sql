-- 0003 token indexes (PostgreSQL): fewer index entries per stored token. ix_tokens_renewed_at was
-- never read (renewal alone does not make a token prunable); ix_tokens_revoked_at now holds only
-- revoked tokens, the only ones pruning looks up by revoked_at, so issuing a token writes two index
-- entries fewer. On a large table the CREATE INDEX reads it once; run `migrate` before the new nodes.
DROP INDEX ix_tokens_renewed_at;
DROP INDEX ix_tokens_revoked_at;
CREATE INDEX ix_tokens_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
