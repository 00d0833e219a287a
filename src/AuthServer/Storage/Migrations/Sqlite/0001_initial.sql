-- 0001 initial schema (SQLite). Hand-written; must match AuthServerDbContext (checked by SchemaMatchesModelTests).
CREATE TABLE "audit_events" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_audit_events" PRIMARY KEY AUTOINCREMENT,
    "occurred_at" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actor_organisation_id" TEXT NOT NULL,
    "actor_credential" TEXT NOT NULL,
    "target_organisation_id" TEXT NOT NULL,
    "target_token_id" TEXT NULL,
    "count" INTEGER NOT NULL,
    "detail" TEXT NULL
);

CREATE TABLE "organisations" (
    "id" TEXT NOT NULL CONSTRAINT "pk_organisations" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "parent_id" TEXT NULL,
    "path" TEXT NOT NULL,
    "revoked_before_sequence" INTEGER NOT NULL,
    "tokens_revoked_at" INTEGER NULL,
    "created_at" INTEGER NOT NULL,
    CONSTRAINT "fk_organisations_parent_id" FOREIGN KEY ("parent_id") REFERENCES "organisations" ("id") ON DELETE RESTRICT
);

CREATE TABLE "scopes" (
    "name" TEXT NOT NULL CONSTRAINT "pk_scopes" PRIMARY KEY,
    "audience" TEXT NULL,
    "created_at" INTEGER NOT NULL
);

CREATE TABLE "signing_keys" (
    "id" TEXT NOT NULL CONSTRAINT "pk_signing_keys" PRIMARY KEY,
    "algorithm" TEXT NOT NULL,
    "public_jwk" TEXT NOT NULL,
    "protected_private_key" BLOB NOT NULL,
    "created_at" INTEGER NOT NULL,
    "activates_at" INTEGER NOT NULL,
    "retired_at" INTEGER NULL,
    "published_until" INTEGER NULL
);

CREATE TABLE "tokens" (
    "sequence" INTEGER NOT NULL CONSTRAINT "pk_tokens" PRIMARY KEY AUTOINCREMENT,
    "id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "organisation_id" TEXT NOT NULL,
    "requesting_organisation_id" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "api_key_id" TEXT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "created_at" INTEGER NOT NULL,
    "expires_at" INTEGER NOT NULL,
    "revoked_at" INTEGER NULL,
    "revoked_by" TEXT NULL,
    "renewed_at" INTEGER NULL,
    "renewed_from_id" TEXT NULL,
    "reference_hash" BLOB NULL
);

CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL CONSTRAINT "pk_api_keys" PRIMARY KEY,
    "organisation_id" TEXT NOT NULL,
    "name" TEXT NULL,
    "key_hash" BLOB NOT NULL,
    "created_at" INTEGER NOT NULL,
    "revoked_at" INTEGER NULL,
    CONSTRAINT "fk_api_keys_organisation_id" FOREIGN KEY ("organisation_id") REFERENCES "organisations" ("id") ON DELETE RESTRICT
);

CREATE TABLE "clients" (
    "client_id" TEXT NOT NULL CONSTRAINT "pk_clients" PRIMARY KEY,
    "organisation_id" TEXT NOT NULL,
    "name" TEXT NULL,
    "secret_hash" BLOB NOT NULL,
    "scopes" TEXT NOT NULL,
    "grant_types" TEXT NOT NULL,
    "token_format" TEXT NOT NULL,
    "signing_algorithm" TEXT NULL,
    "can_introspect" INTEGER NOT NULL,
    "access_token_lifetime_seconds" INTEGER NULL,
    "created_at" INTEGER NOT NULL,
    CONSTRAINT "fk_clients_organisation_id" FOREIGN KEY ("organisation_id") REFERENCES "organisations" ("id") ON DELETE RESTRICT
);

CREATE UNIQUE INDEX "ix_api_keys_key_hash" ON "api_keys" ("key_hash");

CREATE INDEX "ix_api_keys_organisation_id" ON "api_keys" ("organisation_id");

CREATE INDEX "ix_audit_events_actor_organisation_id_id" ON "audit_events" ("actor_organisation_id", "id");

CREATE INDEX "ix_audit_events_occurred_at" ON "audit_events" ("occurred_at");

CREATE INDEX "ix_audit_events_target_organisation_id_id" ON "audit_events" ("target_organisation_id", "id");

CREATE INDEX "ix_clients_organisation_id" ON "clients" ("organisation_id");

CREATE INDEX "ix_organisations_parent_id" ON "organisations" ("parent_id");

CREATE INDEX "ix_organisations_path" ON "organisations" ("path");

CREATE INDEX "ix_tokens_expires_at" ON "tokens" ("expires_at");

CREATE UNIQUE INDEX "ix_tokens_id" ON "tokens" ("id");

CREATE INDEX "ix_tokens_organisation_id_client_id_subject" ON "tokens" ("organisation_id", "client_id", "subject");

CREATE INDEX "ix_tokens_organisation_id_status_sequence_expires_at" ON "tokens" ("organisation_id", "status", "sequence", "expires_at");

CREATE UNIQUE INDEX "ix_tokens_reference_hash" ON "tokens" ("reference_hash");

CREATE INDEX "ix_tokens_renewed_at" ON "tokens" ("renewed_at");

CREATE INDEX "ix_tokens_revoked_at" ON "tokens" ("revoked_at");

