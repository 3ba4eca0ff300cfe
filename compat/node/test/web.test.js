// wechat-oauth 1.5.0 drives web OAuth against Herald, and real headless Chromium (Debian's
// chromium, driven by playwright-core) signs in with a link, sees the consent page, clicks
// Allow and lands on the developer's site, which exchanges the code with wechat-oauth.
// The consent page's screenshot is kept in test-artifacts/.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const OAuth = require('wechat-oauth');
const { backends, start } = require('./herald');

const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');

// wechat-oauth with nothing changed but its hosts (reference §3.4).
function oauthClient(h, account) {
  const client = new OAuth(account.appid, account.app_secret);
  const request = client.request.bind(client);
  client.request = (url, opts, cb) => request(url.replace('https://api.weixin.qq.com', h.base), opts, cb);
  const authorize = client.getAuthorizeURL.bind(client);
  client.getAuthorizeURL = (...args) => authorize(...args).replace('https://open.weixin.qq.com', h.base);
  return client;
}

const p = (fn) => new Promise((resolve, reject) => fn((err, data) => (err ? reject(err) : resolve(data))));

// The developer's site: its callback exchanges the code and greets the user by nickname.
function site(client) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname !== '/callback' || !u.searchParams.get('code')) {
      res.writeHead(404);
      return res.end();
    }
    const code = u.searchParams.get('code');
    seen.push({ code, state: u.searchParams.get('state') });
    client.getUserByCode(code, (err, user) => {
      res.writeHead(err ? 500 : 200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(err ? `error ${err.code}` : `<h1 id="hello">Hello ${user.nickname}</h1><p id="openid">${user.openid}</p>`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: server.address().port })));
}

test('wechat-oauth and the consent page in Chromium', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async (t) => {
      const h = await start(backend);
      try {
        const acc = await h.account('service');
        const client = oauthClient(h, acc);
        const dev = await site(client);
        const domain = `127.0.0.1:${dev.port}`;
        assert.equal((await h.op('PUT', `/herald/v1/accounts/${acc.appid}/web_domain`, { domain })).status, 200);
        const created = await h.op('POST', '/herald/v1/users', { nickname: 'Chen', profile: { sex: 1, city: 'Hangzhou' } });
        const user = created.body.id;
        const redirect = `http://${domain}/callback`;

        await t.test('codes, tokens and userinfo with wechat-oauth', async () => {
          const url = client.getAuthorizeURL(redirect, 'st8', 'snsapi_base');
          assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/connect\/oauth2\/authorize\?appid=/);
          const link = await h.op('POST', `/herald/v1/users/${user}/signin_links`, {});
          const signin = await fetch(link.body.url, { redirect: 'manual' });
          const cookie = signin.headers.get('set-cookie').split(';')[0];
          const r = await fetch(url, { redirect: 'manual', headers: { cookie } });
          assert.equal(r.status, 303);
          const back = new URL(r.headers.get('location'));
          assert.equal(back.searchParams.get('state'), 'st8');
          const code = back.searchParams.get('code');
          const token = await p((cb) => client.getAccessToken(code, cb));
          assert.equal(token.data.scope, 'snsapi_base');
          assert.equal(token.data.expires_in, 7200);
          await assert.rejects(p((cb) => client.getAccessToken(code, cb)), (e) => e.code === 40163);
          await assert.rejects(p((cb) => client.getAccessToken('bogus', cb)), (e) => e.code === 40029);
          const ok = await p((cb) => client.verifyToken(token.data.openid, token.data.access_token, cb));
          assert.equal(ok.errcode, 0);
          await assert.rejects(p((cb) => client.getUser(token.data.openid, cb)), (e) => e.code === 48001);
          const refreshed = await p((cb) => client.refreshAccessToken(token.data.refresh_token, cb));
          assert.equal(refreshed.data.access_token, token.data.access_token);
        });

        await t.test('Chromium: sign in, consent, back on the site', async () => {
          const { chromium } = require('playwright-core');
          const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false });
          try {
            const page = await browser.newPage();
            const authorize = client.getAuthorizeURL(redirect, 'st9', 'snsapi_userinfo');
            const next = authorize.slice(h.base.length).replace(/#.*$/, '');
            const link = await h.op('POST', `/herald/v1/users/${user}/signin_links`, { next });
            await page.goto(link.body.url);
            await page.waitForSelector('#consent');
            assert.match(await page.textContent('#consent'), /public profile/);
            fs.mkdirSync(ARTIFACTS, { recursive: true });
            await page.screenshot({ path: path.join(ARTIFACTS, `consent-${backend}.png`), fullPage: true });
            await Promise.all([page.waitForURL(`http://${domain}/callback?**`), page.click('#allow')]);
            assert.equal(await page.textContent('#hello'), 'Hello Chen');
            const last = dev.seen[dev.seen.length - 1];
            assert.equal(last.state, 'st9');
            // The code in the browser's address bar was used by the site: a second use fails.
            await assert.rejects(p((cb) => client.getAccessToken(last.code, cb)), (e) => e.code === 40163);
            // Deny leaves the user on Herald, with no code for the site.
            const seen = dev.seen.length;
            await page.goto(authorize);
            await page.click('#deny');
            await page.waitForSelector('text=Not shared');
            assert.equal(dev.seen.length, seen);
          } finally {
            await browser.close();
          }
        });
        dev.server.close();
      } finally {
        await h.stop();
      }
    });
  }
});
