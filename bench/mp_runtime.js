// bench/mp_runtime.sh's driver (see there).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const node = path.join(__dirname, '../compat/node');
const { start, launchChromium } = require(path.join(node, 'test/herald'));
const automator = require(path.join(node, 'node_modules/miniprogram-automator'));

const runs = Number(process.argv[2] || 9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function benchPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-mp-bench-'));
  const w = (p, s) => { fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true }); fs.writeFileSync(path.join(dir, p), s); };
  w('app.json', JSON.stringify({ pages: ['pages/list/list', 'pages/item/item'] }));
  w('app.js', 'App({})');
  w('pages/list/list.wxml', '<view class="head">{{title}}</view><view wx:for="{{list}}" wx:key="id" class="row"><text>{{item.name}}</text><text class="price">{{item.price}}</text></view>');
  w('pages/list/list.wxss', '.row { display: flex; justify-content: space-between; padding: 8rpx 24rpx; } .price { color: #06803d; }');
  w('pages/list/list.js', `Page({
    data: { title: 'List', list: [], elapsed: 0 },
    fill(n) {
      const list = [];
      for (let i = 0; i < 1000; i++) list.push({ id: i, name: 'Item ' + i + ' of round ' + n, price: '¥' + (i * 3 + n) });
      const t = performance.now();
      this.setData({ list });
      return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t), 0)));
    },
  })`);
  w('pages/item/item.wxml', '<view class="item"><text>Item {{id}}</text><view wx:for="{{tags}}" wx:key="*this">{{item}}</view></view>');
  w('pages/item/item.js', "Page({ data: { id: '', tags: ['a', 'b', 'c'] }, onLoad(q) { this.setData({ id: q.id }); } })");
  return dir;
}

(async () => {
  const h = await start('sqlite');
  const browser = await launchChromium();
  let mini;
  try {
    const mp = (await h.op('POST', '/herald/v1/accounts', { name: 'Bench', type: 'miniprogram', owner: { kind: 'organisation', name: 'B' }, verified: true })).body;
    const up = spawnSync(process.env.HERALD_BIN, ['mp', 'upload', benchPackage(), '--appid', mp.appid, '--version', '1', '--release', '--url', h.base, '--token', 'compat-operator-token-0123456789'], { encoding: 'utf8' });
    if (up.status !== 0) throw new Error(up.stderr);
    const user = await h.user('bench');
    const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
    await page.goto((await h.op('POST', `/herald/v1/users/${user}/signin_links`, {})).body.url);
    await page.goto(`${h.base}/mp/${mp.appid}/pages/list/list`);
    await page.frameLocator('iframe[title="Bench"]').getByText('List').waitFor();
    mini = await automator.connect({ wsEndpoint: `${h.base.replace('http', 'ws')}/herald/v1/automation/${mp.appid}?token=compat-operator-token-0123456789` });
    const frame = page.frames().find((f) => f.url().includes('/mpr/'));
    const list = await mini.currentPage();
    // An update of every row (the list is there), and a list made from nothing.
    const fills = [];
    for (let i = 0; i < runs; i++) fills.push(await list.callMethod('fill', i));
    const creates = [];
    for (let i = 0; i < runs; i++) {
      await list.setData({ list: [] });
      creates.push(await list.callMethod('fill', i));
    }
    const opens = [];
    for (let i = 0; i < runs; i++) {
      await mini.callWxMethod('navigateTo', { url: `/pages/item/item?id=${i}` });
      await page.frameLocator('iframe[title="Bench"]').getByText(`Item ${i}`, { exact: true }).waitFor();
      await new Promise((r) => setTimeout(r, 100));
      const ms = await frame.evaluate(() => performance.getEntriesByName('herald:navigateTo').map((e) => e.duration));
      opens.push(ms[ms.length - 1]);
      await mini.callWxMethod('navigateBack', { delta: 1 });
    }
    const f = (xs) => xs.map((x) => x.toFixed(1)).join(', ');
    console.log(`setData changing 1,000 items, to paint (ms): ${f(fills)}; median ${median(fills).toFixed(1)} (target 50)`);
    console.log(`setData making 1,000 items from an empty list, to paint (ms): ${f(creates)}; median ${median(creates).toFixed(1)} (target 50)`);
    console.log(`navigateTo to first paint (ms): ${f(opens)}; median ${median(opens).toFixed(1)} (target 150)`);
  } finally {
    if (mini) mini.disconnect();
    await browser.close();
    await h.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
