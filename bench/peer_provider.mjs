// The benchmark's peer: panva's oidc-provider 9 (the certified Node.js OpenID provider) with its
// memory adapter, one confidential client and one member, set up like ours in bench/run.py:
// RS256 ID tokens, PKCE S256, refresh tokens issued and rotated on every use, a login page
// that checks a password and remembers consent (as our first-party clients skip it).
//
//   node bench/peer_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD
//
// Loopback only. It prints "ready" once listening and stops on SIGTERM.
import { createHash, generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const [port, clientId, clientSecret, redirectUri, email, password] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const accountId = 'bench-member';
const claims = {
  sub: accountId,
  given_name: 'Hélène',
  family_name: 'Lefèvre-Dupont',
  name: 'Hélène Lefèvre-Dupont',
  birthdate: '1980-05-17',
  email,
  email_verified: true,
  phone_number: '+33612345678',
  phone_number_verified: false,
  member_number: '90000000',
};
const digest = (text) => createHash('sha256').update(text).digest();
const passwordDigest = digest(password);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', use: 'sig', alg: 'RS256' };

// The default memory adapter keeps at most 1000 entries (an LRU) and silently forgets older
// codes, grants and sessions: the token cell, which obtains its codes before the clock starts,
// then got `invalid_grant` for most of them. Entries still expire by their TTL, as in a real
// store; the bound only has to exceed what a bench run writes.
const store = new LRU({ maxSize: 10_000_000 });

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name', 'name', 'birthdate'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
    member: ['member_number'],
  },
  scopes: ['openid', 'profile', 'email', 'phone', 'member', 'offline_access'],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  // Like ours: a refresh token for every code grant, rotated on every use.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  ttl: { AuthorizationCode: 600, AccessToken: 600, IdToken: 3600, RefreshToken: 2592000, Session: 28800, Grant: 2592000, Interaction: 3600 },
  findAccount: async (ctx, sub) => (sub === accountId
    ? { accountId, claims: async () => claims }
    : undefined),
});

function page(uid) {
  return `<!doctype html><html><body><form method="post" action="/interaction/${uid}/login">
<input type="hidden" name="csrf" value="${uid}">
<label>Adresse email <input name="email"></label><label>Mot de passe <input name="password" type="password"></label>
<button>Se connecter</button></form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page(details.uid));
    return;
  }
  const form = await readForm(req);
  const typed = digest(form.get('password') || '');
  if (form.get('email') !== email || !timingSafeEqual(typed, passwordDigest)) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(details.uid));
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 5000;
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
