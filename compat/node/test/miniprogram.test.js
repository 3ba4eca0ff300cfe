// A mini program in real headless Chromium, driven by role and accessible name (issue 28): the
// sample in examples/miniprogram, uploaded with `herald mp upload` and released, opened by
// scanning its wxacode in the follower app; its page renders (a custom component, wx:for, a
// scene from the code), taps update it, an input is typed into, storage survives a reload,
// wx.login reaches a developer server that calls jscode2session, a phone number is shared
// with the user's consent and exchanged by the developer server, a subscribe message is
// accepted and then sent, and navigation goes three pages deep and back. The runtime runs in a
// sandboxed frame of the content origin: it cannot read the app's cookies.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const WxPay = require('wechatpay-node-v3');
const { backends, start, launchChromium, payTransport, axeCheck } = require('./herald');

const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');
const SAMPLE = path.join(__dirname, '../../../examples/miniprogram');
const BIN = process.env.HERALD_BIN || path.join(__dirname, '../../../target/debug/herald');

// The mini program's developer server: /login exchanges a wx.login code with jscode2session,
// /phone a phone-number code with getuserphonenumber, /pay creates a JSAPI order with
// wechatpay-node-v3 for the user who logged in, as a real one would.
function devServer(h, mp, pay, notifyUrl) {
  let openid = '';
  const token = async () => (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${mp.appid}&secret=${mp.app_secret}`)).json()).access_token;
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    if (req.url === '/upload') {
      const text = raw.toString('latin1');
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(`${text.includes('name="photo"; filename="') && text.includes('from the shop') ? 'photo received' : 'bad form'} (${raw.length} bytes)`);
    }
    if (req.url === '/prices.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('Flask 129.00');
    }
    const data = raw.length && req.headers['content-type']?.includes('json') ? JSON.parse(raw.toString()) : {};
    let out;
    if (req.url === '/login') {
      out = await (await fetch(`${h.base}/sns/jscode2session?appid=${mp.appid}&secret=${mp.app_secret}&js_code=${data.code}&grant_type=authorization_code`)).json();
      delete out.session_key;
      openid = out.openid;
    } else if (req.url === '/phone') {
      const r = await (await fetch(`${h.base}/wxa/business/getuserphonenumber?access_token=${await token()}`, { method: 'POST', body: JSON.stringify({ code: data.code }) })).json();
      out = { phone: r.phone_info ? r.phone_info.purePhoneNumber : JSON.stringify(r) };
    } else if (req.url === '/pay') {
      const r = await pay.transactions_jsapi({ description: 'Flask', out_trade_no: 'MP' + crypto.randomBytes(6).toString('hex'), notify_url: notifyUrl, amount: { total: 12900 }, payer: { openid } });
      out = r.data;
    } else {
      out = { error: 'no such route' };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

async function cgiMenu(h, account, menu) {
  const tok = (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${account.appid}&secret=${account.app_secret}`)).json()).access_token;
  return (await fetch(`${h.base}/cgi-bin/menu/create?access_token=${tok}`, { method: 'POST', body: JSON.stringify(menu) })).json();
}

async function axe(frame, screen, backend, page) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `mp-${screen}-${backend}.png`) });
  await axeCheck(frame, screen);
}

