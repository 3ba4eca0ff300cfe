// wechat-api 1.35.1 drives the broadcast endpoints it covers: media upload and download,
// material counts, mass messages (text to all and by openid list, status, preview, delete) and
// template messages, on each backend.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { backends, start } = require('./herald');

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

test('wechat-api broadcast against Herald', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async (t) => {
      const h = await start(backend);
      try {
        const acc = await h.account();
        const { users, openids } = await h.followers(acc, 3, 'b');
        const api = h.api(acc);

        await t.test('media', async () => {
          const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'herald-media-')), 'pic.png');
          fs.writeFileSync(file, PNG);
          const up = await api.p.uploadMedia(file, 'image');
          assert.equal(up.type, 'image');
          assert.equal(up.media_id.length, 64);
          const got = await api.p.getMedia(up.media_id);
          assert.ok(Buffer.from(got).equals(PNG));
          // wechat-api's getMedia reports only the errmsg (it reads JSON only for an exact
          // application/json Content-Type, which Herald's errors have).
          await assert.rejects(api.p.getMedia('missing'), (e) => e.name === 'WeChatAPIError' && /invalid media_id/.test(e.message));
          const mat = await api.p.uploadMaterial(file, 'image');
          assert.ok(mat.media_id && mat.url);
          const count = await api.p.getMaterialCount();
          assert.equal(count.image_count, 1);
        });

        await t.test('mass messages', async () => {
          const all = await api.p.massSendText('hello everyone', true);
          assert.equal(all.errcode, 0);
          assert.ok(all.msg_id);
          const list = await api.p.massSendText('hello two', openids.slice(0, 2));
          assert.equal(list.errcode, 0);
          let status;
          for (let i = 0; i < 200; i++) {
            status = await api.p.getMassMessageStatus(all.msg_id);
            if (status.msg_status !== 'SENDING') break;
            await new Promise((r) => setTimeout(r, 25));
          }
          assert.equal(status.msg_status, 'SEND_SUCCESS');
          const preview = await api.p.previewText(openids[2], 'just you');
          assert.equal(preview.errcode, 0);
          await api.p.deleteMass(list.msg_id);
          assert.equal((await api.p.getMassMessageStatus(list.msg_id)).msg_status, 'DELETE');
          const chats = (await h.op('GET', `/herald/v1/users/${users[0]}/chats`)).body.chats;
          assert.equal(chats[0].last.preview, 'hello everyone');
        });

        await t.test('templates', async () => {
          await api.p.setIndustry({ industry_id1: '1', industry_id2: '7' });
          const ind = await api.p.getIndustry();
          assert.equal(ind.secondary_industry.second_class, '银行');
          const added = await api.p.addTemplate('TM00352');
          const list = await api.p.getAllPrivateTemplate();
          assert.equal(list.template_list[0].template_id, added.template_id);
          const sent = await api.p.sendTemplate(openids[0], added.template_id, 'https://example.com/a', {
            first: { value: 'Balance changed', color: '#173177' }, keyword2: { value: '-100.00' },
          });
          assert.equal(sent.errcode, 0);
          assert.ok(sent.msgid);
          const conv = await h.conversation(users[0], acc, 1);
          assert.equal(conv[conv.length - 1].msgtype, 'template');
          await assert.rejects(api.p.sendTemplate(openids[0], 'nope', '', { first: { value: 'x' } }), (e) => e.code === 40037);
          await api.p.delPrivateTemplate(added.template_id);
        });
      } finally {
        await h.stop();
      }
    });
  }
});
