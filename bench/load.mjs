// The load generator of bench/run.py: drives one provider (ours or the peer) the same way,
// as relying parties and browsers do, and prints one JSON line per measured cell.
//
//   node bench/load.mjs PLAN.json
//
// plan = { base, clientId, clientSecret, redirectUri, password, emails: [..], signups: [..],
//          cells: [{ scenario, concurrency, seconds }] }
// scenarios: discovery, jwks, token, refresh, userinfo, flow (fresh browser: authorize, login
// page, credentials, code, token), signin (ours only: the sign-in form POST alone, valid
// credentials, no authorization request), signup (ours only: sign-up form GET, then the timed
// POST).
// Every answer is checked; a wrong one counts as an error with its first lines kept.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Agent, request } from 'undici';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const agent = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 4000 });
const TIMEOUT = 30000;
const SCOPE = 'openid profile email phone member';

class Browser {
  constructor() { this.cookies = new Map(); }

  async fetch(url, { method = 'GET', form, headers = {} } = {}) {
    const target = new URL(url, plan.base);
    const sent = { ...headers };
    if (this.cookies.size) sent.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      sent['content-type'] = 'application/x-www-form-urlencoded';
    }
    const reply = await request(target, {
      method, headers: sent, body, dispatcher: agent, headersTimeout: TIMEOUT, bodyTimeout: TIMEOUT,
    });
    let setCookie = reply.headers['set-cookie'] || [];
    if (!Array.isArray(setCookie)) setCookie = [setCookie];
    for (const line of setCookie) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\b/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name); else this.cookies.set(name, value);
    }
    const text = await reply.body.text();
    return { status: reply.statusCode, headers: reply.headers, text, url: target.href };
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const b64url = (buffer) => buffer.toString('base64url');
const basic = `Basic ${Buffer.from(`${encodeURIComponent(plan.clientId)}:${encodeURIComponent(plan.clientSecret)}`).toString('base64')}`;
let discovered;

async function discover() {
  const reply = await new Browser().fetch('/.well-known/openid-configuration');
  expect(reply.status === 200, `discovery answered ${reply.status}`);
  discovered = JSON.parse(reply.text);
}

function formOf(page) {
  // The first form of a login page: its action and hidden fields, as a browser submits it.
  const form = page.text.match(/<form[^>]*>([\s\S]*?)<\/form>/i);
  expect(form, `no form on ${page.url} (${page.status})`);
  const action = (form[0].match(/action="([^"]*)"/i) || [])[1];
  const fields = {};
  for (const input of form[1].matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
    const name = (input[0].match(/name="([^"]+)"/) || [])[1];
    const value = (input[0].match(/value="([^"]*)"/) || [])[1] || '';
    if (name) fields[name] = value.replace(/&amp;/g, '&').replace(/&#43;/g, '+');
  }
  return { action: action ? new URL(action.replace(/&amp;/g, '&'), page.url).href : page.url, fields };
}

// Authorization code + PKCE: follow the provider's redirects and sign in on its login page when
// it shows one; returns the code and verifier.
async function authorize(browser, email) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const query = new URLSearchParams({
    response_type: 'code', client_id: plan.clientId, redirect_uri: plan.redirectUri, scope: SCOPE,
    state, nonce: b64url(randomBytes(12)), code_challenge_method: 'S256',
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
  });
  let reply = await browser.fetch(`${discovered.authorization_endpoint}?${query}`);
  for (let hops = 0; hops < 10; hops += 1) {
    const location = reply.headers.location;
    if (location && location.startsWith(plan.redirectUri)) {
      const answer = new URL(location).searchParams;
      expect(answer.get('state') === state && answer.get('code'), `callback without code: ${location.slice(0, 200)}`);
      return { code: answer.get('code'), verifier };
    }
    if (location) {
      reply = await browser.fetch(new URL(location, reply.url).href);
    } else if (reply.status === 200) {
      expect(email, 'a login page where a signed-in browser was expected');
      const { action, fields } = formOf(reply);
      reply = await browser.fetch(action, { method: 'POST', form: { ...fields, email, password: plan.password } });
      expect(reply.status >= 300 && reply.status < 400, `login answered ${reply.status}`);
      email = null; // a second login page means the credentials were refused
    } else {
      throw new Error(`authorize step answered ${reply.status} at ${reply.url}: ${reply.text.slice(0, 200)}`);
    }
  }
  throw new Error('too many redirects');
}

