// A real, certified OpenID Provider (node-oidc-provider 9) on 127.0.0.1, for
// tests/oidc_conformance.rs. Development-only: dev interactions (any login name,
// any password, then a consent page), an ephemeral signing key, fixed cookie keys.
//
// Usage:
//   node server.mjs [--port N] [--clients JSON]
//   PORT=N OIDC_CLIENTS=JSON node server.mjs
//
// --port / PORT: port on 127.0.0.1 (default 0 = any free port; the issuer is then
//   http://127.0.0.1:<the bound port>). The issuer is always http://127.0.0.1:<port>.
// --clients / OIDC_CLIENTS: a JSON array of client metadata objects, e.g.
//   [{"client_id":"basic","client_secret":"s1","token_endpoint_auth_method":"client_secret_basic",
//     "redirect_uris":["http://127.0.0.1:3000/redirect"],
//     "post_logout_redirect_uris":["http://127.0.0.1:3000/logout"]}]
//   Missing grant_types / response_types default to authorization_code + refresh_token / code.
//   Without it, two clients for an app on http://127.0.0.1:3000 are registered
//   (see defaultClients below).
//
// --client-auth-methods / OIDC_CLIENT_AUTH_METHODS: comma-separated token endpoint client
//   authentication methods the provider supports and advertises in discovery
//   (default: oidc-provider's, i.e. client_secret_basic, client_secret_jwt,
//   client_secret_post, private_key_jwt, none).
// --strict-client-auth / OIDC_STRICT_CLIENT_AUTH=1: reject (401 invalid_client) a request to the
//   token, revocation or introspection endpoint whose client authentication mechanism is not the
//   client's registered token_endpoint_auth_method. oidc-provider by itself accepts
//   client_secret_basic and client_secret_post interchangeably; many providers do not.
// --require-par / OIDC_REQUIRE_PAR=1: every client must push its authorization requests
//   (RFC 9126); discovery says `require_pushed_authorization_requests: true`. Without it pushed
//   requests are offered (advertised in discovery) but not required. A pushed request is logged as
//   `POST /request -> 201 [client ...] pushed=NAMES response_type=... code_challenge_method=...
//   redirect_uri=... scope=... prompt=... request_uri=...` (the names of every pushed parameter;
//   values only of those, URL-encoded; then the request_uri the provider issued).
// --dpop-nonce / OIDC_DPOP_NONCE=1: DPoP proofs must carry a server nonce (RFC 9449 §8, §9):
//   a proof without one is refused with use_dpop_nonce and a DPoP-Nonce header. Every request
//   that carries a DPoP proof is logged with ` dpop=1` at the end of its line.
// --fapi2 / OIDC_FAPI2=1: the FAPI 2.0 Security Profile (oidc-provider's `fapi` feature,
//   profile 2.0), pushed authorization requests required, ES256 and RS256 signing keys.
// --rotate-refresh-tokens / OIDC_ROTATE_REFRESH_TOKENS=1: every refresh_token grant consumes the
//   presented refresh token and issues a new one (oidc-provider by default rotates only public
//   clients' tokens and tokens past 70% of their lifetime). Presenting a consumed refresh token
//   again is refused with invalid_grant and revokes the whole grant (reuse detection).
//
// Back-channel logout: on for clients registered with `backchannel_logout_uri` (and
// `backchannel_logout_session_required` for a `sid` in ID and logout tokens). When the user's
// session at the provider ends, the logout token is posted there; the outcome is logged as
// `event backchannel.success: CLIENT_ID` or `event backchannel.error: CLIENT_ID MESSAGE`.
//
// Refresh tokens: oidc-provider 9 issues one (issueRefreshToken's default) when the client's
// grant_types include refresh_token and the authorization granted the offline_access scope,
// which it only does when the authorization request has prompt=consent (OpenID Connect Core
// 11); the consent page then asks for it. offline_access is among the supported scopes below.
//
// Once listening it prints exactly one line to stdout:
//   oidc-provider listening on http://127.0.0.1:PORT
// Every request is then logged to stdout as `METHOD PATH -> STATUS`; requests that authenticate
// a client add ` [client ID registered METHOD, authenticated with METHOD]`, then the form
// parameters that tell what was asked, as ` NAME=VALUE` pairs: `grant_type` at the token
// endpoint, `token_type_hint` at the revocation and introspection endpoints, and the presented
// `refresh_token` / `token` as a fingerprint `#` + the first 12 hex digits of its SHA-256
// (never the token itself). Example:
//   POST /token -> 200 [client app-basic registered client_secret_basic, authenticated with
//   client_secret_basic] grant_type=refresh_token refresh_token=#0123456789ab
// Refresh token life-cycle events are logged with the same fingerprint (opaque tokens: the
// value is the jti), e.g. `event refresh_token.saved: #0123456789ab` when one is issued,
// `event refresh_token.consumed: #...` when rotated away, `event refresh_token.destroyed: #...`
// when revoked; and `event grant.revoked: GRANT_ID` when a whole grant is revoked.
// It exits on SIGTERM / SIGINT, and when its stdin closes if --exit-on-stdin-close is given.

