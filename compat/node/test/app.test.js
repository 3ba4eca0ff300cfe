// The Herald app in real headless Chromium, driven by role and accessible name as a person
// would (issue 26): sign up, find and follow a service account whose developer server (the
// npm `wechat` middleware, safe mode) answers, chat and see the reply arrive live, tap the
// menu, read a subscription account's mass article in the folder (not in the chat list), top
// up the wallet, switch to Chinese. Every screen is screenshotted into test-artifacts/ and
// checked with axe-core: no serious or critical violation.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const wechat = require('wechat');
const { backends, start, launchChromium, axeCheck } = require('./herald');

const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');
const TOKEN = 'apptoken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

function devServer(appid) {
  const mw = wechat({ token: TOKEN, appid, encodingAESKey: AES_KEY })
    .text((m, req, res) => res.reply('echo: ' + m.Content))
    .image((m, req, res) => res.reply(m.PicUrl && m.MediaId ? 'got your picture' : 'picture without url'))
    .location((m, req, res) => res.reply(`you are at ${m.Label} (${m.Location_X}, ${m.Location_Y})`))
    .link((m, req, res) => res.reply('saved ' + m.Title))
    .event((m, req, res) => res.reply(m.Event === 'CLICK' ? `Your balance is ¥100 (${m.EventKey})` : m.Event === 'subscribe' ? 'Welcome to Acme'
      : m.Event === 'location_select' ? `nearest ATM to ${m.SendLocationInfo.Label}` : m.Event === 'scancode_waitmsg' ? `scanned ${m.ScanCodeInfo.ScanResult}` : ''))
    .middlewarify();
  const server = http.createServer((req, res) => {
    req.query = Object.fromEntries(new URL(req.url, 'http://localhost').searchParams);
    mw(req, res, (err) => { res.writeHead(500); res.end(String(err)); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/wx` })));
}

async function cgi(h, account, p, body) {
  const tok = (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${account.appid}&secret=${account.app_secret}`)).json()).access_token;
  const r = await fetch(`${h.base}/cgi-bin/${p}${p.includes('?') ? '&' : '?'}access_token=${tok}`, body instanceof FormData ? { method: 'POST', body } : { method: 'POST', body: JSON.stringify(body) });
  return r.json();
}

async function axe(page, screen, backend) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `app-${screen}-${backend}.png`), fullPage: screen !== 'article' });
  await axeCheck(page, screen);
}

