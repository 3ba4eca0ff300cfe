// Who signs in to the console (issue 27), in real headless Chromium driven by role and name: an
// organisation's owner invites a member as an editor, who accepts by the link and sees only the
// sections the role reaches; the owner changes its role and later removes it; the owner turns on
// two-step verification and signs in with a code from an authenticator (RFC 6238, computed here);
// the operator opens the owner's console read-only, is refused a change, and leaves the view.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { backends, start, launchChromium, axeCheck } = require('./herald');

const ARTIFACTS = path.join(__dirname, '../../../test-artifacts');

/// The six-digit TOTP code of a base32 secret now, as an authenticator app computes it.
function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
}

test('the console, as an organisation works in it with members, two-step sign-in and the operator looking on', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      try {
        const tea = (await h.op('POST', '/herald/v1/accounts', { name: 'Harbour Tea', type: 'service', owner: { kind: 'organisation', name: 'Harbour' }, verified: true })).body;
        assert.equal((await h.op('PUT', `/herald/v1/owners/${tea.owner.id}/login`, { email: 'boss@harbour.example', password: 'correct horse' })).status, 200);
        const errors = [];
        const open = async () => {
          const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
          const p = await ctx.newPage();
          p.on('pageerror', (e) => errors.push(String(e)));
          return p;
        };
        const page = await open();
        await page.goto(h.base + '/console');
        await page.getByLabel('Email').fill('boss@harbour.example');
        await page.getByLabel('Password', { exact: true }).fill('correct horse');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('link', { name: /^Harbour Tea/ }).waitFor();

        // The owner invites an editor; the link is shown once.
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Members' }).click();
        await page.getByRole('heading', { name: 'Members' }).waitFor();
        const invite = page.getByRole('group', { name: 'Invite member' });
        await invite.getByLabel('Email').fill('ed@harbour.example');
        await invite.getByLabel('Role').selectOption({ label: 'Editor' });
        await invite.getByRole('button', { name: 'Invite member' }).click();
        await page.getByRole('status').getByText(/Invitation for ed@harbour.example made/).waitFor();
        const link = await page.getByRole('textbox', { name: 'Invitation link' }).inputValue();
        assert.match(link, /\/console\/invite\/hi_/);
        await page.getByRole('row', { name: /ed@harbour.example/ }).getByRole('cell', { name: 'Invited' }).waitFor();
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `console-members-${backend}.png`), fullPage: true });
        await axeCheck(page, 'members');

        // The editor accepts in its own browser and sees the sections an editor reaches.
        const ed = await open();
        await ed.goto(link);
        await ed.getByRole('heading', { name: 'Join Harbour on Herald' }).waitFor();
        await ed.getByText('ed@harbour.example is invited as Editor.').waitFor();
        await axeCheck(ed, 'invitation');
        await ed.getByLabel('Choose a password (at least 8 characters)').fill('editor pass');
        await ed.getByRole('button', { name: 'Accept the invitation' }).click();
        await ed.getByRole('link', { name: /^Harbour Tea/ }).click();
        const sections = ed.getByRole('navigation', { name: 'Account sections' });
        await sections.getByRole('link', { name: 'Articles' }).waitFor();
        assert.deepEqual(await sections.getByRole('link').allTextContents(), ['Overview', 'Articles']);
        assert.equal(await ed.getByRole('link', { name: 'Members' }).count(), 0, 'an editor does not manage members');
        // The link is spent.
        const again = await open();
        await again.goto(link);
        await again.getByRole('alert').getByText('This invitation was accepted already or has expired.').waitFor();

        // The owner makes the editor an agent: its sections follow.
        await page.reload();
        await page.getByRole('row', { name: /ed@harbour.example/ }).getByRole('cell', { name: 'Active' }).waitFor();
        await page.getByRole('combobox', { name: 'Role of ed@harbour.example' }).selectOption({ label: 'Customer service agent' });
        await page.getByRole('status').getByText('ed@harbour.example is now Customer service agent.').waitFor();
        await ed.reload();
        await sections.getByRole('link', { name: 'Messages' }).waitFor();
        assert.deepEqual(await sections.getByRole('link').allTextContents(), ['Overview', 'Messages', 'Auto-replies', 'Followers']);

        // Two-step verification: set up with the key, confirmed with a code, asked for at sign-in.
        await page.getByRole('link', { name: 'Your sign-in' }).click();
        await page.getByText('Off: signing in asks for your password only.').waitFor();
        await page.getByRole('button', { name: 'Set up two-step verification' }).click();
        const secret = await page.getByRole('textbox', { name: 'Secret key' }).inputValue();
        assert.match(secret, /^[A-Z2-7]{32}$/);
        await page.getByRole('textbox', { name: 'Authentication code' }).fill(totp(secret));
        await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
        await page.getByRole('status').getByText('Two-step verification is on.').waitFor();
        await axeCheck(page, 'security');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Email').fill('boss@harbour.example');
        await page.getByLabel('Password', { exact: true }).fill('correct horse');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('alert').getByText('Enter the code from your authenticator app.').waitFor();
        await page.getByRole('textbox', { name: 'Authentication code' }).fill(totp(secret));
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('link', { name: /^Harbour Tea/ }).waitFor();

        // The operator opens Harbour's console read-only: it sees, and every change is refused.
        const opPage = await open();
        await opPage.goto(h.base + '/console');
        await opPage.getByText('Sign in as the operator').first().click();
        const form = opPage.getByRole('form', { name: 'Sign in as the operator' });
        await form.getByLabel('Operator token').fill('compat-operator-token-0123456789');
        await form.getByRole('button', { name: 'Sign in as the operator' }).click();
        await opPage.getByRole('button', { name: 'Open the console of Harbour read-only' }).click();
        await opPage.getByRole('note').getByText('Read-only view of the console of Harbour, as the operator: changes are refused.').waitFor();
        await opPage.getByRole('link', { name: /^Harbour Tea/ }).click();
        await opPage.getByRole('navigation', { name: 'Account sections' }).getByRole('link', { name: 'Menu' }).click();
        await opPage.getByRole('button', { name: 'Add a menu button' }).click();
        await opPage.getByRole('group', { name: 'Button 1' }).getByLabel('Name').fill('Sneaky');
        await opPage.getByRole('group', { name: 'Button 1' }).getByLabel('Key').fill('sneaky');
        await opPage.getByRole('button', { name: 'Save menu' }).click();
        await opPage.getByRole('alert').getByText(/may not change menus/).waitFor();
        assert.equal((await h.op('GET', `/herald/v1/accounts/${tea.appid}/menu`)).body.menu, null);
        await opPage.getByRole('button', { name: 'Leave the read-only view' }).click();
        await opPage.getByRole('group', { name: 'New account' }).waitFor();

        // The owner removes the member: its session ends.
        await page.getByRole('link', { name: 'Members' }).click();
        await page.getByRole('button', { name: 'Remove ed@harbour.example' }).click();
        await page.getByRole('status').getByText('ed@harbour.example removed.').waitFor();
        await ed.reload();
        await ed.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});

