// Starts the real `herald serve` on port 0 for a backend and offers platform-API helpers.
'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const crypto = require('node:crypto');

const OPERATOR = 'compat-operator-token-0123456789';
const BIN = process.env.HERALD_BIN || path.join(__dirname, '../../../target/debug/herald');
const PG_BASE = process.env.HERALD_TEST_PG || 'postgres://127.0.0.1:5432/test';

function pgReachable() {
  const m = /postgres(?:ql)?:\/\/(?:[^@/]*@)?([^:/]+)(?::(\d+))?\//.exec(PG_BASE);
  const host = m ? m[1] : '127.0.0.1';
  const port = m && m[2] ? Number(m[2]) : 5432;
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 2000 }, () => { s.end(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

async function backends() {
  const out = ['sqlite'];
  if (await pgReachable()) out.push('postgres');
  else console.log(`# PostgreSQL not reachable at ${PG_BASE}: skipping the PostgreSQL run`);
  return out;
}

// A fresh database URL for a backend.
function freshDb(backend) {
  if (backend === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-node-'));
    return 'sqlite://' + path.join(dir, 'herald.db');
  }
  return PG_BASE.replace(/\/[^/]*$/, '') + '/herald_t_node_' + crypto.randomBytes(5).toString('hex');
}

// Starts `herald serve` for a backend, on a new database unless `db` names one (several nodes
// may share a PostgreSQL database).
async function start(backend, db = freshDb(backend), extraEnv = {}) {
  const env = { ...process.env, ...extraEnv, HERALD_DATABASE_URL: db, HERALD_CLOCK: 'simulated', HERALD_OPERATOR_TOKEN: OPERATOR, HERALD_LOG: 'warn', HERALD_ALLOW_PRIVATE_CALLBACKS: 'true' };
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (c) => reject(new Error('herald exited with ' + c)));
  });
  const op = async (method, p, body) => {
    const r = await fetch(base + p, {
      method, headers: { authorization: 'Bearer ' + OPERATOR, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const h = {
    backend, base, op,
    stop: () => new Promise((resolve) => { proc.on('exit', resolve); proc.kill('SIGTERM'); }),
    async account(type = 'service', ownerKind = 'organisation', verified = true) {
      const r = await op('POST', '/herald/v1/accounts', { name: `${type} ${crypto.randomBytes(3).toString('hex')}`, type, owner: { kind: ownerKind, name: 'Owner' }, verified });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body;
    },
    async user(nickname) { return (await op('POST', '/herald/v1/users', { nickname })).body.id; },
    async follow(user, account) { return (await op('POST', `/herald/v1/users/${user}/follow`, { appid: account.appid })).body.openid; },
    // n new users, each following the account: { users, openids }.
    async followers(account, n, prefix) {
      const users = [];
      const openids = [];
      for (let i = 0; i < n; i++) {
        users.push(await h.user(prefix + i));
        openids.push(await h.follow(users[i], account));
      }
      return { users, openids };
    },
    // Polls a conversation until it holds n messages (20 s at most).
    async conversation(user, account, n) {
      for (let i = 0; i < 400; i++) {
        const r = await op('GET', `/herald/v1/users/${user}/conversations/${account.appid}`);
        if (r.body.messages.length >= n) return r.body.messages;
        await new Promise((res) => setTimeout(res, 50));
      }
      return (await op('GET', `/herald/v1/users/${user}/conversations/${account.appid}`)).body.messages;
    },
    async advance(seconds) { return op('POST', '/herald/v1/clock', { advance: seconds }); },
    async freeze() { return op('POST', '/herald/v1/clock', { frozen: true }); },
    // A wechat-api client with nothing changed but its base URL (reference §3.3).
    api(account, secret, getToken, saveToken) {
      const API = require('wechat-api');
      const api = new API(account.appid, secret || account.app_secret, getToken, saveToken);
      api.endpoint = base;
      api.mpPrefix = base + '/cgi-bin/';
      api.fileServerPrefix = base + '/cgi-bin/';
      // Promisified methods: api.p.getFollowers(...) → Promise.
      api.p = new Proxy({}, { get: (_, name) => (...args) => new Promise((resolve, reject) => {
        api[name](...args, (err, data) => (err ? reject(err) : resolve(data)));
      }) });
      return api;
    },
  };
  return h;
}

// wechatpay-node-v3's custom transport (IPayRequest): its requests go to Herald instead of
// api.mch.weixin.qq.com. Errors keep their body (`error`); non-JSON answers (bills) stay text.
function payTransport(base) {
  const swap = (u) => u.replace('https://api.mch.weixin.qq.com', base);
  const wrap = async (r) => {
    const text = await r.text();
    if (r.status >= 400) return { status: r.status, error: text, errRaw: text };
    if (!(r.headers.get('content-type') || '').includes('json')) return { status: r.status, data: text };
    return { status: r.status, data: text ? JSON.parse(text) : '' };
  };
  return {
    async post(url, params, headers) { return wrap(await fetch(swap(url), { method: 'POST', headers, body: JSON.stringify(params) })); },
    async get(url, headers) { return wrap(await fetch(swap(url), { method: 'GET', headers })); },
    async upload() { throw new Error('not used here'); },
  };
}

// Debian's Chromium, headless, quiet on this closed network (never a downloaded browser).
function launchChromium() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: process.env.HERALD_CHROMIUM || '/usr/bin/chromium', headless: true, chromiumSandbox: false,
    args: ['--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

// axe-core in a page or a frame: no serious or critical violation (the label names the screen).
async function axeCheck(target, label) {
  const assert = require('node:assert/strict');
  await target.evaluate(require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const r = await target.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${label}: accessibility violations`);
}

module.exports = { backends, start, freshDb, payTransport, launchChromium, axeCheck };
