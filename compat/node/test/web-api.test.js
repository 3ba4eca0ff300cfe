// wechat-api 1.35.1 drives QR codes (temporary and permanent, the image URL it builds),
// menus (default and conditional, trymatch, the selfmenu info) and the JS-SDK config it signs.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { backends, start } = require('./herald');

test('wechat-api QR codes, menus and the JS-SDK against Herald', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async (t) => {
      const h = await start(backend);
      try {
        const acc = await h.account('service');
        const api = h.api(acc);

        await t.test('QR codes', async () => {
          const tmp = await api.p.createTmpQRCode(10000, 1800);
          assert.equal(tmp.expire_seconds, 1800);
          const img = await fetch(api.showQRCodeURL(tmp.ticket));
          assert.equal(img.status, 200);
          assert.equal(img.headers.get('content-type'), 'image/png');
          const perm = await api.p.createLimitQRCode('door-1');
          assert.equal(perm.expire_seconds, undefined);
          const user = await h.user('scanner');
          const r = await h.op('POST', `/herald/v1/users/${user}/scan`, { url: perm.url });
          assert.equal(r.body.event, 'subscribe');
          assert.equal(r.body.relation.qr_scene_str, 'door-1');
          const sub = await h.account('subscription');
          await assert.rejects(h.api(sub).p.createTmpQRCode(1, 60), (e) => e.code === 48001);
        });

        await t.test('menus', async () => {
          await assert.rejects(api.p.getMenu(), (e) => e.code === 46003);
          await api.p.createMenu({ button: [
            { type: 'click', name: 'Hello', key: 'HELLO' },
            { name: 'More', sub_button: [{ type: 'view', name: 'Site', url: 'http://shop.example/' }] },
          ] });
          const menu = await api.p.getMenu();
          assert.equal(menu.menu.button[1].sub_button[0].url, 'http://shop.example/');
          const config = await api.p.getMenuConfig();
          assert.equal(config.is_menu_open, 1);
          const user = await h.user('android');
          const openid = await h.follow(user, acc);
          await h.op('PUT', `/herald/v1/users/${user}/profile`, { platform: 'android' });
          const added = await api.p.createCustomMenu({ button: [{ type: 'click', name: 'Droid', key: 'DROID' }], matchrule: { client_platform_type: '2' } });
          assert.match(added.menuid, /^\d+$/);
          assert.equal((await api.p.testCustomMenu(openid)).button[0].name, 'Droid');
          await api.p.removeCustomMenu(added.menuid);
          assert.equal((await api.p.testCustomMenu(openid)).button[0].name, 'Hello');
          await assert.rejects(api.p.createMenu({ button: [{ type: 'click', name: 'NoKey' }] }), (e) => e.code === 40019);
          await api.p.removeMenu();
          await assert.rejects(api.p.getMenu(), (e) => e.code === 46003);
        });

        await t.test('JS-SDK config', async () => {
          const url = 'http://shop.example/page?id=1';
          const cfg = await api.p.getJsConfig({ debug: false, jsApiList: ['scanQRCode'], url });
          assert.equal(cfg.appId, acc.appid);
          const r = await h.op('POST', '/herald/v1/jssdk/verify', { appid: acc.appid, url, nonceStr: cfg.nonceStr, timestamp: cfg.timestamp, signature: cfg.signature });
          assert.equal(r.body.valid, true, JSON.stringify(r.body));
        });
      } finally {
        await h.stop();
      }
    });
  }
});
