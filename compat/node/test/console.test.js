// The business console in real headless Chromium, driven by role and accessible name (issue 27):
// an owner signs in with the credentials the operator set, builds a menu (a click button and a
// sub-menu) and a follower sees it in the app; the owner finds the follower in the list, resets
// the AppSecret (shown once) and the old one is refused by /cgi-bin/token; switches to Chinese;
// signs out. Every screen is checked with axe-core: no serious or critical violation.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { backends, start, launchChromium, axeCheck } = require('./herald');

const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');

async function axe(page, screen, backend) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `console-${screen}-${backend}.png`), fullPage: true });
  await axeCheck(page, screen);
}

const http = require('node:http');
const wechat = require('wechat');
const DEV_TOKEN = 'consoletoken1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/// A developer server (the npm `wechat` middleware, safe mode) that answers 500 while `broken`.
function devServer(appid) {
  const state = { broken: false };
  const mw = wechat({ token: DEV_TOKEN, appid, encodingAESKey: AES_KEY }).text((m, req, res) => res.reply('got: ' + m.Content)).middlewarify();
  const server = http.createServer((req, res) => {
    req.query = Object.fromEntries(new URL(req.url, 'http://localhost').searchParams);
    if (state.broken && req.method === 'POST') { res.writeHead(500); res.end('down for maintenance'); return; }
    mw(req, res, (err) => { res.writeHead(500); res.end(String(err)); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, state, url: `http://127.0.0.1:${server.address().port}/wx` })));
}

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const tokenFor = async (h, appid, secret) => (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`)).json());

test('the console, as an owner runs an account', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      // With the request log on: the account's API call log reads it.
      const h = await start(backend, undefined, { HERALD_REQUEST_LOG: 'true' });
      const browser = await launchChromium();
      try {
        const acme = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme Bank', type: 'service', owner: { kind: 'organisation', name: 'Acme' }, verified: true })).body;
        const rival = (await h.op('POST', '/herald/v1/accounts', { name: 'Rival Bank', type: 'service', owner: { kind: 'organisation', name: 'Rival' }, verified: true })).body;
        assert.equal((await h.op('PUT', `/herald/v1/owners/${acme.owner.id}/login`, { email: 'ops@acme.example', password: 'correct horse' })).status, 200);
        // A follower with a login, following Acme.
        const user = (await h.op('POST', '/herald/v1/users', { nickname: 'Xiao Ming' })).body;
        assert.equal((await h.op('POST', `/herald/v1/users/${user.id}/login`, { login: 'xiaoming', password: 'correct horse' })).status, 201);
        assert.equal((await h.op('POST', `/herald/v1/users/${user.id}/follow`, { appid: acme.appid })).status, 200);

        const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('dialog', (d) => d.accept());

        // Signing in: a wrong password is refused, the right one opens the account list, which
        // holds the owner's account and not another owner's.
        await page.goto(h.base + '/console');
        await page.getByRole('heading', { name: 'Herald console' }).waitFor();
        await page.getByLabel('Email').fill('ops@acme.example');
        await page.getByLabel('Password').fill('wrong password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').getByText('Wrong email or password.').waitFor();
        await axe(page, 'signin', backend);
        await page.getByLabel('Password').fill('correct horse');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Your official accounts' }).waitFor();
        await axe(page, 'accounts', backend);
        assert.equal(await page.getByRole('link', { name: /^Rival Bank/ }).count(), 0);
        await page.getByRole('link', { name: /^Acme Bank/ }).click();
        await page.getByRole('heading', { name: 'Acme Bank' }).waitFor();
        await page.getByRole('term').filter({ hasText: 'Followers' }).waitFor();
        // The overview's chart over 7 days (the follower followed today), and over 30.
        await page.getByRole('img', { name: 'Followers over the last 7 days: 1 new, 0 unfollows, net 1.' }).waitFor();
        await page.getByRole('combobox', { name: 'Period' }).selectOption({ label: 'Last 30 days' });
        await page.getByRole('img', { name: /^Followers over the last 30 days/ }).waitFor();
        await page.getByText('Per day', { exact: true }).first().click();
        assert.equal(await page.getByRole('table', { name: 'Per day' }).getByRole('row').count(), 31, 'a header and 30 days');
        await axe(page, 'overview', backend);

        // The menu: a click button and a sub-menu with a link, previewed, saved.
        await page.getByRole('navigation', { name: 'Account sections' }).getByRole('link', { name: 'Menu' }).click();
        await page.getByRole('button', { name: 'Add a menu button' }).click();
        const first = page.getByRole('group', { name: 'Button 1' });
        await first.getByLabel('Name').fill('Balance');
        await first.getByLabel('Type').selectOption('click');
        await first.getByLabel('Key').fill('BALANCE');
        await page.getByRole('button', { name: 'Add a menu button' }).click();
        const second = page.getByRole('group', { name: 'Button 2', exact: true });
        await second.getByLabel('Name', { exact: true }).first().fill('More');
        await second.getByLabel('Type', { exact: true }).first().selectOption('sub');
        await page.getByRole('button', { name: 'Add a sub-button to More' }).click();
        const sub = page.getByRole('group', { name: 'Sub-button 1 of More' });
        await sub.getByLabel('Name').fill('Branches');
        await sub.getByLabel('Type').selectOption('view');
        await sub.getByLabel('URL').fill('https://acme.example/branches');
        await page.getByRole('figure', { name: 'Phone preview' }).getByText('Branches').waitFor();
        await page.getByRole('button', { name: 'Save menu' }).click();
        await page.getByRole('status').getByText('Menu saved. Followers see it now.').waitFor();
        await axe(page, 'menu', backend);
        // The wire sees it too.
        const tok = (await tokenFor(h, acme.appid, acme.app_secret)).access_token;
        const got = await (await fetch(`${h.base}/cgi-bin/menu/get?access_token=${tok}`)).json();
        assert.deepEqual(got.menu.button.map((b) => b.name), ['Balance', 'More'], JSON.stringify(got));

        // The follower sees the menu in the app.
        const phone = await browser.newPage({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
        await phone.goto(h.base + '/signin');
        await phone.getByLabel('Username or phone number').fill('xiaoming');
        await phone.getByLabel('Password').fill('correct horse');
        await phone.getByRole('button', { name: 'Sign in' }).click();
        await phone.getByRole('heading', { name: 'Chats' }).waitFor();
        await phone.goto(`${h.base}/chat/${acme.appid}`);
        // The chat opens on the account's menu.
        await phone.getByRole('button', { name: 'Balance' }).waitFor();
        await phone.getByRole('button', { name: 'More' }).click();
        await phone.getByRole('button', { name: 'Branches' }).waitFor();
        // The follower writes; Acme has no developer server, so an agent answers from the console.
        await phone.getByRole('button', { name: 'Keyboard' }).click();
        await phone.getByRole('textbox', { name: 'Message' }).fill('Where is my card?');
        await phone.getByRole('button', { name: 'Send' }).click();

        await page.getByRole('link', { name: 'Messages' }).click();
        await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: /Xiao Ming/ }).click();
        const thread = page.getByRole('list', { name: 'Conversation with Xiao Ming' });
        await thread.getByText('Where is my card?').waitFor();
        // Quick replies kept at hand: saved once, put in the reply box with one press.
        await page.getByText('Manage quick replies').click();
        await page.getByRole('textbox', { name: 'Quick replies' }).fill('It is on its way.\n\n  Thanks for waiting!  ');
        await page.getByRole('button', { name: 'Save the quick replies' }).click();
        await page.getByRole('status').getByText('2 quick replies saved.').waitFor();
        await page.getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: 'Use the quick reply: It is on its way.' }).click();
        assert.equal(await page.getByRole('textbox', { name: 'Reply' }).inputValue(), 'It is on its way.');
        await page.getByRole('button', { name: 'Send reply' }).click();
        await thread.getByText('It is on its way.').waitFor();
        await axe(page, 'messages', backend);
        // It reaches the follower's open chat live.
        await phone.getByRole('list', { name: 'Chat with Acme Bank' }).getByText('It is on its way.').waitFor();
        await phone.close();
        // Two days later the window has closed: the reply is refused with the reason, and the
        // composer says why once the conversation is reopened.
        assert.equal((await h.op('POST', '/herald/v1/clock', { advance: 48 * 3600 + 1 })).status, 200);
        await page.getByRole('textbox', { name: 'Reply' }).fill('Anything else?');
        await page.getByRole('button', { name: 'Send reply' }).click();
        await page.getByRole('alert').getByText(/48-hour window is closed/).waitFor();
        await page.getByRole('textbox', { name: 'Reply', disabled: true }).waitFor();
        assert.equal(await thread.getByText('Anything else?').count(), 0);

        // Followers: the follower is listed, found by nickname.
        await page.getByRole('link', { name: 'Followers' }).click();
        await page.getByRole('searchbox', { name: 'Search by openid, remark or nickname' }).fill('Xiao');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('cell', { name: 'Xiao Ming' }).waitFor();
        // The follower's profile: a remark, saved and shown in the list.
        await page.getByRole('button', { name: 'Xiao Ming' }).click();
        const profile = page.getByRole('region', { name: 'Profile of Xiao Ming' });
        await profile.getByLabel('Remark').fill('VIP customer');
        await profile.getByRole('button', { name: 'Save profile' }).click();
        await profile.getByRole('status').getByText('Profile saved.').waitFor();
        await page.getByRole('cell', { name: 'VIP customer' }).waitFor();
        // A tag made here, given to the follower from the open profile.
        await page.getByRole('textbox', { name: 'New tag' }).fill('regulars');
        await page.getByRole('button', { name: 'Create tag' }).click();
        await page.getByRole('status').getByText('Tag regulars created.').waitFor();
        await profile.getByRole('checkbox', { name: 'regulars' }).check();
        await profile.getByRole('button', { name: 'Save profile' }).click();
        await profile.getByRole('status').getByText('Profile saved.').waitFor();
        await page.getByRole('textbox', { name: 'regulars (1 followers)' }).waitFor();
        // Filtered by the tag: only Xiao Ming.
        await page.getByRole('searchbox', { name: 'Search by openid, remark or nickname' }).fill('');
        await page.reload();
        await page.getByRole('combobox', { name: 'With tag' }).selectOption({ label: 'regulars' });
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('cell', { name: 'VIP customer' }).waitFor();
        assert.equal(await page.getByRole('row').count(), 2, 'a header and Xiao Ming');
        await axe(page, 'followers', backend);

        // A QR code with a scene: created, shown with its PNG; its scans and the follows they brought count.
        await page.getByRole('link', { name: 'QR codes' }).click();
        const form = page.getByRole('group', { name: 'New QR code' });
        await form.getByLabel('Scene', { exact: true }).fill('poster-1');
        await form.getByRole('button', { name: 'Create QR code' }).click();
        await page.getByRole('status').getByText('QR code for poster-1 created.').waitFor();
        await page.getByRole('img', { name: 'QR code for poster-1' }).waitFor();
        const png = await page.request.get(h.base + await page.getByRole('link', { name: 'Download the PNG for poster-1' }).getAttribute('href'));
        assert.equal(png.headers()['content-type'], 'image/png');
        const codes = (await (await page.request.get(`${h.base}/herald/v1/accounts/${acme.appid}/qrcodes`)).json()).qrcodes;
        const fan = (await h.op('POST', '/herald/v1/users', { nickname: 'Poster Fan' })).body;
        // The fan scans it twice: two scans, one follow.
        assert.equal((await h.op('POST', `/herald/v1/users/${fan.id}/scan`, { ticket: codes[0].ticket })).status, 200);
        assert.equal((await h.op('POST', `/herald/v1/users/${fan.id}/scan`, { ticket: codes[0].ticket })).status, 200);
        await page.reload();
        await page.getByRole('columnheader', { name: 'Scans' }).waitFor();
        const row = page.getByRole('row', { name: /poster-1/ });
        await row.getByRole('cell', { name: '2', exact: true }).waitFor();
        await row.getByRole('cell', { name: '1', exact: true }).waitFor();
        await axe(page, 'qrcodes', backend);

        // A mass message to a tag: the preview counts whom it reaches, the history its result.
        const tok2 = (await tokenFor(h, acme.appid, acme.app_secret)).access_token;
        const tag = (await (await fetch(`${h.base}/cgi-bin/tags/create?access_token=${tok2}`, { method: 'POST', body: JSON.stringify({ tag: { name: 'vip' } }) })).json()).tag.id;
        const xm = (await h.op('GET', `/herald/v1/users/${user.id}/following`)).body;
        const openid = JSON.stringify(xm).match(/"openid":"([^"]+)"/)[1];
        await fetch(`${h.base}/cgi-bin/tags/members/batchtagging?access_token=${tok2}`, { method: 'POST', body: JSON.stringify({ openid_list: [openid], tagid: tag }) });
        await page.getByRole('link', { name: 'Broadcast' }).click();
        await page.getByRole('status').getByText('Reaches 2 followers: 2 targeted, 0 filtered out by the monthly quota.').waitFor();
        await page.getByRole('combobox', { name: 'Audience' }).selectOption({ label: 'Tag vip (1)' });
        await page.getByRole('status').getByText('Reaches 1 followers: 1 targeted, 0 filtered out by the monthly quota.').waitFor();
        await page.getByRole('textbox', { name: 'Message' }).fill('VIP evening at the branch');
        await page.getByRole('button', { name: 'Send mass message' }).click();
        await page.getByRole('row', { name: /VIP evening at the branch/ }).getByRole('cell', { name: 'SEND_SUCCESS' }).waitFor();
        await axe(page, 'broadcast', backend);

        // An article: written with a cover and bold text, saved as a draft, mass-sent to the tag
        // as mpnews, then published.
        await page.getByRole('link', { name: 'Articles' }).click();
        const art = page.getByRole('group', { name: 'New article' });
        await art.getByLabel('Title').fill('Autumn rates');
        await art.getByLabel('Digest').fill('Better rates for savers');
        await art.getByLabel('Cover image').setInputFiles({ name: 'cover.png', mimeType: 'image/png', buffer: PNG });
        await art.getByRole('img', { name: 'The cover' }).waitFor();
        await art.getByRole('textbox', { name: 'Article body' }).click();
        await page.keyboard.type('New ');
        await art.getByRole('button', { name: 'Bold' }).click();
        await page.keyboard.type('rates');
        await art.getByRole('button', { name: 'Save draft' }).click();
        await page.getByRole('status').getByText('Draft Autumn rates saved.').waitFor();
        // Previewed to Xiao Ming before anyone else sees it.
        await page.getByRole('textbox', { name: 'Preview to a follower (OpenID)' }).fill(openid);
        await page.getByRole('button', { name: 'Preview Autumn rates' }).click();
        await page.getByRole('status').getByText('Autumn rates sent to the follower as a preview.').waitFor();
        const previewed = (await h.op('GET', `/herald/v1/users/${user.id}/conversations/${acme.appid}`)).body;
        assert.match(JSON.stringify(previewed), /Autumn rates/);
        await axe(page, 'articles', backend);
        await page.getByRole('link', { name: 'Broadcast' }).click();
        await page.getByRole('combobox', { name: 'Content' }).selectOption({ label: 'Article: Autumn rates' });
        await page.getByRole('combobox', { name: 'Audience' }).selectOption({ label: 'Tag vip (1)' });
        await page.getByRole('button', { name: 'Send mass message' }).click();
        await page.getByRole('row', { name: /Autumn rates/ }).getByRole('cell', { name: 'SEND_SUCCESS' }).waitFor();
        const token3 = (await tokenFor(h, acme.appid, acme.app_secret)).access_token;
        const drafts = await (await fetch(`${h.base}/cgi-bin/draft/batchget?access_token=${token3}`, { method: 'POST', body: JSON.stringify({ offset: 0, count: 5, no_content: 0 }) })).json();
        assert.match(drafts.item[0].content.news_item[0].content, /New <b>rates<\/b>/, JSON.stringify(drafts));
        await page.getByRole('link', { name: 'Articles' }).click();
        await page.getByRole('button', { name: 'Publish Autumn rates' }).click();
        await page.getByRole('status').getByText('Autumn rates published.').waitFor();

        // Auto-replies: a keyword rule answers a follower's message (Acme has no developer server).
        await page.getByRole('link', { name: 'Auto-replies' }).click();
        await page.getByRole('button', { name: 'Add a keyword rule' }).click();
        const rule = page.getByRole('group', { name: 'Keyword rule 1' });
        await rule.getByLabel('Keyword').fill('hours');
        await rule.getByLabel('Reply text').fill('We open 9 to 5.');
        await page.getByRole('button', { name: 'Save auto-replies' }).click();
        await page.getByRole('status').getByText('Auto-replies saved.').waitFor();
        await axe(page, 'auto-replies', backend);
        await h.op('POST', `/herald/v1/users/${user.id}/messages`, { appid: acme.appid, msgtype: 'text', content: 'hours' });
        let answered = false;
        for (let i = 0; i < 100 && !answered; i++) {
          answered = JSON.stringify((await h.op('GET', `/herald/v1/users/${user.id}/conversations/${acme.appid}`)).body).includes('We open 9 to 5.');
          if (!answered) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(answered, 'the keyword rule answered');

        // Developer settings: the AppSecret is masked, reset shows the new one once; the old one
        // no longer issues tokens, the new one does.
        await page.getByRole('link', { name: 'Developer settings' }).click();
        await page.getByText(acme.app_secret.slice(-4)).waitFor();
        assert.equal(await page.getByText(acme.app_secret).count(), 0, 'the secret is masked');
        await page.getByRole('button', { name: 'Reset AppSecret' }).click();
        const shown = await page.getByRole('alert').filter({ hasText: 'New AppSecret' }).textContent();
        const fresh = shown.match(/[0-9a-zA-Z]{32}/)[0];
        assert.notEqual(fresh, acme.app_secret);
        await axe(page, 'developer', backend);
        assert.equal((await tokenFor(h, acme.appid, acme.app_secret)).errcode, 40125);
        assert.ok((await tokenFor(h, acme.appid, fresh)).access_token);
        // The IP allow-list: this machine left out, tokens are refused with 40164; put back, issued.
        await page.getByRole('textbox', { name: 'API IP allow-list' }).fill('203.0.113.0/24');
        await page.getByRole('button', { name: 'Save the allow-list' }).click();
        await page.getByRole('status').getByText('Allow-list saved: 1 entries.').waitFor();
        assert.equal((await tokenFor(h, acme.appid, fresh)).errcode, 40164);
        await page.getByRole('textbox', { name: 'API IP allow-list' }).fill('');
        await page.getByRole('button', { name: 'Save the allow-list' }).click();
        await page.getByRole('status').getByText(/Allow-list cleared/).waitFor();
        assert.ok((await tokenFor(h, acme.appid, fresh)).access_token);
        // The API call log: the refused token calls with their errcodes, the secret masked.
        await page.getByRole('navigation', { name: 'Account sections' }).getByRole('link', { name: 'API calls' }).click();
        await page.getByRole('checkbox', { name: 'Errors only' }).check();
        const refusals = page.getByRole('table', { name: 'API calls' });
        await refusals.getByRole('cell', { name: '40164', exact: true }).waitFor();
        await refusals.getByRole('cell', { name: '40125', exact: true }).waitFor();
        assert.equal(await refusals.getByRole('row').count(), 3, 'a header, the 40164 and the 40125');
        await refusals.getByText('GET /cgi-bin/token').first().click();
        await refusals.getByText(/secret=\*\*\*/).first().waitFor();
        assert.equal(await page.getByText(fresh).count(), 0, 'the secret is masked');
        await axe(page, 'api-calls', backend);
        // The rival's account cannot be opened.
        await page.goto(`${h.base}/console/accounts/${rival.appid}`);
        await page.getByRole('alert').getByText('Something went wrong.').waitFor();

        // The account page: a subscription account of the same owner upgrades to a service
        // account (and says it cannot go back); the web OAuth domain is saved.
        const news = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme News', type: 'subscription', owner_id: acme.owner.id })).body;
        await page.goto(`${h.base}/console/accounts/${news.appid}/settings`);
        await page.getByRole('button', { name: 'Upgrade to a service account' }).click();
        await page.getByRole('status').getByText('Upgraded: this is now a service account.').waitFor();
        await page.getByText('A service account cannot become a subscription account again.').waitFor();
        assert.equal((await h.op('GET', `/herald/v1/accounts/${news.appid}`)).body.type, 'service');
        await page.getByRole('textbox', { name: 'Introduction' }).fill('  Acme news, every morning.  ');
        await page.getByRole('button', { name: 'Save the introduction' }).click();
        await page.getByRole('status').getByText('Introduction saved.').waitFor();
        assert.equal(await page.getByRole('textbox', { name: 'Introduction' }).inputValue(), 'Acme news, every morning.');
        assert.equal((await h.op('GET', `/herald/v1/directory/${news.appid}`)).body.intro, 'Acme news, every morning.');
        await page.getByRole('textbox', { name: 'Web OAuth domain' }).fill('news.acme.example');
        await page.getByRole('button', { name: 'Save the domain' }).click();
        await page.getByRole('status').getByText('Domain saved.').waitFor();
        assert.equal((await h.op('GET', `/herald/v1/accounts/${news.appid}/web_domain`)).body.domain, 'news.acme.example');
        await axe(page, 'settings', backend);

        // Chinese, then signing out.
        await page.goto(h.base + '/console');
        await page.getByRole('button', { name: '中文' }).click();
        await page.getByRole('heading', { name: '你的公众号' }).waitFor();
        await page.getByRole('button', { name: '退出登录' }).click();
        await page.getByRole('button', { name: '登录', exact: true }).waitFor();
        const me = await page.request.get(h.base + '/herald/v1/console/me');
        assert.equal(me.status(), 401);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});

test('the console, as the operator runs the platform', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(h.base + '/console');
        await page.getByText('Sign in as the operator').first().click();
        const form = page.getByRole('form', { name: 'Sign in as the operator' });
        await form.getByLabel('Operator token').fill('not the token');
        await form.getByRole('button', { name: 'Sign in as the operator' }).click();
        await page.getByRole('alert').getByText('That is not the operator token.').waitFor();
        await form.getByLabel('Operator token').fill('compat-operator-token-0123456789');
        await form.getByRole('button', { name: 'Sign in as the operator' }).click();
        await page.getByRole('heading', { name: 'Your official accounts' }).waitFor();

        // A new organisation and its unverified service account; verified from the console; its
        // owner given a console sign-in.
        const create = page.getByRole('group', { name: 'New account' });
        await create.getByLabel('Name', { exact: true }).fill('Noodle House');
        await create.getByLabel("New owner's name").fill('Noodle Co');
        await create.getByRole('button', { name: 'Create account' }).click();
        await page.getByRole('status').getByText(/Created Noodle House/).waitFor();
        await page.getByRole('link', { name: /^Noodle House/ }).waitFor();
        await page.getByRole('button', { name: 'Verify Noodle House' }).click();
        await page.getByRole('status').getByText('Noodle House is verified.').waitFor();
        const login = page.getByRole('group', { name: 'Console sign-in for an owner' });
        await login.getByLabel('Owner').selectOption({ label: 'Noodle Co' });
        await login.getByLabel('Email').fill('boss@noodle.example');
        await login.getByLabel('Password').fill('correct horse');
        await login.getByRole('button', { name: 'Set the sign-in' }).click();
        await page.getByRole('status').getByText('boss@noodle.example can sign in now.').waitFor();
        await axe(page, 'operator', backend);
        const all = (await h.op('GET', '/herald/v1/accounts')).body.accounts;
        const noodle = all.find((a) => a.name === 'Noodle House');
        assert.equal(noodle.verified, true);

        // Signing out forgets the token; the owner signs in and sees its account.
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Email').fill('boss@noodle.example');
        await page.getByLabel('Password', { exact: true }).fill('correct horse');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('link', { name: /^Noodle House/ }).waitFor();
        assert.equal(await page.getByRole('group', { name: 'New account' }).count(), 0, 'owners have no operator tools');
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});

test('the console, as an owner finds a failed delivery and redelivers it', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      let dev;
      try {
        const acme = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme Bank', type: 'service', owner: { kind: 'organisation', name: 'Acme' }, verified: true })).body;
        assert.equal((await h.op('PUT', `/herald/v1/owners/${acme.owner.id}/login`, { email: 'ops@acme.example', password: 'correct horse' })).status, 200);
        dev = await devServer(acme.appid);
        assert.equal((await h.op('PUT', `/herald/v1/accounts/${acme.appid}/server`, { url: dev.url, token: DEV_TOKEN, encoding_aes_key: AES_KEY, message_mode: 'safe' })).status, 200);
        const user = (await h.op('POST', '/herald/v1/users', { nickname: 'Mei' })).body;
        await h.op('POST', `/herald/v1/users/${user.id}/follow`, { appid: acme.appid });
        // The server goes down; a follower's message fails all three attempts.
        dev.state.broken = true;
        await h.op('POST', `/herald/v1/users/${user.id}/messages`, { appid: acme.appid, msgtype: 'text', content: 'is the branch open?' });
        let failed;
        for (let i = 0; i < 200 && !failed; i++) {
          const d = (await h.op('GET', `/herald/v1/accounts/${acme.appid}/deliveries`)).body.deliveries;
          failed = d.find((x) => x.state === 'failed');
          if (!failed) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(failed, 'the delivery failed');

        const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
        await page.goto(h.base + '/console/signin');
        await page.getByLabel('Email').fill('ops@acme.example');
        await page.getByLabel('Password', { exact: true }).fill('correct horse');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('link', { name: /^Acme Bank/ }).click();
        await page.getByRole('link', { name: 'Delivery log' }).click();
        const row = page.getByRole('row', { name: new RegExp(`^${failed.id} `) });
        await row.getByRole('cell', { name: 'Failed' }).waitFor();
        await row.getByText(`3 attempts of delivery ${failed.id}`).click();
        await row.getByText('Request (decrypted)').first().waitFor();
        await row.getByText(/is the branch open\?/).first().waitFor();
        await row.getByText(/^Attempt 3: HTTP 500/).waitFor();
        await axe(page, 'deliveries', backend);
        // Back up: redelivered from the log; it is delivered and the reply reaches the follower.
        dev.state.broken = false;
        await row.getByRole('button', { name: `Redeliver delivery ${failed.id}` }).click();
        await page.getByRole('status').getByText('1 requeued.').waitFor();
        let conv = [];
        for (let i = 0; i < 200 && !conv.some((m) => JSON.stringify(m).includes('got: is the branch open?')); i++) {
          await new Promise((r) => setTimeout(r, 100));
          conv = (await h.op('GET', `/herald/v1/users/${user.id}/conversations/${acme.appid}`)).body.messages;
        }
        assert.ok(conv.some((m) => JSON.stringify(m).includes('got: is the branch open?')), JSON.stringify(conv));
        await page.reload();
        await page.getByRole('row', { name: new RegExp(`^${failed.id} `) }).getByRole('cell', { name: 'Delivered' }).waitFor();
      } finally {
        await browser.close();
        if (dev) dev.server.close();
        await h.stop();
      }
    });
  }
});
