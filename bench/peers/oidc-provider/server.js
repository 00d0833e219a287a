// A benchmark peer for bench/run.sh (issue 28): oidc-provider (panva), one process, in memory,
// set up for the same client_credentials, introspection and revocation requests as AuthServer's
// cells. Started by bench/oidc-provider.sh; bench/method.md says what is the same and what differs.
//
//   NODE_ENV=production node server.js
//
// Environment:
//   PEER_PORT                  loopback port to listen on (required)
//   PEER_ISSUER                issuer (default https://bench.local, AuthServer's in the benchmark)
//   PEER_ES256_CLIENT          "id:secret" of the client whose access tokens are ES256 JWTs
//   PEER_REFERENCE_CLIENT      "id:secret" of the client whose access tokens are opaque (reference)
//   PEER_INTROSPECTION_CLIENT  "id:secret" of the client that may introspect tokens of the audience
//   PEER_SEED_INTROSPECT       "N:FILE": issue N opaque tokens to the reference client before
//                              listening, one handle a line to FILE (the introspection cell's pool)
//   PEER_SEED_REVOKE           "N:FILE": the same, for the revocation cell (each revoked once)
//   PEER_STORE_SIZE            capacity of the in-memory store, in entries (default 4,000,000)
//
// The store: oidc-provider's own in-memory adapter (lib/adapters/memory_adapter.js) over its own
// LRU (lib/helpers/lru.js), as the default set-up uses them, with one change: the default store
// holds 1,000 entries (two generations of them), so a token issued more than 1,000-2,000 tokens ago
// is forgotten; introspecting it answers {"active":false} and revoking it is a no-op, neither of
// which is the work a cell means to measure (20,000 tokens to introspect, hundreds of thousands
// to revoke). With PEER_STORE_SIZE entries no token of a run is evicted.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { exportJWK, generateKeyPair } from 'jose';

// The same scope and audience as AuthServer's cells (`scopes create --name payments --audience https://payments.bench`).
const SCOPE = 'payments';
const AUDIENCE = 'https://payments.bench';
// AuthServer's default access-token lifetime (AuthServer:DefaultAccessTokenLifetimeSeconds, one hour).
const TTL = 3600;

function credentials(name) {
  const value = process.env[name];
  const colon = value?.indexOf(':') ?? -1;
  if (colon <= 0) throw new Error(`${name} must be "id:secret"`);
  return { client_id: value.slice(0, colon), client_secret: value.slice(colon + 1) };
}

const port = Number(process.env.PEER_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PEER_PORT must be a port number');
const es256 = credentials('PEER_ES256_CLIENT');
const reference = credentials('PEER_REFERENCE_CLIENT');
const introspection = credentials('PEER_INTROSPECTION_CLIENT');

// One ES256 signing key (P-256), as AuthServer's ES256 client signs with.
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const store = new LRU({ maxSize: Number(process.env.PEER_STORE_SIZE || 4_000_000) });

const client = (c) => ({
  ...c,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: SCOPE,
  token_endpoint_auth_method: 'client_secret_basic', // the cells' wrk script sends Authorization: Basic
  id_token_signed_response_alg: 'ES256', // (no ID tokens here; the default, RS256, has no key)
});

const provider = new Provider(process.env.PEER_ISSUER || 'https://bench.local', {
  adapter: (model) => new MemoryAdapter(model, store),
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: [SCOPE],
  clients: [client(es256), client(reference), client(introspection)],
  findAccount: async () => undefined,
  // The same paths as AuthServer's, so that the cells send the very same requests.
  routes: {
    token: '/connect/token',
    introspection: '/connect/introspect',
    revocation: '/connect/revoke',
  },
  ttl: { ClientCredentials: TTL },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // As AuthServer (issue 14): an introspecting client learns only tokens of the audiences it is
    // registered for; here the one introspection client and the one audience.
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, caller, token) => caller.clientId === introspection.client_id
        && (Array.isArray(token.aud) ? token.aud.includes(AUDIENCE) : token.aud === AUDIENCE),
    },
    // A client revokes its own tokens (oidc-provider's default rule, spelled out).
    revocation: {
      enabled: true,
      allowedPolicy: async (ctx, caller, token) => {
        if (token.clientId !== caller.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        return true;
      },
    },
    // client_credentials access tokens carry an audience only through resource indicators; the
    // request bodies have no `resource`, so every client gets the one audience by default, and
    // the client decides the format: ES256 JWT or opaque (stored in the adapter).
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => AUDIENCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource, caller) => {
        if (resource !== AUDIENCE) throw new errors.InvalidTarget();
        return resourceServerInfo(caller.clientId);
      },
    },
  },
});
provider.on('server_error', (ctx, error) => console.error('server_error', error));

function resourceServerInfo(clientId) {
  return {
    scope: SCOPE,
    audience: AUDIENCE,
    accessTokenTTL: TTL,
    accessTokenFormat: clientId === es256.client_id ? 'jwt' : 'opaque',
    jwt: { sign: { alg: 'ES256' } },
  };
}

// Seeding: tokens made as the client_credentials grant makes them (lib/actions/grants/
// client_credentials.js: a ClientCredentials token for the client and scope, with the resource
// server; save() stores it in the adapter and returns the handle), without HTTP.
async function seed(variable) {
  const value = process.env[variable];
  if (!value) return;
  const colon = value.indexOf(':');
  const count = Number(value.slice(0, colon));
  const file = value.slice(colon + 1);
  const owner = await provider.Client.find(reference.client_id);
  const resourceServer = new provider.ResourceServer(AUDIENCE, resourceServerInfo(owner.clientId));
  const handles = new Array(count);
  for (let i = 0; i < count; i++) {
    const token = new provider.ClientCredentials({ client: owner, scope: SCOPE });
    token.resourceServer = resourceServer;
    handles[i] = await token.save();
  }
  writeFileSync(file, handles.length ? `${handles.join('\n')}\n` : '');
}
const started = Date.now();
await seed('PEER_SEED_INTROSPECT');
await seed('PEER_SEED_REVOKE');
if (process.env.PEER_SEED_INTROSPECT || process.env.PEER_SEED_REVOKE) console.log(`seeded in ${Date.now() - started} ms`);

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on 127.0.0.1:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 2000).unref());
