// Self-check: runs interop.mjs against oidc-provider (a certified reference
// implementation) to show the interop check itself is correct. Loopback only.
//   node selfcheck/oidc-provider-harness.mjs
// Adaptations to oidc-provider, all explicit here and none defaulted in interop.mjs:
// - client_credentials tokens are JWTs only via resource indicators -> a per-client default resource
// - it refuses to introspect or revoke its own JWT access tokens (400 unsupported_token_type,
//   by design) -> INTEROP_SKIP for those three checks; they still run for the opaque token
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const SCOPE = 'api:read api:write';
const secret = () => randomBytes(24).toString('base64url');
const clients = {
  jwt: { client_id: 'interop-jwt', client_secret: secret() },
  ref: { client_id: 'interop-ref', client_secret: secret() },
  introspector: { client_id: 'interop-introspector', client_secret: secret() },
};
const RESOURCES = { 'urn:interop:jwt-api': 'jwt', 'urn:interop:ref-api': 'opaque' };

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'interop-1' };

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  cookies: { keys: [secret()] },
  scopes: SCOPE.split(' '),
  clients: Object.values(clients).map((c) => ({
    ...c,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPE,
    token_endpoint_auth_method: 'client_secret_basic', // oidc-provider also accepts _post for secret clients
  })),
  findAccount: async () => undefined,
  ttl: { ClientCredentials: 300 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // only the dedicated introspection client may introspect
    introspection: { enabled: true, allowedPolicy: async (ctx, client) => client.clientId === clients.introspector.client_id },
    revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => client.clientId === token.clientId },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client) => (client.clientId === clients.ref.client_id ? 'urn:interop:ref-api' : 'urn:interop:jwt-api'),
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource) => ({
        scope: SCOPE,
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: RESOURCES[resource] ?? 'opaque',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
server.on('request', provider.callback());

const child = spawn(process.execPath, [fileURLToPath(new URL('../interop.mjs', import.meta.url))], {
  stdio: 'inherit',
  env: {
    ...process.env,
    ISSUER: issuer,
    INTEROP_SKIP: 'jwt-introspect-active,jwt-revoke,jwt-introspect-inactive',
    SCOPE,
    CLIENT_ID: clients.jwt.client_id,
    CLIENT_SECRET: clients.jwt.client_secret,
    INTROSPECT_CLIENT_ID: clients.introspector.client_id,
    INTROSPECT_CLIENT_SECRET: clients.introspector.client_secret,
    REF_CLIENT_ID: clients.ref.client_id,
    REF_CLIENT_SECRET: clients.ref.client_secret,
  },
});
const timer = setTimeout(() => { console.error('self-check timed out'); child.kill(); }, 60_000);
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
clearTimeout(timer);
server.close();
process.exit(code);