test('a mini program, uploaded, scanned, opened and used', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      let dev;
      try {
        const mp = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme Shop', type: 'miniprogram', owner: { kind: 'organisation', name: 'Acme' }, verified: true })).body;
        // Uploaded and released with the CLI, as a developer does.
        const up = spawnSync(BIN, ['mp', 'upload', SAMPLE, '--appid', mp.appid, '--version', '1.0.0', '--description', 'first', '--release', '--url', h.base, '--token', 'compat-operator-token-0123456789'], { encoding: 'utf8' });
        assert.equal(up.status, 0, up.stderr);
        assert.deepEqual(JSON.parse(up.stdout).pages, ['pages/index/index', 'pages/detail/detail', 'pages/third/third']);

        const m = (await h.op('POST', '/herald/v1/merchants', { name: 'Acme Shop', appids: [mp.appid] })).body;
        const pay = new WxPay({ appid: mp.appid, mchid: m.mchid, publicKey: Buffer.from(m.certificate), privateKey: Buffer.from(m.private_key), key: m.apiv3_key });
        pay.createHttp(payTransport(h.base));
        const notified = [];
        const rx = http.createServer((req, res) => { let b = ''; req.on('data', (d) => { b += d; }); req.on('end', () => { notified.push(b); res.end(); }); });
        await new Promise((r) => rx.listen(0, '127.0.0.1', r));
        dev = await devServer(h, mp, pay, `http://127.0.0.1:${rx.address().port}/notify`);
        dev.rx = rx;
        const tok = (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${mp.appid}&secret=${mp.app_secret}`)).json()).access_token;
        const wxa = async (p, body) => (await fetch(`${h.base}/${p}?access_token=${tok}`, { method: 'POST', body: JSON.stringify(body) }));
        assert.equal((await (await wxa('wxa/modify_domain', { action: 'set', requestdomain: [dev.url] })).json()).errcode, 0);
        const tmpl = (await (await wxa('wxaapi/newtmpl/addtemplate', { tid: '1207', kidList: [2, 3], sceneDesc: 'shipping' })).json()).priTmplId;

        const user = await h.user('Mini Mia');
        assert.equal((await h.op('POST', `/herald/v1/users/${user}/wallet/topup`, { amount: 50000 })).status, 201);
        const stored = (v) => JSON.stringify({ type: 'String', data: v });
        // The sample reads its server and template from storage (a real one would build them in).
        for (const [k, v] of [['server', dev.url], ['template', tmpl]]) {
          assert.equal((await h.op('PUT', `/herald/v1/users/${user}/miniprograms/${mp.appid}/storage/${k}`, { value: stored(v) })).status, 200);
        }
        const code = await wxa('wxa/getwxacodeunlimit', { scene: 'table=7', page: 'pages/index/index' });
        assert.equal(code.headers.get('content-type'), 'image/png');
        const png = Buffer.from(await code.arrayBuffer());

        const link = (await h.op('POST', `/herald/v1/users/${user}/signin_links`, {})).body.url;
        const page = await browser.newPage({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
        page.on('pageerror', (e) => console.error('page error:', e));
        await page.goto(link);
        await page.goto(h.base + '/scan');
        const pic = path.join(ARTIFACTS, `mp-code-${backend}.png`);
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        fs.writeFileSync(pic, png);
        await page.getByLabel('Scan a picture').setInputFiles(pic);
        await page.waitForURL(/\/mp\//);
        const frame = page.frameLocator('iframe[title="Acme Shop"]');
        await frame.getByRole('button', { name: 'Add one' }).waitFor();
        // The scene from the code reached onLoad; the custom component and wx:for rendered.
        await frame.getByText('Opened from a code: table=7').waitFor();
        await frame.getByText('Welcome, guest').waitFor();
        await frame.getByText('Mug ¥39.00').waitFor();
        await frame.getByRole('heading', { name: 'Acme Shop' }).waitFor();
        const f = page.frames().find((x) => x.url().includes('/mpr/'));
        await axe(f, 'index', backend, page);
        // The runtime's origin is opaque: it sees no cookie of the app.
        assert.equal(await f.evaluate(() => { try { return document.cookie; } catch (e) { return 'blocked'; } }), 'blocked');

        await frame.getByRole('button', { name: 'Add one' }).click();
        await frame.getByRole('button', { name: 'Or tap this line' }).click();
        await frame.getByText('Count: 2').waitFor();
        await frame.getByRole('textbox', { name: 'Your name' }).fill('Mia');
        await frame.getByText('Welcome, Mia').waitFor();
        await frame.getByRole('button', { name: 'Save' }).click();
        await frame.getByText('Saved: Mia').waitFor();

        // wx.login → the developer server → jscode2session.
        await frame.getByRole('button', { name: 'Log in' }).click();
        const signedIn = await frame.getByText(/^Signed in as o/).textContent({ timeout: 10000 });
        const openid = signedIn.replace('Signed in as ', '').trim();
        assert.match(openid, /^o[\w-]{20,}$/);

        // The phone number, with the user's consent in the app (not the mini program).
        await frame.getByRole('button', { name: 'Share my phone number' }).click();
        const ask = page.getByRole('dialog', { name: 'Acme Shop asks for your phone number' });
        await ask.waitFor();
        await axe(page.mainFrame(), 'consent', backend, page);
        await ask.getByRole('textbox', { name: 'Phone number' }).fill('13800138000');
        await ask.getByRole('button', { name: 'Allow' }).click();
        await frame.getByText('Phone: 13800138000').waitFor();

        // A subscribe message: accepted, then sent by the developer server.
        await frame.getByRole('button', { name: 'Notify me when it ships' }).click();
        const sub = page.getByRole('dialog', { name: 'Acme Shop asks to send you these notices' });
        await sub.getByRole('checkbox', { name: '订单发货通知' }).check();
        await sub.getByRole('button', { name: 'Allow' }).click();
        await frame.getByText('Notices: accept').waitFor();
        const sent = await (await wxa('cgi-bin/message/subscribe/send', { touser: openid, template_id: tmpl, data: { thing2: { value: 'Flask' }, time3: { value: '2026-12-07 15:01' } } })).json();
        assert.equal(sent.errcode, 0, JSON.stringify(sent));

        // A picture chosen and uploaded (wx.chooseImage, wx.uploadFile), a file downloaded.
        await frame.getByRole('button', { name: 'Upload a photo' }).click();
        await frame.getByRole('dialog', { name: 'Choose pictures' }).getByLabel('Choose files').setInputFiles(pic);
        await frame.getByText(/^Upload: photo received \(\d+ bytes\)$/).waitFor();
        await frame.getByRole('button', { name: 'Download the price list' }).click();
        await frame.getByText('Download: 200 saved').waitFor();

        // A JSAPI order made by the developer server, paid from the wallet with the user's consent.
        await frame.getByRole('button', { name: 'Buy a flask' }).click();
        await page.getByRole('dialog', { name: 'Pay Acme Shop from your wallet?' }).getByRole('button', { name: 'Pay' }).click();
        await frame.getByText('Payment: paid').waitFor();
        assert.equal((await h.op('GET', `/herald/v1/users/${user}/wallet`)).body.balance, 50000 - 12900);
        for (let i = 0; i < 200 && notified.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        assert.equal(notified.length, 1, 'the payment notification reached the developer server');

        // Three pages deep and back.
        await frame.getByRole('link', { name: 'See item 42' }).click();
        await frame.getByRole('main').getByText('Item 42', { exact: true }).waitFor();
        await frame.getByRole('heading', { name: 'Item 42' }).waitFor();
        await frame.getByRole('link', { name: 'More about it' }).click();
        await frame.getByText('Pages open: 3').waitFor();
        await axe(f, 'third', backend, page);
        await frame.getByRole('button', { name: 'Back', exact: true }).click();
        await frame.getByRole('button', { name: 'Back to the shop' }).click();
        await frame.getByText('Count: 2').waitFor();

        // Storage survives the mini program being opened again.
        await page.getByRole('button', { name: 'More' }).click();
        await frame.getByText('Saved: Mia').waitFor();
        await frame.getByText('Count: 0').waitFor();

        // The capsule closes it; it is then among the recently used.
        await page.getByRole('button', { name: 'Close the mini program' }).click();
        await page.goto(h.base + '/scan');
        await page.getByRole('link', { name: 'Acme Shop' }).waitFor();

        // Opened from a linked official account's menu.
        const svc = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme Service', type: 'service', owner_id: mp.owner.id, verified: true })).body;
        assert.equal((await cgiMenu(h, svc, { button: [{ type: 'miniprogram', name: 'Shop', appid: mp.appid, pagepath: 'pages/detail/detail?id=7', url: 'http://127.0.0.1/shop' }] })).errcode, 0);
        await h.follow(user, svc);
        await page.goto(`${h.base}/chat/${svc.appid}`);
        await page.getByRole('button', { name: 'Shop' }).click();
        await page.waitForURL(/\/mp\//);
        await page.frameLocator('iframe[title="Acme Shop"]').getByRole('main').getByText('Item 7', { exact: true }).waitFor();

        const conv = await h.op('GET', `/herald/v1/users/${user}/conversations/${mp.appid}`);
        assert.deepEqual(conv.body.messages.filter((m) => m.msgtype === 'subscribe').map((m) => m.body.fields[0].value), ['Flask']);
        await page.close();
      } finally {
        await browser.close();
        if (dev) {
          dev.server.close();
          dev.rx?.close();
        }
        await h.stop();
      }
    });
  }
});

// A verified mini program named `name` with the package in `dir` uploaded and released by the
// CLI, and a signed-in user's page (390 px wide) showing it.
async function openReleased(h, browser, name, dir, page0 = 'pages/index/index') {
  const mp = (await h.op('POST', '/herald/v1/accounts', { name, type: 'miniprogram', owner: { kind: 'organisation', name: 'Acme' }, verified: true })).body;
  const up = spawnSync(BIN, ['mp', 'upload', dir, '--appid', mp.appid, '--version', '1.0.0', '--release', '--url', h.base, '--token', 'compat-operator-token-0123456789'], { encoding: 'utf8' });
  assert.equal(up.status, 0, up.stderr);
  const user = await h.user(`${name} user`);
  const link = (await h.op('POST', `/herald/v1/users/${user}/signin_links`, {})).body.url;
  const page = await browser.newPage({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
  await page.goto(link);
  await page.goto(`${h.base}/mp/${mp.appid}/${page0}`);
  return { mp, user, page, frame: page.frameLocator(`iframe[title="${name}"]`) };
}

// A zip of the sample package, with `replace` files swapped in (python3's zipfile: Node has no zip).
function zipOf(replace, out) {
  const script = `
import os, sys, zipfile, json
src, out, repl = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk(src):
        for f in files:
            p = os.path.relpath(os.path.join(root, f), src)
            if p not in repl:
                z.write(os.path.join(root, f), p)
    for p, text in repl.items():
        z.writestr(p, text)
`;
  const r = spawnSync('python3', ['-c', script, SAMPLE, out, JSON.stringify(replace)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

test('the console, as a developer uploads and releases a mini program', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      try {
        const mp = (await h.op('POST', '/herald/v1/accounts', { name: 'Acme Shop', type: 'miniprogram', owner: { kind: 'organisation', name: 'Acme' }, verified: true })).body;
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        const broken = zipOf({ 'pages/index/index.wxml': '<view>\n  <text>{{ count + </text>\n</view>' }, path.join(ARTIFACTS, `mp-broken-${backend}.zip`));
        const good = zipOf({}, path.join(ARTIFACTS, `mp-good-${backend}.zip`));
        const tester = await h.user('Tess');
        const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, locale: 'en-US' });
        await page.goto(h.base + '/console/signin');
        await page.getByText('Sign in as the operator').first().click();
        const form = page.getByRole('form', { name: 'Sign in as the operator' });
        await form.getByLabel('Operator token').fill('compat-operator-token-0123456789');
        await form.getByRole('button', { name: 'Sign in as the operator' }).click();
        await page.getByRole('link', { name: /Acme Shop/ }).click();
        await page.getByRole('heading', { name: 'Versions' }).waitFor();

        const upload = async (zip, version) => {
          await page.getByLabel('Package (.zip)').setInputFiles(zip);
          await page.getByRole('textbox', { name: 'Version' }).fill(version);
          await page.getByRole('button', { name: 'Upload a package' }).click();
        };
        await upload(broken, '0.9.0');
        await page.getByRole('alert').getByText('pages/index/index.wxml:2:9: missing expression end').waitFor();
        await upload(good, '1.0.0');
        await page.getByRole('status').getByText('Version 1.0.0 uploaded').waitFor();
        await page.getByRole('button', { name: 'Release 1.0.0' }).click();
        await page.getByRole('status').getByText('Version 1.0.0 is on release.').waitFor();
        await page.getByRole('textbox', { name: /The servers wx.request may reach/ }).fill('https://api.acme.example');
        await page.getByRole('button', { name: 'Save the request domains' }).click();
        await page.getByRole('status').getByText('Request domains saved.').waitFor();
        await page.getByRole('textbox', { name: 'Username, phone number or user ID' }).fill(tester);
        await page.getByRole('button', { name: 'Add the tester' }).click();
        await page.getByRole('button', { name: 'Remove Tess' }).waitFor();
        await axe(page.mainFrame(), 'console', backend, page);

        const v = (await h.op('GET', `/herald/v1/accounts/${mp.appid}/miniprogram/versions`)).body;
        assert.deepEqual(v.versions.map((x) => x.version), ['1.0.0'], 'the broken package was not stored');
        assert.equal(v.channels.release.version, '1.0.0');
        assert.deepEqual((await h.op('GET', `/herald/v1/accounts/${mp.appid}/miniprogram/domains`)).body.requestdomain, ['https://api.acme.example']);
        assert.deepEqual((await h.op('GET', `/herald/v1/accounts/${mp.appid}/miniprogram/testers`)).body.testers.map((x) => x.user_id), [tester]);
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});

// The package in fixtures/libs, with @vant/weapp and weui-miniprogram built into
// miniprogram_npm as WeChat's developer tools do it ("build npm": each package's `miniprogram`
// folder), from the pinned npm packages this suite installs.
function libraryPackage(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(__dirname, '../fixtures/libs'), dir, { recursive: true });
  for (const [name, sub] of [['@vant/weapp', 'lib'], ['weui-miniprogram', 'miniprogram_dist']]) {
    const pkg = JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
    assert.equal(pkg.miniprogram, sub, `${name}'s miniprogram folder`);
    fs.cpSync(path.join(path.dirname(require.resolve(`${name}/package.json`)), sub), path.join(dir, 'miniprogram_npm', name), { recursive: true });
  }
  return dir;
}

test('pages built on @vant/weapp and weui-miniprogram', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      try {
        const { page, frame } = await openReleased(h, browser, 'Libraries', libraryPackage(path.join(ARTIFACTS, `mp-libs-${backend}`)), 'pages/vant/vant');
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const main = frame.getByRole('main');
        await frame.getByRole('button', { name: 'Add ten' }).waitFor();
        await main.getByText('Swipe me').waitFor();
        // A van-button's tap, once per tap (pointer and keyboard); the van-cell follows.
        await frame.getByRole('button', { name: 'Add ten' }).click();
        await frame.getByRole('button', { name: 'Add ten' }).press('Enter');
        await main.getByText('20', { exact: true }).waitFor();
        // A van-field's change event.
        await frame.getByRole('textbox', { name: 'Your name' }).fill('Zed');
        await main.getByText('Status: name Zed').waitFor();
        // A van-dialog: shown, confirmed, gone.
        await frame.getByRole('button', { name: 'Delete account' }).click();
        await main.getByText('This cannot be undone.').waitFor();
        await frame.getByRole('button', { name: '确认' }).click();
        await main.getByText('Status: deleted').waitFor();
        await main.getByText('This cannot be undone.').waitFor({ state: 'hidden' });
        // A van-popup with a button inside.
        await frame.getByRole('button', { name: 'Show popup' }).click();
        await main.getByText('Popup content').waitFor();
        await frame.getByRole('button', { name: 'Close popup' }).click();
        await main.getByText('Status: popup closed').waitFor();
        // van-tabs.
        await main.getByText('Coupons', { exact: true }).click();
        await main.getByText('Status: tab Coupons').waitFor();
        await main.getByText('Coupon list').waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, `mp-vant-${backend}.png`) });

        // weui-miniprogram: cells and a dialog whose button answers.
        await frame.getByRole('link', { name: 'WeUI page' }).click();
        await frame.getByRole('heading', { name: 'WeUI' }).waitFor();
        await main.getByText('Notifications').waitFor();
        await frame.getByRole('button', { name: 'Open the WeUI dialog' }).click();
        await main.getByText('We tell you when it ships.').waitFor();
        await main.getByText('Yes', { exact: true }).click();
        await main.getByText('Answer: yes').waitFor();
        await main.getByText('We tell you when it ships.').waitFor({ state: 'hidden' });
        await page.screenshot({ path: path.join(ARTIFACTS, `mp-weui-${backend}.png`) });
        assert.deepEqual(errors, [], 'no page errors');
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});

