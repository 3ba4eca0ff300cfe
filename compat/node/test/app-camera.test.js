// The Herald app's camera and notifications in real headless Chromium (issue 26).
// - Scan with the camera: Chromium's fake capture device plays a video (Y4M) of a service
//   account's QR code with a scene; "Use the camera" reads frames, Herald decodes them, and the
//   follow happens with the scene, as when scanning the printed code.
// - Notifications: with permission granted and the tab in the background, a service account's
//   customer-service message raises a browser notification; a subscription account's mass
//   message raises none (it goes to the folder silently, as the seeds say).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const QRCode = require('qrcode');
const { chromium } = require('playwright-core');
const { backends, start } = require('./herald');

// One 4:2:0 frame of `text`'s QR code, black on white with a quiet zone, as a Y4M video.
function qrVideo(text, file) {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const scale = Math.floor(400 / (n + 8));
  const size = (n + 8) * scale + (((n + 8) * scale) % 2);
  const y = Buffer.alloc(size * size, 235);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.modules.get(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) y.fill(16, ((r + 4) * scale + dy) * size + (c + 4) * scale, ((r + 4) * scale + dy) * size + (c + 5) * scale);
    }
  }
  const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  fs.writeFileSync(file, Buffer.concat([header, frame, frame]));
}

async function signUp(page, base, login) {
  await page.goto(base + '/signup');
  await page.getByLabel('Username or phone number').fill(login);
  await page.getByLabel('Password').fill('correct horse');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Chats' }).waitFor();
  return (await (await page.request.get(base + '/herald/v1/me')).json()).user;
}

async function token(h, acc) {
  return (await (await fetch(`${h.base}/cgi-bin/token?grant_type=client_credential&appid=${acc.appid}&secret=${acc.app_secret}`)).json()).access_token;
}

test('the camera scans a QR code; notifications for service accounts only', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-camera-'));
      let browser;
      try {
        const acc = (await h.op('POST', '/herald/v1/accounts', { name: 'Camera Bank', type: 'service', owner: { kind: 'organisation', name: 'Camera' }, verified: true })).body;
        const news = (await h.op('POST', '/herald/v1/accounts', { name: 'Quiet News', type: 'subscription', owner: { kind: 'organisation', name: 'Q' }, verified: true })).body;
        const tok = await token(h, acc);
        const qr = await (await fetch(`${h.base}/cgi-bin/qrcode/create?access_token=${tok}`, { method: 'POST', body: JSON.stringify({ expire_seconds: 600, action_name: 'QR_SCENE', action_info: { scene: { scene_id: 77 } } }) })).json();
        assert.ok(qr.url, JSON.stringify(qr));
        const video = path.join(tmp, 'qr.y4m');
        qrVideo(qr.url, video);

        browser = await chromium.launch({
          executablePath: process.env.HERALD_CHROMIUM || '/usr/bin/chromium', headless: true, chromiumSandbox: false,
          args: ['--disable-background-networking', '--disable-component-update', '--no-first-run',
            '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
        });
        const context = await browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'en-US' });
        await context.grantPermissions(['camera', 'notifications'], { origin: h.base });
        // Every notification the page raises is recorded; the tab is made to look hidden (a
        // headless tab is always visible), which is when the app notifies.
        await context.addInitScript(() => {
          window.__notified = [];
          const Real = window.Notification;
          class Recorded extends Real {
            constructor(title, options) { super(title, options); window.__notified.push(title); }
          }
          Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
          window.Notification = Recorded;
          Object.defineProperty(document, 'hidden', { get: () => window.__hidden === true });
        });
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        const me = await signUp(page, h.base, 'camera');

        // The camera: the fake device shows the code; the follow happens with its scene.
        await page.getByRole('link', { name: 'Scan' }).click();
        await page.getByRole('button', { name: 'Scan with the camera' }).click();
        await page.getByRole('list', { name: 'Chat with Camera Bank' }).waitFor({ timeout: 20000 });
        const rel = (await h.op('GET', `/herald/v1/users/${me.id}/following`)).body.following.find((f) => f.appid === acc.appid);
        assert.equal(rel.qr_scene, 77);
        assert.equal(rel.subscribed, true);

        // Notifications: follow the subscription account too, go back to the chat list, hide.
        assert.equal(await page.evaluate(() => Notification.permission), 'granted');
        await h.op('POST', `/herald/v1/users/${me.id}/follow`, { appid: news.appid });
        await page.getByRole('button', { name: 'Back' }).or(page.getByRole('link', { name: 'Back' })).first().click();
        await page.getByRole('heading', { name: 'Chats' }).waitFor();
        await page.evaluate(() => { window.__hidden = true; });
        const ntok = await token(h, news);
        const mass = await (await fetch(`${h.base}/cgi-bin/message/mass/sendall?access_token=${ntok}`, { method: 'POST', body: JSON.stringify({ filter: { is_to_all: true }, text: { content: 'quiet morning news' }, msgtype: 'text' }) })).json();
        assert.equal(mass.errcode, 0, JSON.stringify(mass));
        await page.getByRole('link', { name: /Subscriptions/ }).waitFor();
        const cs = await (await fetch(`${h.base}/cgi-bin/message/custom/send?access_token=${tok}`, { method: 'POST', body: JSON.stringify({ touser: rel.openid, msgtype: 'text', text: { content: 'your card is ready' } }) })).json();
        assert.equal(cs.errcode, 0, JSON.stringify(cs));
        await page.waitForFunction(() => window.__notified.length > 0, null, { timeout: 10000 });
        // Give a late subscription notification time to show itself, then look at the list.
        await page.waitForTimeout(500);
        assert.deepEqual(await page.evaluate(() => window.__notified), ['New message from Camera Bank']);
        assert.deepEqual(errors, []);
      } finally {
        if (browser) await browser.close();
        await h.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
