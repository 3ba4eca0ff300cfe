// A booby-trapped article cannot spend its reader's money (issue 25). The account's owner
// writes an article whose HTML tries every trick a hostile tester used (event handlers, SVG,
// javascript: frames and links, a split <script>) to fetch the cashier page of the account's
// own open order with the reader's session, read its CSRF field and post it. A signed-in
// reader with ¥500.00 opens the article in real headless Chromium; nothing is paid.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const WxPay = require('wechatpay-node-v3');
const { backends, start, launchChromium, payTransport } = require('./herald');

const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');


// What the attacker's script does, with the app origin's absolute URL: fetch the cashier with
// the reader's cookie, copy the form's fields, post them.
function attack(appBase, key) {
  return `(async()=>{const t=await (await fetch('${appBase}/pay/cashier?pr=${key}',{credentials:'include'})).text();` +
    `const d=new DOMParser().parseFromString(t,'text/html');const b=new URLSearchParams();` +
    `d.querySelectorAll('form input').forEach(i=>b.append(i.name,i.value));` +
    `await fetch('${appBase}/pay/cashier',{method:'POST',body:b,credentials:'include'});document.title='paid'})()`;
}

test('a hostile article cannot pay from its reader\'s wallet', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      try {
        const acc = await h.account('service');
        const reader = await h.user('reader');
        await h.follow(reader, acc);
        await h.op('POST', `/herald/v1/users/${reader}/wallet/topup`, { amount: 50000 });
        const m = (await h.op('POST', '/herald/v1/merchants', { name: 'Trap Shop', appids: [acc.appid] })).body;
        const pay = new WxPay({ appid: acc.appid, mchid: m.mchid, publicKey: Buffer.from(m.certificate), privateKey: Buffer.from(m.private_key), key: m.apiv3_key });
        pay.createHttp(payTransport(h.base));
        const no = 'XS' + crypto.randomBytes(6).toString('hex');
        const order = await pay.transactions_native({ description: 'Trap', out_trade_no: no, notify_url: 'https://shop.example/notify', amount: { total: 31400 } });
        assert.equal(order.status, 200, JSON.stringify(order));
        const key = new URL(order.data.code_url).searchParams.get('pr');

        const token = (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${acc.appid}&secret=${acc.app_secret}`)).json()).access_token;
        const form = new FormData();
        form.append('media', new Blob([Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(64)])], { type: 'image/png' }), 'c.png');
        const thumb = await (await fetch(`${h.base}/cgi-bin/material/add_material?access_token=${token}&type=image`, { method: 'POST', body: form })).json();
        const js = attack(h.base, key);
        const content = `<p id="lead">Spring sale</p><img src="x" onerror="${js.replace(/"/g, '&quot;')}">` +
          `<svg onload="${js.replace(/"/g, '&quot;')}"></svg><iframe src="javascript:${encodeURIComponent(js)}"></iframe>` +
          `<a id="more" href="javascript:${encodeURIComponent(js)}">more</a><scr<script></script>ipt>${js}</script><script>${js}</script>`;
        const post = async (p, body) => (await fetch(`${h.base}/cgi-bin/${p}?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) })).json();
        const draft = await post('draft/add', { articles: [{ title: 'Spring sale', content, thumb_media_id: thumb.media_id }] });
        assert.ok(draft.media_id, JSON.stringify(draft));
        const pub = await post('freepublish/submit', { media_id: draft.media_id });
        let url;
        for (let i = 0; i < 100 && !url; i++) {
          const g = await post('freepublish/get', { publish_id: pub.publish_id });
          url = g.article_detail && g.article_detail.item[0].article_url;
          if (!url) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(url, 'the article was published');
        assert.ok(!url.startsWith(h.base + '/'), `the article is on the content origin, not the app's: ${url}`);

        // The reader signs in, opens the cashier once to see the order is payable, then reads.
        const page = await browser.newPage();
        const link = await h.op('POST', `/herald/v1/users/${reader}/signin_links`, { next: `/pay/cashier?pr=${key}` });
        await page.goto(link.body.url);
        await page.waitForSelector('#cashier');
        const blocked = [];
        page.on('console', (msg) => blocked.push(msg.text()));
        await page.goto(url);
        await page.getByRole('heading', { name: 'Spring sale' }).waitFor();
        await page.getByText('more', { exact: true }).click({ timeout: 2000 }).catch(() => {});
        await new Promise((r) => setTimeout(r, 1500));
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `hostile-article-${backend}.png`), fullPage: true });
        assert.notEqual(await page.title(), 'paid');
        assert.equal(await page.$$eval('[onerror],[onload],script,svg,iframe', (els) => els.length), 0, 'nothing that runs reached the page');
        // Even the same article's page loaded straight on the app origin only redirects.
        await page.goto(h.base + new URL(url).pathname);
        assert.equal(new URL(page.url()).origin, new URL(url).origin);

        const wallet = (await h.op('GET', `/herald/v1/users/${reader}/wallet`)).body;
        assert.equal(wallet.balance, 50000, 'the wallet still holds ¥500.00');
        const q = await pay.query({ out_trade_no: no });
        assert.equal(q.data.trade_state, 'NOTPAY');
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});
