// wechat-api 1.35.1 drives the foundation endpoints and customer-service messages, error paths
// included, on each backend.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { backends, start } = require('./herald');

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

test('wechat-api against Herald', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async (t) => {
      const h = await start(backend);
      try {
        const acc = await h.account();
        const { users, openids } = await h.followers(acc, 3, 'n');
        const api = h.api(acc);

        await t.test('token', async () => {
          const tok = await api.p.getAccessToken();
          assert.ok(tok.accessToken.length > 32);
          const bad = h.api(acc, 'wrong-secret');
          await assert.rejects(bad.p.getAccessToken(), (e) => e.code === 40125);
        });

        await t.test('followers and user info', async () => {
          const res = await api.p.getFollowers();
          assert.equal(res.total, 3);
          assert.deepEqual(res.data.openid, openids);
          const info = await api.p.getUser({ openid: openids[0], lang: 'en' });
          assert.equal(info.subscribe, 1);
          assert.equal(info.openid, openids[0]);
          assert.ok(Array.isArray(info.tagid_list));
          const batch = await api.p.batchGetUsers(openids);
          assert.deepEqual(batch.user_info_list.map((u) => u.openid), openids);
          await api.p.updateRemark(openids[2], '老朋友');
          assert.equal((await api.p.getUser(openids[2])).remark, '老朋友');
          await assert.rejects(api.p.getUser('not-a-follower'), (e) => e.code === 40003);
        });

        await t.test('tags', async () => {
          const created = await api.p.createTag('北京');
          const id = created.tag.id;
          assert.ok(id >= 100);
          await api.p.editTag(id, '上海');
          await api.p.membersBatchtagging(id, openids.slice(0, 2));
          const tags = await api.p.getTags();
          assert.deepEqual(tags.tags.find((x) => x.id === id), { id, name: '上海', count: 2 });
          assert.deepEqual((await api.p.getUserTags(openids[0])).tagid_list, [id]);
          const members = await api.p.getTagUsers(id, '');
          assert.deepEqual(members.data.openid, openids.slice(0, 2));
          await api.p.membersBatchuntagging(id, [openids[0]]);
          assert.deepEqual((await api.p.getUserTags(openids[0])).tagid_list, []);
          await assert.rejects(api.p.createTag('上海'), (e) => e.code === 45157);
          await api.p.deleteTag(id);
          await assert.rejects(api.p.deleteTag(id), (e) => e.code === 45159);
        });

        await t.test('callback IPs', async () => {
          const res = await api.p.getIp();
          assert.equal(res.ip_list[0], '127.0.0.1');
        });

        await t.test('a superseded token is retried by the SDK (40001)', async () => {
          // Two processes share a token store, as wechat-api intends. A holds a stale copy of
          // the token when B refreshes; 5 minutes later A's copy is "not latest" (40001) and
          // wechat-api retries once with the token from the store.
          await h.freeze();
          const store = { token: null };
          const getToken = (cb) => cb(null, store.token);
          const saveToken = (tok, cb) => { store.token = tok; cb(null); };
          const a = h.api(acc, undefined, getToken, saveToken);
          const b = h.api(acc, undefined, getToken, saveToken);
          await a.p.getAccessToken();
          const stale = store.token;
          await b.p.getAccessToken();
          assert.notEqual(store.token.accessToken, stale.accessToken);
          await h.advance(301);
          let first = true;
          a.getToken = (cb) => { if (first) { first = false; return cb(null, stale); } return getToken(cb); };
          const res = await a.p.getFollowers();
          assert.equal(res.total, 3);
          assert.equal(first, false);
        });

        await t.test('customer-service messages name the account\'s own media', async () => {
          // Following opened the 48-hour window for every follower. A client of its own: the
          // test before superseded the shared client's token.
          const api = h.api(acc);
          const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cs-')), 'pic.png');
          fs.writeFileSync(file, PNG);
          const image = await api.p.uploadMedia(file, 'image');
          await api.p.sendText(openids[1], '您好');
          await api.p.sendTextFromCs(openids[1], 'kf2001@' + acc.original_id, 'from the desk');
          await api.p.sendImage(openids[1], image.media_id);
          await api.p.sendNews(openids[1], [{ title: 'Order shipped', description: 'On its way', url: 'https://shop.example/o/1', picurl: 'https://shop.example/p.png' }]);
          await assert.rejects(api.p.sendImage(openids[1], 'no-such-media'), (e) => e.code === 40007);
          await assert.rejects(api.p.sendVideo(openids[1], image.media_id, image.media_id), (e) => e.code === 40007);
          await assert.rejects(api.p.sendMpNews(openids[1], 'no-such-news'), (e) => e.code === 40007);
          await assert.rejects(api.p.sendText('not-a-follower', 'x'), (e) => e.code === 40003);
          const custom = (await h.conversation(users[1], acc, 4)).filter((m) => m.source === 'custom');
          assert.deepEqual(custom.map((m) => m.msgtype), ['text', 'text', 'image', 'news']);
          assert.equal(custom[1].body.customservice.kf_account, 'kf2001@' + acc.original_id);
          assert.equal(custom[2].body.media_id, image.media_id);
          assert.equal(custom[3].body.articles[0].title, 'Order shipped');
        });

        await t.test('unverified subscription accounts get 48001', async () => {
          const sub = await h.account('subscription', 'individual', false);
          await assert.rejects(h.api(sub).p.getFollowers(), (e) => e.code === 48001);
        });
      } finally {
        await h.stop();
      }
    });
  }
});