import { createHash, generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    clients: { type: 'string' },
    'client-auth-methods': { type: 'string' },
    'strict-client-auth': { type: 'boolean', default: false },
    'rotate-refresh-tokens': { type: 'boolean', default: false },
    'require-par': { type: 'boolean', default: false },
    'dpop-nonce': { type: 'boolean', default: false },
    fapi2: { type: 'boolean', default: false },
    'exit-on-stdin-close': { type: 'boolean', default: false },
  },
  strict: true,
});

const HOST = '127.0.0.1';
const port = Number.parseInt(args.port ?? process.env.PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: ${args.port ?? process.env.PORT}`);
  process.exit(2);
}

function defaultClients() {
  const app = 'http://127.0.0.1:3000';
  return [
    {
      client_id: 'app-basic',
      client_secret: 'app-basic-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [`${app}/redirect`],
      post_logout_redirect_uris: [`${app}/logout`, `${app}/`],
    },
    {
      client_id: 'app-post',
      client_secret: 'app-post-secret',
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [`${app}/redirect`],
      post_logout_redirect_uris: [`${app}/logout`, `${app}/`],
    },
  ];
}

function loadClients() {
  const raw = args.clients ?? process.env.OIDC_CLIENTS;
  let clients;
  try {
    clients = raw ? JSON.parse(raw) : defaultClients();
  } catch (err) {
    console.error(`OIDC_CLIENTS / --clients is not valid JSON: ${err.message}`);
    process.exit(2);
  }
  if (!Array.isArray(clients) || clients.length === 0) {
    console.error('OIDC_CLIENTS / --clients must be a non-empty JSON array of client metadata');
    process.exit(2);
  }
  return clients.map((c) => ({
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...c,
  }));
}

const clients = loadClients();
const clientAuthMethods = (args['client-auth-methods'] ?? process.env.OIDC_CLIENT_AUTH_METHODS)
  ?.split(',').map((m) => m.trim()).filter(Boolean);
const envFlag = (name) => ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
const strictClientAuth = args['strict-client-auth'] || envFlag('OIDC_STRICT_CLIENT_AUTH');
const rotateRefreshTokens = args['rotate-refresh-tokens'] || envFlag('OIDC_ROTATE_REFRESH_TOKENS');
const requirePar = args['require-par'] || envFlag('OIDC_REQUIRE_PAR');
const dpopNonce = args['dpop-nonce'] || envFlag('OIDC_DPOP_NONCE');
const fapi2 = args.fapi2 || envFlag('OIDC_FAPI2');

// Signing keys: with --fapi2, an ES256 key (FAPI 2.0 refuses RS256) beside an RS256 one, made
// at start-up; otherwise oidc-provider's development key.
function signingKeys() {
  const jwk = (pair, alg, kid) => ({ ...pair.privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid });
  return {
    keys: [
      jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256', 'es256-1'),
      jwk(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256', 'rs256-1'),
    ],
  };
}

// What the logs show of a token: a fingerprint, never the token.
const fingerprint = (token) => `#${createHash('sha256').update(String(token)).digest('hex').slice(0, 12)}`;

// A stable subject per login name: the dev login page accepts any name, and the
// name itself is the accountId (= sub). Claims are computed from it.
async function findAccount(ctx, sub) {
  return {
    accountId: sub,
    async claims(use, scope) {
      return {
        sub,
        email: `${sub}@example.com`,
        email_verified: true,
        name: `Test User ${sub}`,
        given_name: 'Test',
        family_name: `User ${sub}`,
        preferred_username: sub,
      };
    },
  };
}

const configuration = {
  clients,
  ...(fapi2 ? { jwks: signingKeys() } : {}),
  ...(clientAuthMethods ? { clientAuthMethods } : {}),
  findAccount,
  // offline_access: refresh tokens (see the header). openid and offline_access are
  // oidc-provider's defaults; email and profile come from `claims` anyway.
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  ...(rotateRefreshTokens ? { rotateRefreshToken: true } : {}),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // Back-Channel Logout 1.0: a client registered with backchannel_logout_uri gets a logout
    // token posted there when the user's provider session ends.
    backchannelLogout: { enabled: true },
    // Pushed authorization requests (RFC 9126) at /request: advertised (oidc-provider's default),
    // and with --require-par required of every client (discovery then says so).
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: requirePar || fapi2 },
    // --fapi2: oidc-provider's FAPI 2.0 Security Profile checks (PKCE, a JWT client assertion
    // for the issuer, redirect_uri always), pushed requests required; the clients register
    // private_key_jwt, DPoP-bound tokens and ES256 ID tokens themselves.
    ...(fapi2 ? { fapi: { enabled: true, profile: () => '2.0' } } : {}),
    // DPoP (RFC 9449): advertised (oidc-provider's default); with --dpop-nonce every proof must
    // carry a server nonce, which the first request of a client learns from a use_dpop_nonce
    // challenge.
    dPoP: {
      enabled: true,
      ...(dpopNonce ? {
        nonceSecret: Buffer.alloc(32, 7),
        requireNonce: () => true,
      } : {}),
    },
  },
  // PKCE on every authorization request; node-oidc-provider 9 only knows S256.
  pkce: { required: () => true },
  // oidc-provider refuses outgoing requests (the back-channel logout post) to special-use
  // addresses, loopback included, through its own dispatcher; the apps under test are on
  // 127.0.0.1, and nothing else is reachable from these tests.
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  // Development-only keys for the signed cookies.
  cookies: { keys: ['oauth-workspace-test-cookie-key-not-secret'] },
  // Only ever reached on loopback by tests: let it be chatty about errors.
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>oidc-provider error</title></head><body>`
      + `<h1>oidc-provider error</h1><pre>${Object.entries(out)
        .map(([k, v]) => `${k}: ${String(v).replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`)}`)
        .join('\n')}</pre></body></html>`;
  },
};