async function tokenRequest(form) {
  const reply = await new Browser().fetch(discovered.token_endpoint, {
    method: 'POST', form, headers: { authorization: basic },
  });
  expect(reply.status === 200, `token answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  const token = JSON.parse(reply.text);
  expect(token.access_token && token.refresh_token, 'token response without access or refresh token');
  return token;
}

const exchange = ({ code, verifier }) => tokenRequest({
  grant_type: 'authorization_code', code, redirect_uri: plan.redirectUri, code_verifier: verifier,
});

let emailTurn = 0;
const nextEmail = () => plan.emails[(emailTurn++) % plan.emails.length];
let signupTurn = 0;

async function signedInBrowser() {
  const browser = new Browser();
  const first = await authorize(browser, nextEmail());
  return { browser, first };
}

// Per scenario: prepare(worker state) once per worker, then step(state) timed in a loop.
const scenarios = {
  discovery: {
    step: async () => {
      const reply = await new Browser().fetch('/.well-known/openid-configuration');
      expect(reply.status === 200 && reply.text.includes('"issuer"'), `discovery answered ${reply.status}`);
    },
  },
  jwks: {
    step: async () => {
      const reply = await new Browser().fetch(discovered.jwks_uri);
      expect(reply.status === 200 && reply.text.includes('"keys"'), `jwks answered ${reply.status}`);
    },
  },
  userinfo: {
    prepare: async (state) => {
      const { first } = await signedInBrowser();
      state.access = (await exchange(first)).access_token;
    },
    step: async (state) => {
      const reply = await new Browser().fetch(discovered.userinfo_endpoint, { headers: { authorization: `Bearer ${state.access}` } });
      expect(reply.status === 200 && reply.text.includes('"sub"'), `userinfo answered ${reply.status}`);
    },
  },
  refresh: {
    prepare: async (state) => {
      const { first } = await signedInBrowser();
      state.refresh = (await exchange(first)).refresh_token;
    },
    step: async (state) => {
      state.refresh = (await tokenRequest({ grant_type: 'refresh_token', refresh_token: state.refresh })).refresh_token;
    },
  },
  token: {
    // Codes are obtained before the clock starts (a signed-in browser's authorize), so the
    // cell times the code exchange alone: client authentication, code, ID token signature.
    prepare: async (state, cell) => {
      const { browser, first } = await signedInBrowser();
      state.codes = [first];
      const until = Date.now() + cell.seconds * 1000;
      while (Date.now() < until) state.codes.push(await authorize(browser, null));
    },
    step: async (state) => {
      const code = state.codes.pop();
      if (!code) return false;
      await exchange(code);
      return true;
    },
  },
  flow: {
    step: async () => {
      const browser = new Browser();
      await exchange(await authorize(browser, nextEmail()));
    },
  },
  signin: {
    // The sign-in POST alone: each fresh browser's login page (its CSRF token) is fetched
    // before the clock starts, so the cell times what a login costs, argon2id included.
    prepare: async (state, cell) => {
      state.pages = [];
      const until = Date.now() + cell.seconds * 1000;
      while (Date.now() < until) {
        const browser = new Browser();
        const page = await browser.fetch('/connexion');
        expect(page.status === 200, `login page answered ${page.status}`);
        state.pages.push({ browser, ...formOf(page) });
      }
    },
    step: async (state) => {
      const page = state.pages.pop();
      if (!page) return false;
      const reply = await page.browser.fetch(page.action, {
        method: 'POST', form: { ...page.fields, email: nextEmail(), password: plan.password },
      });
      expect(reply.status === 302 || reply.status === 303, `sign-in answered ${reply.status}: ${reply.text.slice(0, 200)}`);
      return true;
    },
  },
  signup: {
    step: async (state, record) => {
      const member = plan.signups[(signupTurn++) % plan.signups.length];
      const browser = new Browser();
      const page = await browser.fetch('/inscription');
      expect(page.status === 200, `sign-up page answered ${page.status}`);
      const { action, fields } = formOf(page);
      const [year, month, day] = member.birth_date.split('-');
      const started = performance.now();
      const reply = await browser.fetch(action, {
        method: 'POST',
        form: {
          ...fields, first_name: member.first_name, last_name: member.last_name,
          birth_day: day, birth_month: month, birth_year: year, member_number: member.member_number,
          email: member.email, email_confirm: member.email, country: 'FR',
          phone: '0612345678', phone_confirm: '0612345678', accept_terms: 'y',
        },
      });
      record(performance.now() - started);
      expect(reply.status === 302 || reply.status === 303, `sign-up answered ${reply.status}: ${reply.text.slice(0, 300)}`);
      return 'recorded';
    },
  },
};

async function runCell(cell) {
  const scenario = scenarios[cell.scenario];
  const states = Array.from({ length: cell.concurrency }, () => ({}));
  const result = { ...cell, done: 0, errors: 0, firstErrors: [] };
  const fail = (error) => {
    result.errors += 1;
    if (result.firstErrors.length < 3) result.firstErrors.push(String(error.message || error).slice(0, 300));
  };
  if (scenario.prepare) {
    await Promise.all(states.map((state) => scenario.prepare(state, cell).catch((error) => { state.broken = true; fail(error); })));
  }
  const latencies = [];
  const started = performance.now();
  const deadline = started + cell.seconds * 1000;
  await Promise.all(states.map(async (state) => {
    if (state.broken) return;
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const outcome = await scenario.step(state, (ms) => latencies.push(ms));
        if (outcome === false) return;
        if (outcome !== 'recorded') latencies.push(performance.now() - t0);
        result.done += 1;
      } catch (error) {
        fail(error);
        if (cell.scenario === 'refresh') { state.broken = true; return; }
      }
    }
  }));
  result.elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
  result.rate = result.done / result.elapsed;
  result.p50 = at(0.5);
  result.p99 = at(0.99);
  return result;
}

await discover();
for (const cell of plan.cells) {
  console.log(JSON.stringify(await runCell(cell)));
}
await agent.close();
