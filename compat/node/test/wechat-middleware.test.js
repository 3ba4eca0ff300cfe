// The npm `wechat` 2.1.0 middleware runs as the account's developer server, in plain,
// compatible and safe mode, and answers Herald's callbacks with passive replies.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const wechat = require('wechat');
const { backends, start } = require('./herald');

const TOKEN = 'nodetoken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

function devServer(appid, safe) {
  const config = safe ? { token: TOKEN, appid, encodingAESKey: AES_KEY } : TOKEN;
  const mw = wechat(config)
    .text((message, req, res) => res.reply('node echo: ' + message.Content))
    .event((message, req, res) => res.reply(message.Event === 'subscribe' ? 'hello from node' : ''))
    .link((message, req, res) => res.reply([{ title: message.Title, description: 'saved', picurl: 'http://img/x.png', url: message.Url }]))
    .middlewarify();
  const server = http.createServer((req, res) => {
    req.query = Object.fromEntries(new URL(req.url, 'http://localhost').searchParams);
    mw(req, res, (err) => { res.writeHead(500); res.end(String(err)); });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/wx` })));
}

test('wechat middleware as the developer server', async (t) => {
  for (const backend of await backends()) {
    for (const mode of ['plain', 'compatible', 'safe']) {
      await t.test(`${backend} ${mode}`, async () => {
        const h = await start(backend);
        const dev = { server: null };
        try {
          const acc = await h.account();
          Object.assign(dev, await devServer(acc.appid, mode !== 'plain'));
          const set = await h.op('PUT', `/herald/v1/accounts/${acc.appid}/server`, { url: dev.url, token: TOKEN, encoding_aes_key: AES_KEY, message_mode: mode });
          assert.equal(set.status, 200, JSON.stringify(set.body));
          const user = await h.user('nina');
          await h.follow(user, acc);
          assert.equal((await h.conversation(user, acc, 1))[0].body.content, 'hello from node');
          await h.op('POST', `/herald/v1/users/${user}/messages`, { appid: acc.appid, msgtype: 'text', content: 'ping' });
          await h.op('POST', `/herald/v1/users/${user}/messages`, { appid: acc.appid, msgtype: 'link', title: 'Herald', url: 'http://example.com/h' });
          const msgs = await h.conversation(user, acc, 5);
          const replies = msgs.filter((m) => m.source === 'passive_reply');
          assert.deepEqual(replies.map((r) => r.msgtype), ['text', 'text', 'news'], JSON.stringify(msgs));
          assert.equal(replies[1].body.content, 'node echo: ping');
          assert.equal(replies[2].body.articles[0].title, 'Herald');
          const d = (await h.op('GET', `/herald/v1/accounts/${acc.appid}/deliveries`)).body.deliveries;
          assert.ok(d.every((x) => x.state === 'done'), JSON.stringify(d.map((x) => x.last_error)));
          // Compatible mode sends the plain fields beside the envelope; the middleware decrypts.
          const requests = d.map((x) => x.attempts[0].request);
          const expect = { plain: [false, true], compatible: [true, true], safe: [true, false] }[mode];
          assert.ok(requests.every((r) => r.includes('<Encrypt>') === expect[0] && r.includes('<FromUserName>') === expect[1]), JSON.stringify(requests));
        } finally {
          if (dev.server) dev.server.close();
          await h.stop();
        }
      });
    }
  }
});

// Every reply type the middleware renders, encrypted, and an empty reply (no reply at all).
test('wechat middleware: every passive reply type in safe mode', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      let server;
      try {
        const acc = await h.account();
        const answers = {
          image: { type: 'image', content: { mediaId: 'IMG_1' } },
          voice: { type: 'voice', content: { mediaId: 'VOICE_1' } },
          video: { type: 'video', content: { mediaId: 'VIDEO_1', title: 'Clip', description: 'A clip' } },
          music: { title: 'Song', description: 'A song', musicUrl: 'http://m/1.mp3', hqMusicUrl: 'http://m/1hq.mp3', thumbMediaId: 'THUMB_1' },
        };
        const mw = wechat({ token: TOKEN, appid: acc.appid, encodingAESKey: AES_KEY })
          .text((message, req, res) => {
            if (message.Content === 'transfer') return res.transfer2CustomerService('kf2001@' + acc.original_id);
            res.reply(answers[message.Content] || '');
          })
          .event((message, req, res) => res.reply(''))
          .middlewarify();
        server = http.createServer((req, res) => {
          req.query = Object.fromEntries(new URL(req.url, 'http://localhost').searchParams);
          mw(req, res, (err) => { res.writeHead(500); res.end(String(err)); });
        });
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        const url = `http://127.0.0.1:${server.address().port}/wx`;
        const set = await h.op('PUT', `/herald/v1/accounts/${acc.appid}/server`, { url, token: TOKEN, encoding_aes_key: AES_KEY, message_mode: 'safe' });
        assert.equal(set.status, 200, JSON.stringify(set.body));
        const user = await h.user('otto');
        await h.follow(user, acc);
        const kinds = ['image', 'voice', 'video', 'music', 'transfer', 'nothing'];
        for (const content of kinds) {
          await h.op('POST', `/herald/v1/users/${user}/messages`, { appid: acc.appid, msgtype: 'text', content });
        }
        const msgs = await h.conversation(user, acc, 2 * kinds.length - 1);
        const replies = msgs.filter((m) => m.source === 'passive_reply');
        assert.deepEqual(replies.map((r) => r.msgtype), ['image', 'voice', 'video', 'music', 'transfer_customer_service'], JSON.stringify(msgs));
        assert.equal(replies[0].body.media_id, 'IMG_1');
        assert.deepEqual([replies[2].body.title, replies[2].body.description], ['Clip', 'A clip']);
        assert.deepEqual([replies[3].body.musicurl, replies[3].body.hqmusicurl, replies[3].body.thumb_media_id], ['http://m/1.mp3', 'http://m/1hq.mp3', 'THUMB_1']);
        assert.equal(replies[4].body.kf_account, 'kf2001@' + acc.original_id);
        // The last message has no reply to wait for: wait for its delivery instead.
        let d = [];
        for (let i = 0; i < 400; i++) {
          d = (await h.op('GET', `/herald/v1/accounts/${acc.appid}/deliveries`)).body.deliveries;
          if (d.every((x) => x.state !== 'pending')) break;
          await new Promise((res) => setTimeout(res, 50));
        }
        assert.equal(d.length, kinds.length + 1);
        assert.ok(d.every((x) => x.state === 'done'), JSON.stringify(d.map((x) => x.last_error)));
        assert.equal(msgs.filter((m) => m.source === 'notice').length, 0);
      } finally {
        if (server) server.close();
        await h.stop();
      }
    });
  }
});