const server = http.createServer();
server.listen(port, HOST, () => {
  const { port: bound } = server.address();
  const issuer = `http://${HOST}:${bound}`;
  const provider = new Provider(issuer, configuration);

  const clientAuthPaths = new Set(['/token', '/token/revocation', '/token/introspection', '/request']);
  provider.use(async (ctx, next) => {
    let used;
    let asked = '';
    if (ctx.method === 'POST' && clientAuthPaths.has(ctx.path)) {
      // Read the form body here (oidc-provider then uses req.body) to see how the client
      // authenticates: HTTP Basic, or client_id + client_secret in the body.
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const raw = Buffer.concat(chunks).toString('utf8');
      ctx.req.body = raw;
      const form = new URLSearchParams(raw);
      const shown = [];
      for (const name of ['grant_type', 'token_type_hint']) {
        if (form.has(name)) shown.push(`${name}=${encodeURIComponent(form.get(name))}`);
      }
      for (const name of ['refresh_token', 'token']) {
        if (form.has(name)) shown.push(`${name}=${fingerprint(form.get(name))}`);
      }
      if (ctx.path === '/request') {
        // A pushed authorization request: which parameters were pushed, and the values of the
        // ones that are not secrets or random.
        shown.push(`pushed=${[...form.keys()].filter((k) => !['client_id', 'client_secret'].includes(k)).join(',')}`);
        for (const name of ['response_type', 'code_challenge_method', 'redirect_uri', 'scope', 'prompt']) {
          if (form.has(name)) shown.push(`${name}=${encodeURIComponent(form.get(name))}`);
        }
      }
      asked = shown.map((p) => ` ${p}`).join('');
      const auth = ctx.headers.authorization ?? '';
      let clientId;
      if (/^basic /i.test(auth)) {
        used = 'client_secret_basic';
        const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
        try {
          clientId = decodeURIComponent(decoded.slice(0, decoded.indexOf(':')).replace(/\+/g, ' '));
        } catch {
          clientId = undefined;
        }
      } else if (form.has('client_secret')) {
        used = 'client_secret_post';
        clientId = form.get('client_id');
      } else if (form.has('client_assertion')) {
        // A JWT client assertion: private_key_jwt when signed with a key pair (client_secret_jwt
        // signs with HMAC).
        let alg;
        try {
          alg = JSON.parse(Buffer.from(form.get('client_assertion').split('.')[0], 'base64url').toString('utf8')).alg;
        } catch {
          alg = undefined;
        }
        used = typeof alg === 'string' && alg.startsWith('HS') ? 'client_secret_jwt' : 'private_key_jwt';
        clientId = form.get('client_id');
        asked += ` assertion_alg=${encodeURIComponent(String(alg))}`;
      } else {
        used = 'none';
        clientId = form.get('client_id');
      }
      const registered = clients.find((c) => c.client_id === clientId)?.token_endpoint_auth_method
        ?? 'client_secret_basic';
      if (strictClientAuth && clientId && used !== registered) {
        ctx.status = 401;
        ctx.type = 'json';
        ctx.set('Cache-Control', 'no-store');
        ctx.body = {
          error: 'invalid_client',
          error_description: `client ${clientId} must authenticate with ${registered}, not ${used}`,
        };
        console.log(`${ctx.method} ${ctx.url} -> 401 [client ${clientId} registered ${registered}, `
          + `authenticated with ${used}: rejected (strict client auth)]${asked}`);
        return;
      }
      used = `[client ${clientId} registered ${registered}, authenticated with ${used}]`;
    }
    try {
      await next();
    } finally {
      const dpop = ctx.headers.dpop ? ' dpop=1' : '';
      // The reference a pushed request was given: a test finds its own push by it.
      const issued = ctx.path === '/request' && typeof ctx.body?.request_uri === 'string'
        ? ` request_uri=${encodeURIComponent(ctx.body.request_uri)}` : '';
      console.log(`${ctx.method} ${ctx.url} -> ${ctx.status}${used ? ` ${used}` : ''}${asked}${issued}${dpop}`);
    }
  });
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
    'userinfo.error', 'revocation.error']) {
    provider.on(event, (_ctx, err) => {
      console.log(`event ${event}: ${err?.name ?? ''} ${err?.message ?? err} ${err?.error_description ?? ''}`);
    });
  }
  for (const event of ['refresh_token.saved', 'refresh_token.consumed', 'refresh_token.destroyed']) {
    provider.on(event, (token) => console.log(`event ${event}: ${fingerprint(token.jti)}`));
  }
  provider.on('grant.revoked', (_ctx, grantId) => console.log(`event grant.revoked: ${grantId}`));
  provider.on('backchannel.success', (_ctx, client) => console.log(`event backchannel.success: ${client?.clientId}`));
  provider.on('backchannel.error', (_ctx, err, client) => {
    console.log(`event backchannel.error: ${client?.clientId ?? ''} ${err?.message ?? err} ${err?.cause?.message ?? ''}`);
  });

  server.on('request', provider.callback());
  console.log(`oidc-provider listening on ${issuer}`);
});
server.on('error', (err) => {
  console.error(`oidc-provider failed to listen on ${HOST}:${port}: ${err.message}`);
  process.exit(1);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (args['exit-on-stdin-close']) {
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
}
