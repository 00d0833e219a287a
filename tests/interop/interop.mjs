// OAuth 2.0 interoperability check: drives a running authorization server with
// third-party client libraries (oauth4webapi for the protocol, jose for JWTs).
// See README.md for the environment variables. Secrets are never printed.
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const env = (name) => {
  const v = process.env[name];
  if (v === undefined || v === '') { console.error(`missing env ${name}`); process.exit(2); }
  return v;
};
const ISSUER = env('ISSUER');
const SCOPE = env('SCOPE');
const CLIENT = { id: env('CLIENT_ID'), secret: env('CLIENT_SECRET') };
const INTROSPECTOR = { id: env('INTROSPECT_CLIENT_ID'), secret: env('INTROSPECT_CLIENT_SECRET') };
const REF = process.env.REF_CLIENT_ID ? { id: process.env.REF_CLIENT_ID, secret: env('REF_CLIENT_SECRET') } : null;
// Optional: the authorization code flow of a public client, with a person who signs in and allows.
const CODE = process.env.CODE_CLIENT_ID
  ? { id: process.env.CODE_CLIENT_ID, redirectUri: env('CODE_REDIRECT_URI'), email: env('USER_EMAIL'), password: env('USER_PASSWORD') }
  : null;
// Escape hatch for reference servers that cannot satisfy a check; comma-separated check ids. Empty by default.
const SKIP = new Set((process.env.INTEROP_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const opts = { [oauth.allowInsecureRequests]: true, signal: () => AbortSignal.timeout(10_000) };
let passed = 0, failed = 0, skipped = 0;

function assert(cond, msg) { if (!cond) throw new Error(msg); }
function describe(err) {
  if (err instanceof oauth.ResponseBodyError) return `${err.status} ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
  return `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
}
async function check(id, name, fn) {
  if (SKIP.has(id)) { skipped++; console.log(`ok - ${name} # SKIP via INTEROP_SKIP=${id}`); return undefined; }
  try {
    const result = await fn();
    passed++; console.log(`ok - ${name}`);
    return result ?? true;
  } catch (err) {
    failed++; console.log(`not ok - ${name}: ${describe(err)}`);
    return undefined;
  }
}
function finish() {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed ? 1 : 0);
}

const client = (c) => ({ client_id: c.id });
const basic = (c) => oauth.ClientSecretBasic(c.secret);
const isJwt = (t) => t.split('.').length === 3;
const nowSec = () => Math.floor(Date.now() / 1000);

async function clientCredentials(c, auth) {
  const res = await oauth.clientCredentialsGrantRequest(as, client(c), auth, { scope: SCOPE }, opts);
  const tok = await oauth.processClientCredentialsResponse(as, client(c), res);
  assert(tok.token_type.toLowerCase() === 'bearer', `token_type is ${tok.token_type}, expected Bearer`);
  assert(typeof tok.expires_in === 'number' && tok.expires_in > 0, `expires_in ${tok.expires_in} not > 0`);
  const granted = new Set((tok.scope ?? '').split(' ').filter(Boolean));
  for (const s of SCOPE.split(' ')) assert(granted.has(s), `scope "${tok.scope}" lacks "${s}"`);
  return tok;
}
async function introspect(token) {
  const res = await oauth.introspectionRequest(as, client(INTROSPECTOR), basic(INTROSPECTOR), token,
    { ...opts, additionalParameters: { token_type_hint: 'access_token' } });
  return oauth.processIntrospectionResponse(as, client(INTROSPECTOR), res);
}
function assertActive(info, c) {
  assert(info.active === true, `active is ${info.active}`);
  assert(info.client_id === c.id, `client_id is ${info.client_id}`);
  assert(typeof info.token_type === 'string' && info.token_type.toLowerCase() === 'bearer', `token_type is ${info.token_type}`);
  assert(typeof info.exp === 'number' && info.exp > nowSec(), `exp ${info.exp} not in the future`);
}
async function revoke(c, token) {
  const res = await oauth.revocationRequest(as, client(c), basic(c), token,
    { ...opts, additionalParameters: { token_type_hint: 'access_token' } });
  await oauth.processRevocationResponse(res);
}
async function lifecycle(label, c, token) {
  await check(`${label}-introspect-active`, `${label}: introspection reports active token`, async () => assertActive(await introspect(token), c));
  const revoked = await check(`${label}-revoke`, `${label}: revocation by the owning client (RFC 7009)`, () => revoke(c, token));
  if (revoked || SKIP.has(`${label}-introspect-inactive`)) {
    await check(`${label}-introspect-inactive`, `${label}: introspection after revocation reports active=false`, async () => {
      const info = await introspect(token);
      assert(info.active === false, `active is ${info.active}`);
    });
  }
}

// 1. Discovery (RFC 8414)
const issuerUrl = new URL(ISSUER);
const as = await check('discovery', 'RFC 8414 discovery metadata with matching issuer and endpoints', async () => {
  const meta = await oauth.processDiscoveryResponse(issuerUrl,
    await oauth.discoveryRequest(issuerUrl, { ...opts, algorithm: 'oauth2' }));
  assert(meta.issuer === issuerUrl.href || meta.issuer === ISSUER, `issuer is ${meta.issuer}`);
  for (const k of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'jwks_uri']) {
    assert(typeof meta[k] === 'string' && URL.canParse(meta[k]), `metadata lacks ${k}`);
  }
  return meta;
});
if (!as) finish();