test('the Herald app, as a follower uses it', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      let dev;
      try {
        const acme = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme Bank', type: 'service', owner: { kind: 'organisation', name: 'Acme' }, verified: true, intro: 'Cards, accounts and a person to answer.' })).body;
        const notes = (await h.op('POST', '/herald/v1/accounts', { name: "Li Wei's Notes", type: 'subscription', owner: { kind: 'organisation', name: 'Li Wei Studio' }, verified: true })).body;
        dev = await devServer(acme.appid);
        const set = await h.op('PUT', `/herald/v1/accounts/${acme.appid}/server`, { url: dev.url, token: TOKEN, encoding_aes_key: AES_KEY, message_mode: 'safe' });
        assert.equal(set.status, 200, JSON.stringify(set.body));
        const menu = await cgi(h, acme, 'menu/create', { button: [{ type: 'click', name: 'Balance', key: 'BALANCE' }, { name: 'More', sub_button: [{ type: 'view', name: 'Branches', url: 'http://127.0.0.1/branches' }, { type: 'location_select', name: 'Nearest ATM', key: 'ATM' }, { type: 'scancode_waitmsg', name: 'Scan a bill', key: 'BILL' }] }] });
        assert.equal(menu.errcode, 0, JSON.stringify(menu));

        const page = await browser.newPage({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));

        // Sign up.
        await page.goto(h.base + '/');
        await page.getByRole('link', { name: 'Sign up' }).click();
        await page.getByLabel('Username or phone number').fill('xiaoming');
        await page.getByLabel('Nickname').fill('Xiao Ming');
        await page.getByLabel('Password').fill('correct horse');
        await axe(page, 'signup', backend);
        await page.getByRole('button', { name: 'Sign up' }).click();
        await page.getByRole('heading', { name: 'Chats' }).waitFor();
        await axe(page, 'chats-empty', backend);

        // Find the account, follow it.
        await page.getByRole('link', { name: 'Contacts' }).click();
        await page.getByRole('searchbox', { name: 'Search accounts' }).fill('acme');
        await page.getByRole('button', { name: 'Search accounts' }).click();
        await page.getByRole('link', { name: /Acme Bank/ }).first().click();
        await page.getByRole('heading', { name: 'Acme Bank' }).waitFor();
        await page.getByRole('region', { name: 'Introduction' }).getByText('Cards, accounts and a person to answer.').waitFor();
        await axe(page, 'account', backend);
        await page.getByRole('button', { name: 'Follow' }).click();
        await page.getByRole('link', { name: 'Open chat' }).click();

        // The welcome, then a message and its reply, arriving live.
        const chat = page.getByRole('list', { name: 'Chat with Acme Bank' });
        await chat.getByText('Welcome to Acme').waitFor();
        await page.getByRole('button', { name: 'Keyboard' }).click();
        await page.getByRole('textbox', { name: 'Message' }).fill('hello there');
        await page.getByRole('button', { name: 'Send' }).click();
        await chat.getByText('echo: hello there').waitFor();
        // The menu: tap Balance; the developer server's answer to CLICK arrives.
        await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('button', { name: 'Balance' }).click();
        await chat.getByText('Your balance is ¥100 (BALANCE)').waitFor();
        await page.getByRole('button', { name: 'More' }).click();
        await page.getByRole('button', { name: 'Branches' }).waitFor();
        await axe(page, 'chat-menu', backend);
        // location_select: pick a point; the developer server answers to it.
        await page.getByRole('button', { name: 'Nearest ATM' }).click();
        const pick = page.getByRole('form', { name: 'Location' });
        await pick.getByLabel('Place').fill('People Square');
        await axe(page, 'chat-location', backend);
        await pick.getByRole('button', { name: 'Send' }).click();
        await chat.getByText('nearest ATM to People Square').waitFor();
        await page.getByRole('button', { name: 'More' }).click();
        await page.getByRole('button', { name: 'Scan a bill' }).click();
        await page.getByRole('form', { name: 'Scanned text' }).getByLabel('Scanned text').fill('BILL-2026-001');
        await page.getByRole('form', { name: 'Scanned text' }).getByRole('button', { name: 'Send' }).click();
        await chat.getByText('scanned BILL-2026-001').waitFor();
        // A photo, a location and a link, sent from the keyboard's "+" panel.
        await page.getByRole('button', { name: 'Keyboard' }).click();
        await page.getByRole('button', { name: 'More actions' }).click();
        await page.getByLabel('Photo').first().setInputFiles({ name: 'p.png', mimeType: 'image/png', buffer: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(64)]) });
        await chat.getByText('got your picture').waitFor();
        await page.getByRole('button', { name: 'More actions' }).click();
        await page.getByRole('button', { name: 'Location', exact: true }).click();
        const here = page.getByRole('form', { name: 'Location' });
        await here.getByLabel('Place').fill('The Bund');
        await here.getByRole('button', { name: 'Send' }).click();
        await chat.getByText('you are at The Bund (31.2304, 121.4737)').waitFor();
        await page.getByRole('button', { name: 'More actions' }).click();
        await page.getByRole('button', { name: 'Link', exact: true }).click();
        const share = page.getByRole('form', { name: 'Link' });
        await share.getByLabel('Title').fill('Herald docs');
        await share.getByLabel('URL').fill('https://example.com/docs');
        await share.getByRole('button', { name: 'Send' }).click();
        await chat.getByText('saved Herald docs').waitFor();
        await axe(page, 'chat', backend);

        // A subscription account's mass article lands in the folder, not as a chat of its own.
        const me = (await (await page.request.get(h.base + '/herald/v1/me')).json()).user;
        assert.equal((await h.op('POST', `/herald/v1/users/${me.id}/follow`, { appid: notes.appid })).status, 200);
        const form = new FormData();
        form.append('media', new Blob([Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(64)])], { type: 'image/png' }), 'c.png');
        const thumb = await cgi(h, notes, 'material/add_material?type=image', form);
        const news = await cgi(h, notes, 'material/add_news', { articles: [{ title: 'Spring in Hangzhou', content: '<p>The lake in <b>spring</b>.</p>', thumb_media_id: thumb.media_id, digest: 'West Lake notes' }] });
        const sent = await cgi(h, notes, 'message/mass/sendall', { filter: { is_to_all: true }, mpnews: { media_id: news.media_id }, msgtype: 'mpnews', send_ignore_reprint: 1 });
        assert.equal(sent.errcode, 0, JSON.stringify(sent));
        await page.getByRole('link', { name: 'Back' }).click();
        await page.getByRole('link', { name: /Subscriptions/ }).waitFor();
        assert.equal(await page.getByRole('link', { name: /Li Wei's Notes/ }).count(), 0, 'no chat of its own');
        await page.getByRole('link', { name: /Acme Bank/ }).waitFor();
        await axe(page, 'chats', backend);
        await page.getByRole('link', { name: /Subscriptions/ }).click();
        await page.getByRole('heading', { name: "Li Wei's Notes" }).waitFor();
        await axe(page, 'subscriptions', backend);
        await page.getByRole('button', { name: /Spring in Hangzhou/ }).click();
        const frame = page.frameLocator('iframe[title="Article"]');
        await frame.getByRole('heading', { name: 'Spring in Hangzhou' }).waitFor();
        const src = await page.getByTitle('Article').getAttribute('src');
        assert.notEqual(new URL(src).origin, new URL(h.base).origin, 'the article comes from the content origin');
        assert.equal(await page.getByTitle('Article').getAttribute('sandbox'), 'allow-popups allow-popups-to-escape-sandbox');
        await axe(page, 'article', backend);
        await page.getByRole('button', { name: 'Back' }).click();

        // The wallet: a sandbox top-up.
        await page.getByRole('link', { name: 'Back' }).click();
        await page.getByRole('link', { name: 'Wallet' }).click();
        await page.getByText('¥0.00').waitFor();
        await page.getByRole('textbox', { name: 'Amount (¥)' }).fill('12.34');
        await page.getByRole('button', { name: 'Top up (sandbox)' }).click();
        await page.getByText('¥12.34').first().waitFor();
        await axe(page, 'wallet', backend);

        // Me: sessions, and Chinese.
        await page.getByRole('link', { name: 'Me' }).click();
        await page.getByRole('heading', { name: 'Xiao Ming' }).waitFor();
        await page.getByRole('button', { name: /Sign out this device: This device/ }).waitFor();
        await page.getByRole('textbox', { name: 'Nickname' }).fill('Ming');
        await page.getByRole('textbox', { name: 'Region' }).fill('Hangzhou');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('heading', { name: 'Ming', exact: true }).waitFor();
        await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
        const saved = (await h.op('GET', `/herald/v1/users/${me.id}`)).body;
        assert.deepEqual([saved.nickname, saved.profile.city], ['Ming', 'Hangzhou']);
        await axe(page, 'me', backend);
        await page.getByRole('combobox', { name: 'Language' }).selectOption('zh');
        await page.getByRole('link', { name: '通讯录' }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
        await axe(page, 'me-zh', backend);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        if (dev) dev.server.close();
        await h.stop();
      }
    });
  }
});