test('the console, as an owner sends a template message a follower sees', async (t) => {
  for (const backend of await backends()) {
    await t.test(backend, async () => {
      const h = await start(backend);
      const browser = await launchChromium();
      try {
        const bank = (await h.op('POST', '/herald/v1/accounts', { name: 'Pier Bank', type: 'service', owner: { kind: 'organisation', name: 'Pier' }, verified: true })).body;
        assert.equal((await h.op('PUT', `/herald/v1/owners/${bank.owner.id}/login`, { email: 'ops@pier.example', password: 'correct horse' })).status, 200);
        const user = (await h.op('POST', '/herald/v1/users', { nickname: 'Wang Fang' })).body;
        assert.equal((await h.op('POST', `/herald/v1/users/${user.id}/login`, { login: 'wangfang', password: 'correct horse' })).status, 201);
        const { openid } = (await h.op('POST', `/herald/v1/users/${user.id}/follow`, { appid: bank.appid })).body;
        const errors = [];
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(h.base + '/console');
        await page.getByLabel('Email').fill('ops@pier.example');
        await page.getByLabel('Password', { exact: true }).fill('correct horse');
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('link', { name: /^Pier Bank/ }).click();
        await page.getByRole('navigation', { name: 'Account sections' }).getByRole('link', { name: 'Templates' }).click();

        const industries = page.getByRole('group', { name: 'Industries' });
        await industries.getByRole('combobox', { name: 'Primary industry' }).selectOption({ label: '金融业 · 银行' });
        await industries.getByRole('combobox', { name: 'Secondary industry' }).selectOption({ label: 'IT科技 · 互联网|电子商务' });
        await industries.getByRole('button', { name: 'Save the industries' }).click();
        await page.getByRole('status').getByText('Industries saved.').waitFor();
        await page.getByRole('combobox', { name: 'Template from the library' }).selectOption({ label: '账户余额变动提醒 (金融业 · 银行)' });
        await page.getByRole('button', { name: 'Add the template' }).click();
        await page.getByRole('status').getByText('Template 账户余额变动提醒 added.').waitFor();
        await page.getByRole('list', { name: 'Your templates' }).getByText('账户余额变动提醒', { exact: true }).waitFor();

        const form = page.getByRole('group', { name: 'Send a template message' });
        await form.getByRole('textbox', { name: "Follower's OpenID" }).fill(openid);
        await form.getByRole('textbox', { name: 'Field first' }).fill('Your balance changed');
        await form.getByRole('textbox', { name: 'Field keyword2' }).fill('-100.00');
        await form.getByRole('textbox', { name: 'Field keyword3' }).fill('900.00');
        await form.getByRole('button', { name: 'Send the template message' }).click();
        await page.getByRole('status').getByText(/Template message sent \(msgid \d+\)\./).waitFor();
        await axeCheck(page, 'templates');

        // The follower sees it in the chat with its fields.
        const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
        phone.on('pageerror', (e) => errors.push(String(e)));
        await phone.goto(h.base + '/signin');
        await phone.getByLabel('Username or phone number').fill('wangfang');
        await phone.getByLabel('Password').fill('correct horse');
        await phone.getByRole('button', { name: 'Sign in' }).click();
        await phone.getByRole('heading', { name: 'Chats' }).waitFor();
        await phone.goto(`${h.base}/chat/${bank.appid}`);
        const chat = phone.getByRole('list', { name: 'Chat with Pier Bank' });
        await chat.getByText('账户余额变动提醒').waitFor();
        await chat.getByText('-100.00').waitFor();
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await h.stop();
      }
    });
  }
});
