// Live in the browser across nodes, with WeRoBot as the developer server (issue 26): two
// `herald serve` on one PostgreSQL database; the browser is attached to node B; WeRoBot (safe
// mode) answers the follower's message, and the reply (stored by whichever node's worker
// delivered it) appears without a reload; a customer-service message sent through node A
// appears too, with an unread badge on the chat list.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { backends, start, freshDb, launchChromium } = require('./herald');

const PYTHON = path.join(__dirname, '../../../.venv/bin/python');
const ROBOT = path.join(__dirname, '../../python/werobot_server.py');
const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');

function werobot(appid) {
  const proc = spawn(PYTHON, [ROBOT, appid], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout }).once('line', (url) => resolve({ proc, url }));
    proc.on('exit', (c) => reject(new Error('werobot exited with ' + c)));
  });
}

test('live across two nodes, with WeRoBot answering', { skip: !fs.existsSync(PYTHON) && 'the Python venv (scripts/test makes it) is missing' }, async (t) => {
  const all = await backends();
  if (!all.includes('postgres')) {
    t.skip('needs PostgreSQL: nodes share one database');
    return;
  }
  const db = freshDb('postgres');
  const a = await start('postgres', db);
  const b = await start('postgres', db);
  const browser = await launchChromium();
  let robot;
  try {
    const acc = (await a.op('POST', '/herald/v1/accounts', { name: 'Robot Bank', type: 'service', owner: { kind: 'organisation', name: 'Robot' }, verified: true })).body;
    robot = await werobot(acc.appid);
    const set = await a.op('PUT', `/herald/v1/accounts/${acc.appid}/server`, { url: robot.url, token: 'robottoken42', encoding_aes_key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', message_mode: 'safe' });
    assert.equal(set.status, 200, JSON.stringify(set.body));

    const page = await browser.newPage({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
    await page.goto(b.base + '/signup');
    await page.getByLabel('Username or phone number').fill('livewire');
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    const me = (await (await page.request.get(b.base + '/herald/v1/me')).json()).user;
    const rel = (await a.op('POST', `/herald/v1/users/${me.id}/follow`, { appid: acc.appid })).body;

    // The welcome WeRoBot answered to the follow arrives on the chat list without a reload.
    await page.getByRole('link', { name: /Robot Bank/ }).waitFor();
    await page.getByRole('link', { name: /Robot Bank/ }).click();
    const chat = page.getByRole('list', { name: 'Chat with Robot Bank' });
    await chat.getByText(`welcome, ${rel.openid}`).waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill('ping over two nodes');
    await page.getByRole('button', { name: 'Send' }).click();
    await chat.getByText('werobot: ping over two nodes').waitFor();

    // A customer-service message sent through node A reaches the browser on node B.
    const tok = (await (await fetch(`${a.base}/cgi-bin/token?grant_type=client_credential&appid=${acc.appid}&secret=${acc.app_secret}`)).json()).access_token;
    const sent = await (await fetch(`${a.base}/cgi-bin/message/custom/send?access_token=${tok}`, { method: 'POST', body: JSON.stringify({ touser: rel.openid, msgtype: 'text', text: { content: 'from node A' } }) })).json();
    assert.equal(sent.errcode, 0, JSON.stringify(sent));
    await chat.getByText('from node A').waitFor();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'app-live-two-nodes.png'), fullPage: true });

    // Back on the list, another message shows as unread.
    await page.getByRole('link', { name: 'Back' }).click();
    await fetch(`${a.base}/cgi-bin/message/custom/send?access_token=${tok}`, { method: 'POST', body: JSON.stringify({ touser: rel.openid, msgtype: 'text', text: { content: 'one more' } }) });
    await page.getByLabel('1 unread').waitFor();
  } finally {
    await browser.close();
    if (robot) robot.proc.kill();
    await a.stop();
    await b.stop();
  }
});
