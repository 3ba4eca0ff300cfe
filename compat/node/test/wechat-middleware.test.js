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