test('miniprogram-automator drives a mini program open in the Herald app', async (t) => {
  const automator = require('miniprogram-automator');
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      let mini;
      try {
        const { mp, frame } = await openReleased(h, browser, 'Acme Shop', SAMPLE);
        await frame.getByRole('button', { name: 'Add one' }).waitFor();

        // A wrong token is refused; the right one connects as the developer tools' endpoint would.
        await assert.rejects(automator.connect({ wsEndpoint: `${h.base.replace('http', 'ws')}/herald/v1/automation/${mp.appid}?token=wrong` }));
        mini = await automator.connect({ wsEndpoint: `${h.base.replace('http', 'ws')}/herald/v1/automation/${mp.appid}?token=compat-operator-token-0123456789` });
        const index = await mini.currentPage();
        assert.equal(index.path, 'pages/index/index');
        assert.equal(await index.data('count'), 0);
        const add = await index.$('button');
        assert.equal((await add.text()).trim(), 'Add one');
        await add.tap();
        await add.tap();
        assert.equal(await index.data('count'), 2);
        await frame.getByText('Count: 2').waitFor();
        await index.setData({ name: 'Robo' });
        await frame.getByText('Welcome, Robo').waitFor();
        await index.callMethod('save');
        assert.equal(await mini.callWxMethod('getStorageSync', 'name'), 'Robo');
        assert.equal((await mini.systemInfo()).SDKVersion, '3.3.0');
        const detail = await mini.reLaunch('/pages/detail/detail?id=9');
        assert.equal(detail.path, 'pages/detail/detail');
        assert.equal(await detail.data('id'), '9');
        await frame.getByRole('heading', { name: 'Item 9' }).waitFor();
        assert.equal((await mini.pageStack()).length, 1);
      } finally {
        if (mini) mini.disconnect();
        await browser.close();
        await h.stop();
      }
    });
  }
});
