// wechatpay-node-v3 2.2.1 drives WeChat Pay APIv3: platform certificates, Native, JSAPI, APP
// and H5 orders, queries, close and refunds, through its documented custom transport (the
// SDK hard-codes its host; reference §2.3); the merchant side verifies notifications with the
// SDK's verifySign and decrypts them with decipher_gcm.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const WxPay = require('wechatpay-node-v3');
const fs = require('node:fs');
const path = require('node:path');
const { backends, start, payTransport } = require('./herald');

const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');


// A merchant's notify_url: keeps what arrives, answers 200.
async function receiver() {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { got.push({ headers: req.headers, body }); res.writeHead(200); res.end(); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    got, url: `http://127.0.0.1:${server.address().port}/notify`,
    async wait(n) {
      for (let i = 0; i < 300 && got.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(got.length >= n, `expected ${n} notifications, got ${got.length}`);
      return got[n - 1];
    },
    close: () => server.close(),
  };
}

async function notification(pay, key, n) {
  const ok = await pay.verifySign({
    timestamp: n.headers['wechatpay-timestamp'], nonce: n.headers['wechatpay-nonce'], body: n.body,
    serial: n.headers['wechatpay-serial'], signature: n.headers['wechatpay-signature'], apiSecret: key,
  });
  assert.equal(ok, true, 'the SDK verified the notification');
  const event = JSON.parse(n.body);
  // The Node SDK re-serialises a parsed body: the bytes must survive that.
  assert.equal(JSON.stringify(event), n.body);
  const r = event.resource;
  return { event, resource: pay.decipher_gcm(r.ciphertext, r.associated_data, r.nonce, key) };
}

test('wechatpay-node-v3 against Herald', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const rx = await receiver();
      try {
        const acc = await h.account('service');
        const user = await h.user('payer');
        const openid = await h.follow(user, acc);
        const m = (await h.op('POST', '/herald/v1/merchants', { name: 'Noodle Bar', appids: [acc.appid] })).body;
        const pay = new WxPay({ appid: acc.appid, mchid: m.mchid, publicKey: Buffer.from(m.certificate), privateKey: Buffer.from(m.private_key), key: m.apiv3_key });
        pay.createHttp(payTransport(h.base));

        const certs = await pay.get_certificates(m.apiv3_key);
        assert.equal(certs[0].serial_no, m.platform_serial);
        assert.match(certs[0].publicKey, /BEGIN PUBLIC KEY/);

        // Native, then closed.
        const native = await pay.transactions_native({ description: 'Noodles', out_trade_no: 'NN' + crypto.randomBytes(6).toString('hex'), notify_url: rx.url, amount: { total: 1 } });
        assert.equal(native.status, 200, JSON.stringify(native));
        assert.match(native.data.code_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);

        const no = 'NJ' + crypto.randomBytes(6).toString('hex');
        const closeMe = 'NC' + crypto.randomBytes(6).toString('hex');
        await pay.transactions_native({ description: 'Tea', out_trade_no: closeMe, notify_url: rx.url, amount: { total: 5 } });
        const closed = await pay.close(closeMe);
        assert.equal(closed.status, 204);
        assert.equal((await pay.query({ out_trade_no: closeMe })).data.trade_state, 'CLOSED');

        // JSAPI: the SDK hands back the signed client request, which the payer's client uses.
        const jsapi = await pay.transactions_jsapi({ description: 'Ramen', out_trade_no: no, notify_url: rx.url, amount: { total: 200 }, payer: { openid } });
        assert.equal(jsapi.status, 200, JSON.stringify(jsapi));
        assert.equal(jsapi.data.signType, 'RSA');
        await h.op('POST', `/herald/v1/users/${user}/wallet/topup`, { amount: 1000 });
        const paid = await h.op('POST', `/herald/v1/users/${user}/payments`, jsapi.data);
        assert.equal(paid.status, 200, JSON.stringify(paid.body));
        const { event, resource } = await notification(pay, m.apiv3_key, await rx.wait(1));
        assert.equal(event.event_type, 'TRANSACTION.SUCCESS');
        assert.equal(resource.out_trade_no, no);
        assert.equal(resource.trade_state, 'SUCCESS');

        const q = await pay.query({ out_trade_no: no });
        assert.equal(q.data.trade_state, 'SUCCESS');
        assert.equal((await pay.query({ transaction_id: q.data.transaction_id })).data.out_trade_no, no);
        const missing = await pay.query({ out_trade_no: 'NOPE0000' });
        assert.equal(missing.status, 404);
        assert.equal(JSON.parse(missing.error).code, 'ORDER_NOT_EXIST');

        // Refunds: partial then the rest; over-refunding is refused.
        const r1 = await pay.refunds({ out_trade_no: no, out_refund_no: 'RF' + crypto.randomBytes(6).toString('hex'), amount: { refund: 150, total: 200, currency: 'CNY' }, notify_url: rx.url });
        assert.equal(r1.status, 200, JSON.stringify(r1));
        const over = await pay.refunds({ transaction_id: q.data.transaction_id, out_refund_no: 'RF' + crypto.randomBytes(6).toString('hex'), amount: { refund: 51, total: 200, currency: 'CNY' } });
        assert.equal(over.status, 400);
        const refundNote = await notification(pay, m.apiv3_key, await rx.wait(2));
        assert.equal(refundNote.event.event_type, 'REFUND.SUCCESS');
        assert.equal(refundNote.resource.refund_status, 'SUCCESS');
        const found = await pay.find_refunds(r1.data.out_refund_no);
        assert.equal(found.data.status, 'SUCCESS');
        assert.equal((await h.op('GET', `/herald/v1/users/${user}/wallet`)).body.balance, 950);

        // APP: the SDK signs the OpenSDK request; Herald checks that signature when paying.
        const app = await pay.transactions_app({ description: 'Dumplings', out_trade_no: 'NA' + crypto.randomBytes(6).toString('hex'), notify_url: rx.url, amount: { total: 100 } });
        assert.equal(app.status, 200, JSON.stringify(app));
        const forged = await h.op('POST', `/herald/v1/users/${user}/payments`, { ...app.data, sign: Buffer.alloc(256).toString('base64') });
        assert.equal(forged.status, 400);
        const appPaid = await h.op('POST', `/herald/v1/users/${user}/payments`, app.data);
        assert.equal(appPaid.status, 200, JSON.stringify(appPaid.body));
        assert.equal(appPaid.body.balance, 850);

        // H5: an h5_url the browser opens.
        const h5 = await pay.transactions_h5({ description: 'Bao', out_trade_no: 'NH' + crypto.randomBytes(6).toString('hex'), notify_url: rx.url, amount: { total: 50 },
          scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } } });
        assert.equal(h5.status, 200, JSON.stringify(h5));
        assert.ok(h5.data.h5_url.startsWith(h.base + '/pay/h5?prepay_id=wx'));

        // A coupon stock (the Node SDK has no coupon calls, so its own signer and transport
        // send them): 0.10 off orders from 0.40, which the cashier preselects.
        const v3 = async (method, url, params) => {
          const full = 'https://api.mch.weixin.qq.com' + url;
          const headers = pay.getHeaders(pay.buildAuthorization(method, full, params), { 'Content-Type': 'application/json' });
          return method === 'POST' ? pay.httpService.post(full, params, headers) : pay.httpService.get(full, headers);
        };
        const day = (d) => new Date(Date.now() + d * 86400e3).toISOString().replace('Z', '+00:00');
        const stock = await v3('POST', '/v3/marketing/favor/coupon-stocks', {
          stock_name: 'Dim sum 10 off', belong_merchant: m.mchid, out_request_no: 'NS' + crypto.randomBytes(6).toString('hex'),
          available_begin_time: day(-1), available_end_time: day(7), stock_type: 'NORMAL', no_cash: false,
          stock_use_rule: { max_coupons: 1, max_amount: 10, max_amount_by_day: 10, max_coupons_per_user: 1 },
          coupon_use_rule: { fixed_normal_coupon: { coupon_amount: 10, transaction_minimum: 40 } },
        });
        assert.equal(stock.status, 200, JSON.stringify(stock));
        const started = await v3('POST', `/v3/marketing/favor/stocks/${stock.data.stock_id}/start`, { stock_creator_mchid: m.mchid });
        assert.equal(started.status, 200, JSON.stringify(started));
        const sent = await v3('POST', `/v3/marketing/favor/users/${openid}/coupons`, { stock_id: stock.data.stock_id, out_request_no: 'NR1', appid: acc.appid, stock_creator_mchid: m.mchid });
        assert.equal(sent.status, 200, JSON.stringify(sent));

        // The cashier in real Chromium: the H5 link, signed in, the coupon shown, Pay; then one too dear.
        // The cashier links back only to the merchant's H5 payment domain.
        assert.equal((await h.op('PUT', `/herald/v1/merchants/${m.mchid}/h5_domain`, { domain: 'shop.example' })).status, 200);
        const { chromium } = require('playwright-core');
        const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false });
        try {
          const page = await browser.newPage();
          const next = h5.data.h5_url.slice(h.base.length) + '&redirect_url=' + encodeURIComponent('https://shop.example/done');
          const link = await h.op('POST', `/herald/v1/users/${user}/signin_links`, { next });
          await page.goto(link.body.url);
          await page.waitForSelector('#cashier');
          assert.equal(await page.textContent('#amount'), '¥0.50');
          assert.equal(await page.textContent('#balance'), '¥8.50');
          assert.match(await page.textContent('#coupon'), /Dim sum 10 off −¥0\.10/);
          assert.equal(await page.textContent('#pay'), 'Pay ¥0.40');
          fs.mkdirSync(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: path.join(ARTIFACTS, `cashier-${backend}.png`), fullPage: true });
          await Promise.all([page.waitForSelector('#paid'), page.click('#pay')]);
          assert.equal(await page.textContent('#balance'), '¥8.10');
          assert.equal(await page.getAttribute('#back', 'href'), 'https://shop.example/done');
          const foreign = await page.goto(h.base + h5.data.h5_url.slice(h.base.length) + '&redirect_url=' + encodeURIComponent('https://evil.example/done'));
          assert.equal(foreign.status(), 400);
          assert.match(await page.textContent('body'), /商家参数格式有误/);
          const note = await notification(pay, m.apiv3_key, await rx.wait(4));
          assert.equal(note.resource.trade_type, 'MWEB');
          assert.equal(note.resource.amount.payer_total, 40);
          assert.equal(note.resource.promotion_detail[0].coupon_id, sent.data.coupon_id);
          const used = await v3('GET', `/v3/marketing/favor/users/${openid}/coupons/${sent.data.coupon_id}?appid=${acc.appid}`);
          assert.equal(used.data.status, 'USED');

          const dear = await pay.transactions_native({ description: 'Banquet', out_trade_no: 'ND' + crypto.randomBytes(6).toString('hex'), notify_url: rx.url, amount: { total: 100000 } });
          const scanned = await h.op('POST', `/herald/v1/users/${user}/scan`, { url: dear.data.code_url });
          assert.equal(scanned.body.kind, 'pay');
          await page.goto(scanned.body.cashier_url);
          await Promise.all([page.waitForSelector('#insufficient'), page.click('#pay')]);
          assert.match(await page.textContent('#insufficient'), /Not enough balance/);
        } finally {
          await browser.close();
        }

        const audit = (await h.op('GET', '/herald/v1/ledger')).body;
        assert.equal(audit.total, 0);
        assert.equal(audit.negative_books, 0);

        // The next day: yesterday's trade bill, downloaded with the SDK's downloadBill (which
        // signs Herald's absolute download URL as it stands) and checked against its hash.
        const billDay = q.data.success_time.slice(0, 10);
        const early = await pay.tradebill({ bill_date: billDay, bill_type: 'ALL' });
        assert.equal(early.status, 400);
        assert.equal(JSON.parse(early.error).code, 'NO_STATEMENT_EXIST');
        await h.advance(86400);
        const bill = await pay.tradebill({ bill_date: billDay, bill_type: 'ALL' });
        assert.equal(bill.status, 200, JSON.stringify(bill));
        const file = await pay.downloadBill(bill.data.download_url);
        assert.equal(file.status, 200, JSON.stringify(file));
        assert.equal(crypto.createHash('sha1').update(file.data).digest('hex'), bill.data.hash_value);
        const lines = file.data.trim().split('\r\n');
        assert.ok(lines.some((l) => l.includes(`\`${q.data.transaction_id},\`${no},`) && l.includes('`SUCCESS,')), file.data);
        assert.ok(lines.some((l) => l.includes(`\`${r1.data.refund_id},`) && l.includes('`REFUND,')), file.data);
        const funds = await pay.fundflowbill({ bill_date: billDay, account_type: 'BASIC' });
        assert.equal(funds.status, 200, JSON.stringify(funds));
        assert.equal((await pay.downloadBill(funds.data.download_url)).status, 200);
      } finally {
        rx.close();
        await h.stop();
      }
    });
  }
});
