// The Herald app's scan, pay and red-packet journeys in real headless Chromium, by role and
// name (issue 26): scan the PNG of a service account's QR code with a scene and follow it (the
// developer server sees qrscene_42); pay a Native order by scanning its code and confirming at
// the cashier; open a red packet a merchant sent through the v2 API and see the amount.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const QRCode = require('qrcode');
const WxPay = require('wechatpay-node-v3');
const { backends, start, launchChromium, payTransport } = require('./herald');

const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');


// A v2 request signed with MD5 under the merchant's API key, as the SDKs send it.
function v2xml(fields, key) {
  const s = Object.keys(fields).filter((k) => fields[k] !== '').sort().map((k) => `${k}=${fields[k]}`).join('&') + `&key=${key}`;
  const sign = crypto.createHash('md5').update(s, 'utf8').digest('hex').toUpperCase();
  return '<xml>' + Object.entries({ ...fields, sign }).map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`).join('') + '</xml>';
}

test('scan, pay and open a red packet in the Herald app', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-app-'));
      try {
        const acc = (await h.op('POST', '/herald/v1/accounts', { name: 'Tea House', type: 'service', owner: { kind: 'organisation', name: 'Tea' }, verified: true })).body;
        const tok = (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${acc.appid}&secret=${acc.app_secret}`)).json()).access_token;
        const qr = await (await fetch(`${h.base}/cgi-bin/qrcode/create?access_token=${tok}`, { method: 'POST', body: JSON.stringify({ expire_seconds: 600, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 42 } } }) })).json();
        const png = Buffer.from(await (await fetch(`${h.base}/cgi-bin/showqrcode?ticket=${encodeURIComponent(qr.ticket)}`)).arrayBuffer());
        fs.writeFileSync(path.join(tmp, 'follow.png'), png);

        const page = await browser.newPage({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
        await page.goto(h.base + '/signup');
        await page.getByLabel('Username or phone number').fill('scanner');
        await page.getByLabel('Password').fill('correct horse');
        await page.getByRole('button', { name: 'Sign up' }).click();
        await page.getByRole('heading', { name: 'Chats' }).waitFor();
        const me = (await (await page.request.get(h.base + '/herald/v1/me')).json()).user;

        // Scan the account's code from a picture: follows it with the scene.
        await page.getByRole('link', { name: 'Scan' }).click();
        await page.getByLabel('Scan a picture').setInputFiles(path.join(tmp, 'follow.png'));
        await page.getByRole('list', { name: 'Chat with Tea House' }).waitFor();
        const rel = (await h.op('GET', `/herald/v1/users/${me.id}/following`)).body.following[0];
        assert.equal(rel.appid, acc.appid);
        assert.equal(rel.qr_scene, 42);
        const events = (await h.op('GET', `/herald/v1/users/${me.id}/conversations/${acc.appid}?events=true`)).body.messages;
        assert.equal(events[0].body.event_key, 'qrscene_42', JSON.stringify(events));

        // Pay a Native order by scanning its code.
        const m = (await h.op('POST', '/herald/v1/merchants', { name: 'Tea House Pay', appids: [acc.appid] })).body;
        await h.op('POST', `/herald/v1/merchants/${m.mchid}/topup`, { amount: 100000 });
        const pay = new WxPay({ appid: acc.appid, mchid: m.mchid, publicKey: Buffer.from(m.certificate), privateKey: Buffer.from(m.private_key), key: m.apiv3_key });
        pay.createHttp(payTransport(h.base));
        const no = 'AP' + crypto.randomBytes(6).toString('hex');
        const order = await pay.transactions_native({ description: 'Oolong', out_trade_no: no, notify_url: 'https://shop.example/notify', amount: { total: 880 } });
        assert.equal(order.status, 200, JSON.stringify(order));
        await QRCode.toFile(path.join(tmp, 'pay.png'), order.data.code_url, { width: 300, margin: 2 });
        await page.goto(h.base + '/wallet');
        await page.getByRole('textbox', { name: 'Amount (¥)' }).fill('20');
        await page.getByRole('button', { name: 'Top up (sandbox)' }).click();
        await page.getByText('¥20.00').first().waitFor();
        await page.goto(h.base + '/scan');
        await page.getByLabel('Scan a picture').setInputFiles(path.join(tmp, 'pay.png'));
        await page.getByRole('heading', { name: 'Tea House Pay' }).waitFor();
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `app-scan-pay-${backend}.png`), fullPage: true });
        await page.getByRole('link', { name: 'Pay ¥8.80' }).click();
        await page.getByRole('button', { name: 'Pay ¥8.80' }).click();
        await page.getByRole('heading', { name: 'Paid ¥8.80' }).waitFor();
        assert.equal((await pay.query({ out_trade_no: no })).data.trade_state, 'SUCCESS');
        await page.getByRole('link', { name: 'Done' }).click();
        await page.getByText('¥11.20').first().waitFor();

        // A coupon the merchant sends shows in the wallet (its minimum is above the orders here).
        const v3 = async (method, url, params) => {
          const full = 'https://api.mch.weixin.qq.com' + url;
          const headers = pay.getHeaders(pay.buildAuthorization(method, full, params), { 'Content-Type': 'application/json' });
          return method === 'POST' ? pay.httpService.post(full, params, headers) : pay.httpService.get(full, headers);
        };
        const day = (d) => new Date(Date.now() + d * 86400e3).toISOString().replace(/\.\d+Z$/, '+00:00');
        const stock = await v3('POST', '/v3/marketing/favor/coupon-stocks', {
          stock_name: 'Tea 5 off', belong_merchant: m.mchid, out_request_no: 'AS' + crypto.randomBytes(6).toString('hex'),
          available_begin_time: day(-1), available_end_time: day(7), stock_type: 'NORMAL', no_cash: false,
          stock_use_rule: { max_coupons: 10, max_amount: 500, max_amount_by_day: 500, max_coupons_per_user: 1 },
          coupon_use_rule: { fixed_normal_coupon: { coupon_amount: 50, transaction_minimum: 5000 } },
        });
        assert.equal(stock.status, 200, JSON.stringify(stock));
        await v3('POST', `/v3/marketing/favor/stocks/${stock.data.stock_id}/start`, { stock_creator_mchid: m.mchid });
        const given = await v3('POST', `/v3/marketing/favor/users/${rel.openid}/coupons`, { stock_id: stock.data.stock_id, out_request_no: 'AR1', appid: acc.appid, stock_creator_mchid: m.mchid });
        assert.equal(given.status, 200, JSON.stringify(given));
        await page.reload();
        await page.getByRole('heading', { name: 'Coupons' }).waitFor();
        await page.getByText('Tea 5 off').waitFor();
        await page.getByText('¥0.50 off orders from ¥50.00', { exact: false }).waitFor();

        // A red packet from the merchant, opened in the app.
        const openid = rel.openid;
        const billno = m.mchid + '20261207' + String(Date.now()).slice(-10);
        const xml = v2xml({ nonce_str: crypto.randomBytes(8).toString('hex'), mch_billno: billno, mch_id: m.mchid, wxappid: acc.appid, send_name: 'Tea House',
          re_openid: openid, total_amount: 188, total_num: 1, wishing: 'Happy new year', client_ip: '127.0.0.1', act_name: 'New year', remark: 'Enjoy' }, m.api_key);
        const sent = await (await fetch(`${h.base}/mmpaymkttransfers/sendredpack`, { method: 'POST', body: xml })).text();
        assert.match(sent, /<result_code><!\[CDATA\[SUCCESS\]\]><\/result_code>/, sent);
        await page.reload();
        await page.getByRole('button', { name: 'Open the red packet from Tea House' }).click();
        await page.getByText('You got ¥1.88').waitFor();
        await page.getByText('¥13.08').first().waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, `app-redpacket-${backend}.png`), fullPage: true });
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});