// 2. client_credentials with both secret-based client authentication methods
const tokBasic = await check('cc-basic', 'client_credentials with client_secret_basic', () => clientCredentials(CLIENT, oauth.ClientSecretBasic(CLIENT.secret)));
const tokPost = await check('cc-post', 'client_credentials with client_secret_post', () => clientCredentials(CLIENT, oauth.ClientSecretPost(CLIENT.secret)));

// 3. JWT access token (RFC 9068) verified against the published JWKS
const jwks = createRemoteJWKSet(new URL(as.jwks_uri));
for (const [how, tok] of [['basic', tokBasic], ['post', tokPost]]) {
  if (!tok) continue;
  await check(`jwt-${how}`, `JWT access token (${how}) verifies with jwks_uri, typ at+jwt, claims present`, async () => {
    const { payload } = await jwtVerify(tok.access_token, jwks, { issuer: as.issuer, typ: 'at+jwt' });
    assert(payload.client_id === CLIENT.id, `client_id claim is ${payload.client_id}`);
    assert(typeof payload.jti === 'string' && payload.jti.length > 0, 'jti missing');
    assert(Number.isInteger(payload.exp) && Number.isInteger(payload.iat), 'exp/iat missing');
    assert(payload.exp > payload.iat, 'exp not after iat');
    assert(typeof payload.sub === 'string' && payload.sub.length > 0, 'sub missing');
  });
}
if (tokBasic && tokPost) {
  await check('jti-unique', 'distinct tokens get distinct jti', () => assert(tokBasic.access_token !== tokPost.access_token, 'same token issued twice'));
}

// 4. Introspection (RFC 7662) and revocation (RFC 7009) of a JWT access token
if (tokBasic) await lifecycle('jwt', CLIENT, tokBasic.access_token);

// 5. Opaque reference tokens
if (REF) {
  const tokRef = await check('ref-issue', 'reference token: client_credentials issues an opaque (non-JWT) token', async () => {
    const tok = await clientCredentials(REF, basic(REF));
    assert(!isJwt(tok.access_token), 'token looks like a JWT');
    return tok;
  });
  if (tokRef) await lifecycle('reference', REF, tokRef.access_token);
}

// 6. Negative: wrong client secret must yield invalid_client (via basic and post)
async function oauthError(err) {
  if (err instanceof oauth.ResponseBodyError) return err.error;
  // A 401 carrying WWW-Authenticate (RFC 6749 §5.2) surfaces as a challenge error; read its body.
  if (err instanceof oauth.WWWAuthenticateChallengeError && err.status === 401) return (await err.response.json()).error;
  throw err;
}
for (const [how, auth] of [['basic', oauth.ClientSecretBasic], ['post', oauth.ClientSecretPost]]) {
  await check(`bad-secret-${how}`, `wrong client secret (${how}) is rejected with invalid_client`, async () => {
    const res = await oauth.clientCredentialsGrantRequest(as, client(CLIENT), auth(`${CLIENT.secret}-wrong`), { scope: SCOPE }, opts);
    let error;
    try { await oauth.processClientCredentialsResponse(as, client(CLIENT), res); } catch (err) { error = await oauthError(err); }
    assert(error === 'invalid_client', `got ${error ?? 'a token'}`);
  });
}

// 7. Authorization code + PKCE (RFC 6749 4.1, RFC 7636) for a public client, with refresh token
// rotation and reuse detection. The browser's part (sign-in, consent) is done by plain HTTP form
// posts: fetch without following redirects, a cookie jar kept by hand, hidden fields (the
// antiforgery token among them) read from the page's form.
if (CODE) {
  const jar = new Map();
  const keep = (res) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name); else jar.set(name, value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
  const browse = async (url, form) => keep(await fetch(new URL(url, ISSUER), {
    method: form ? 'POST' : 'GET', redirect: 'manual', signal: AbortSignal.timeout(10_000),
    headers: { cookie: cookie(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form) : undefined,
  }));
  const formOf = (html, action) => {
    const form = [...html.matchAll(/<form[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]).find((f) => f.includes(`action="${action}"`));
    assert(form, `no form posts to ${action}`);
    const unescape = (v) => v.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
    return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [unescape(m[1]), unescape(m[2])]));
  };
  const codeClient = { client_id: CODE.id, token_endpoint_auth_method: 'none' };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();

  const callback = await check('code-authorize', 'authorization code: sign-in and consent by form posts, code and state back at the redirect URI', async () => {
    assert(as.code_challenge_methods_supported?.join() === 'S256', `code_challenge_methods_supported is ${as.code_challenge_methods_supported}`);
    const url = new URL(as.authorization_endpoint);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: CODE.id, redirect_uri: CODE.redirectUri, scope: `${SCOPE} offline_access`,
      state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' })) url.searchParams.set(k, v);
    let res = await browse(url);
    assert(res.status === 302 && res.headers.get('location').startsWith('/account/login'), `authorize answered ${res.status}, not the sign-in page`);
    const loginUrl = res.headers.get('location');
    const login = await (await browse(loginUrl)).text();
    res = await browse('/account/login', { ...formOf(login, '/account/login'), email: CODE.email, password: CODE.password });
    assert(res.status === 302, `sign-in answered ${res.status}`);
    res = await browse(res.headers.get('location'));
    assert(res.status === 200, `consent page answered ${res.status}`);
    const consent = await res.text();
    assert(consent.includes('>Allow</button>') && consent.includes('>Deny</button>'), 'no Allow/Deny on the consent page');
    assert(res.headers.get('x-frame-options') === 'DENY', 'consent page may be framed');
    res = await browse('/connect/authorize', { ...formOf(consent, '/connect/authorize'), decision: 'allow' });
    assert(res.status === 302, `consent answered ${res.status}`);
    const location = new URL(res.headers.get('location'));
    assert(location.href.startsWith(CODE.redirectUri), `redirected to ${location.origin}${location.pathname}`);
    return oauth.validateAuthResponse(as, codeClient, location, state);
  });
  const tokens = callback && await check('code-exchange', 'authorization code: exchanged with the PKCE verifier for a verifiable JWT and a refresh token', async () => {
    const res = await oauth.authorizationCodeGrantRequest(as, codeClient, oauth.None(), callback, CODE.redirectUri, verifier, opts);
    const tok = await oauth.processAuthorizationCodeResponse(as, codeClient, res);
    assert(typeof tok.refresh_token === 'string', 'no refresh token');
    const { payload } = await jwtVerify(tok.access_token, jwks, { issuer: as.issuer, typ: 'at+jwt' });
    assert(payload.client_id === CODE.id, `client_id claim is ${payload.client_id}`);
    assert(typeof payload.sub === 'string' && payload.sub.startsWith('usr_'), `sub is ${payload.sub}, not a person`);
    assert(typeof payload.organisation_id === 'string', 'organisation_id missing');
    return tok;
  });
  const rotated = tokens && await check('code-refresh', 'refresh_token grant rotates the refresh token', async () => {
    const res = await oauth.refreshTokenGrantRequest(as, codeClient, oauth.None(), tokens.refresh_token, opts);
    const tok = await oauth.processRefreshTokenResponse(as, codeClient, res);
    assert(tok.refresh_token && tok.refresh_token !== tokens.refresh_token, 'refresh token not rotated');
    return tok;
  });
  if (rotated) {
    await check('code-refresh-replay', 'a replayed refresh token is refused (invalid_grant) and ends the grant', async () => {
      const refuse = async (token) => {
        let error;
        try { await oauth.processRefreshTokenResponse(as, codeClient, await oauth.refreshTokenGrantRequest(as, codeClient, oauth.None(), token, opts)); }
        catch (err) { error = await oauthError(err); }
        assert(error === 'invalid_grant', `got ${error ?? 'tokens'}`);
      };
      await refuse(tokens.refresh_token);
      await refuse(rotated.refresh_token);
    });
  }
}

finish();
