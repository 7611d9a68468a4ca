// @ts-check
// The dashboard end to end in a real Chromium (playwright-core, Debian's
// /usr/bin/chromium; never `playwright install`). Started by
// tests/api/browser.rs against this run's Worker (`wrangler dev`) and the
// OpenRouter simulator, with:
//   ORW_BASE_URL        the Worker, e.g. http://127.0.0.1:41234
//   ORW_SIM_URL         the simulator: its control API records spend on the inference key (policies)
//   ORW_SCREENSHOT_DIR  where the PNGs go
//   ORW_CLIENT_IP       sent as CF-Connecting-IP on every request (own rate-limit buckets)
//   ORW_KEY_INFERENCE   a valid inference key (simulator account with history)
//   ORW_KEY_MANAGEMENT  a valid management key of the same account
//   ORW_UNTRACKED_NAME  the name of a third key of that account, never given to the dashboard
//   ORW_KEY_REJECTED    a well-formed key the simulator answers 401 for
//   ORW_ACCESS_ASSERTION a valid Cloudflare Access assertion for a new address, signed by
//                       the tests' fake team (the Worker's ACCESS_TEAM_DOMAIN); the walk
//                       sends it on every request of its first step, as Access would
//   ORW_SECRETS_OUT     file: every secret seen (password, JWTs, API token, webhook secret), one per line;
//                       one mailed to an address (an invitation's token) is followed by a tab and that address
//   ORW_CHROMIUM        optional, the browser binary (default /usr/bin/chromium)
// The script runs its own webhook receiver (node:http on 127.0.0.1, a random
// port) and checks the signature of what the Worker sends it; the Worker must
// allow loopback webhook URLs (WEBHOOK_LOOPBACK, set for `wrangler dev` runs).
// Prints one line per passing step; exits 1 with the failing step, the page
// URL and the last console messages on failure.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { check, need, openBrowser, RESTARTED } from './kit.mjs';

const started = Date.now();

const BASE = need('ORW_BASE_URL').replace(/\/$/, '');
const SIM = need('ORW_SIM_URL').replace(/\/$/, '');
const SHOTS = need('ORW_SCREENSHOT_DIR');
const CLIENT_IP = need('ORW_CLIENT_IP');
const KEY_INFERENCE = need('ORW_KEY_INFERENCE');
const KEY_MANAGEMENT = need('ORW_KEY_MANAGEMENT');
const KEY_REJECTED = need('ORW_KEY_REJECTED');
const UNTRACKED_NAME = need('ORW_UNTRACKED_NAME');
const SECRETS_OUT = need('ORW_SECRETS_OUT');
const ACCESS_ASSERTION = need('ORW_ACCESS_ASSERTION');
const CHROMIUM = process.env.ORW_CHROMIUM || '/usr/bin/chromium';
const SESSION_KEY = 'orw.session';

// ---- secrets: written as soon as seen, so a failed run still reports them --
/** @type {Set<string>} */
const secrets = new Set();
/** @param {string | null | undefined} s */
function remember(s) {
  if (!s || secrets.has(s)) return;
  secrets.add(s);
  fs.writeFileSync(SECRETS_OUT, [...secrets].join('\n') + '\n', { mode: 0o600 });
}
/** A secret also mailed to `to`, where the scan lets it be.
 *  @param {string} s @param {string} to */
function rememberMailed(s, to) {
  if (s) remember(`${s}\t${to}`);
}

// ---- exact money (BigInt, 1e-10 USD), as the page does -----------------------
/** @param {string} s */
function units(s) {
  const m = /^(-?)(\d+)(?:\.(\d{1,10}))?$/.exec(s);
  if (!m) throw new Error(`not a money string: ${JSON.stringify(s)}`);
  const v = BigInt(m[2]) * 10n ** 10n + BigInt((m[3] ?? '').padEnd(10, '0') || '0');
  return m[1] === '-' ? -v : v;
}

// ---- a webhook receiver: records every request with its raw body -------------
/** @type {{ method: string; path: string; headers: http.IncomingHttpHeaders; body: Buffer }[]} */
const received = [];
const receiver = http.createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => resolve(undefined)));
const HOOK_URL = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (receiver.address()).port}/hook`;

/** What a receiver does: HMAC-SHA256(secret, "<timestamp>.<raw body>"),
 *  compared in constant time with the hex after "v1=", timestamp fresh.
 *  @param {{ headers: http.IncomingHttpHeaders; body: Buffer }} r @param {string} secret */
function signatureOk(r, secret) {
  const ts = String(r.headers['x-watcher-timestamp'] ?? '');
  const sig = String(r.headers['x-watcher-signature'] ?? '');
  if (!/^\d+$/.test(ts) || !sig.startsWith('v1=')) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const want = crypto.createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${ts}.`), r.body])).digest();
  const got = Buffer.from(sig.slice(3), 'hex');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

// ---- the browser ---------------------------------------------------------------
const { browser, context, page, stats, step, axe, settledOverflow, shot, checkClean, fail } = await openBrowser({
  base: BASE,
  clientIp: CLIENT_IP,
  shots: SHOTS,
  chromium: CHROMIUM,
});

/** Requests the page sent, by "METHOD /path". */
/** @type {Map<string, number>} */
const sent = new Map();
page.on('request', (req) => {
  const u = new URL(req.url());
  if (u.origin !== BASE) return;
  const k = `${req.method()} ${u.pathname}`;
  sent.set(k, (sent.get(k) ?? 0) + 1);
});
/** @param {string} k */
const count = (k) => sent.get(k) ?? 0;

/** @param {string} hash */
async function go(hash) {
  await page.goto(`${BASE}/${hash}`);
}

/** Until `page.unroute('**\/api/tokens')`: creating a token is answered as
 *  the Worker answers a session older than 10 minutes (403
 *  reauthentication_required), whatever this session's age. */
async function answerTokensAsForAnOldSession() {
  await page.route('**/api/tokens', (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({
          status: 403,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: { code: 'reauthentication_required', message: 'This session signed in more than 10 minutes ago: confirm with your password (`password`).' } }),
        })
      : route.fallback(),
  );
}

/** The session JWT the page holds. */
async function jwt() {
  const t = await page.evaluate((k) => sessionStorage.getItem(k), SESSION_KEY);
  remember(t);
  return t;
}

/** @param {string} p @param {Record<string, string>} [headers] */
async function apiGet(p, headers = {}) {
  return resentOnce(() => fetch(BASE + p, { headers: { 'CF-Connecting-IP': CLIENT_IP, ...headers } }));
}

/** The answer of `send()`, sent once more after the local proxy's restart.
 *  @param {() => Promise<Response>} send */
async function resentOnce(send) {
  let res = await send();
  let text = await res.text();
  if (res.status === 503 && text.startsWith(RESTARTED)) {
    stats.resentAfterRestart += 1;
    res = await send();
    text = await res.text();
  }
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** @param {string} method @param {string} p @param {unknown} body @param {Record<string, string>} [headers] */
async function apiSend(method, p, body, headers = {}) {
  return resentOnce(() =>
    fetch(BASE + p, {
      method,
      headers: { 'CF-Connecting-IP': CLIENT_IP, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** Waits until the keys' <tr> with this name exists and returns its status.
 *  @param {string} name */
async function keyStatus(name) {
  const row = page.locator(`[data-testid="key-item"][data-name="${name}"]`);
  await row.waitFor();
  return row.getAttribute('data-status');
}

const email = `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
const password = `correct horse ${Math.random().toString(36).slice(2)} battery`;
remember(password);
// The password the Settings screen changes it to.
const newPassword = `staple ${Math.random().toString(36).slice(2)} orbit lantern`;
remember(newPassword);

let total30 = '';
let period30 = { start: '', end: '' };
let firstJwt = '';

try {
  await step('access: behind Cloudflare Access the login screen signs in by itself; the account (no password) deletes itself without one, and is not signed in again', async () => {
    // Access adds its assertion to every request it lets through.
    await page.setExtraHTTPHeaders({ 'Cf-Access-Jwt-Assertion': ACCESS_ASSERTION });
    try {
      await go('#/login');
      await page.waitForURL(/#\/overview/);
      check(count('GET /api/auth/access') === 1 && count('POST /api/auth/access') === 1, `asked whether Access is on, then one exchange of the assertion: ${count('GET /api/auth/access')}, ${count('POST /api/auth/access')}`);
      const token = (await jwt()) ?? '';
      check(token.split('.').length === 3, 'a session from the assertion');
      // As the Worker answers an Access session older than 10 minutes
      // creating a token: no password to ask for, a fresh sign-in instead.
      await go('#/tokens');
      await page.getByLabel('Name', { exact: true }).fill('e2e access script');
      await answerTokensAsForAnOldSession();
      await page.getByTestId('create-token-submit').click();
      await page.getByTestId('access-sign-in-again').waitFor();
      check((await page.locator('#token-password').count()) === 0, 'no password asked of an Access session');
      await axe('tokens (an old Access session)');
      await page.unroute('**/api/tokens');
      await go('#/settings');
      const zone = page.getByTestId('danger-zone');
      await zone.getByTestId('access-confirms').waitFor();
      check((await zone.locator('#delete-password').count()) === 0, 'no password asked of an Access session');
      await axe('settings (a Cloudflare Access session)');
      await page.getByTestId('delete-account').click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete account' }).click();
      await page.getByTestId('flash').filter({ hasText: 'Your account was deleted.' }).waitFor();
      await page.waitForLoadState('networkidle');
      check(count('GET /api/auth/access') === 1 && count('POST /api/auth/access') === 1, 'after deleting the account the login screen does not sign in again by itself');
      check((await jwt()) === null, 'no session after the deletion');
      const gone = await apiGet('/api/auth/me', { Authorization: `Bearer ${token}` });
      check(gone.status === 401, `the deleted account's session: ${gone.status}`);
    } finally {
      await page.setExtraHTTPHeaders({});
      // The walk goes on in a page loaded afresh, as a newcomer's.
      await page.goto('about:blank');
    }
  });

  await step('register: a short password is refused in the page, nothing is sent', async () => {
    await go('#/register');
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.keyboard.press('Tab');
    check((await page.evaluate(() => document.activeElement?.textContent)) === 'Skip to content', 'the first Tab reaches the skip link');
    await axe('register');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByTestId('register-submit').click();
    const err = page.getByTestId('register-password-error');
    await err.waitFor();
    check(/at least 12/.test(await err.innerText()), `password message: ${await err.innerText()}`);
    check((await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid')) === 'true', 'aria-invalid on the password');
    check(count('POST /api/auth/register') === 0, 'a register request was sent for a short password');
  });

  await step('register with a valid password logs in and opens Keys', async () => {
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByTestId('register-submit').click();
    await page.waitForURL(/#\/keys/);
    await page.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
    check(count('POST /api/auth/register') === 1, 'one register request');
    check(count('POST /api/auth/login') === 1, 'one login request after register');
    firstJwt = (await jwt()) ?? '';
    check(firstJwt.split('.').length === 3, 'a JWT in sessionStorage');
    const cookies = await context.cookies();
    check(cookies.length === 0, `no cookies, got ${cookies.map((c) => c.name).join(', ')}`);
  });

  await step('log out, then log in with the form', async () => {
    await page.getByTestId('logout').click();
    await page.waitForURL(/#\/login/);
    await page.getByText('You are logged out.').waitFor();
    check((await jwt()) === null, 'the session is cleared');
    const me = await apiGet('/api/auth/me', { Authorization: `Bearer ${firstJwt}` });
    check(me.status === 401, `the logged-out JWT still works: ${me.status}`);
    await axe('login');
    await page.getByLabel('Email', { exact: true }).fill(email.toUpperCase());
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/#\/overview/);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    check(((await jwt()) ?? '').split('.').length === 3, 'a new JWT');
  });

  await step('keys: bad inputs show field messages and send nothing', async () => {
    await page.getByTestId('nav-keys').click();
    await page.waitForURL(/#\/keys/);
    // The nav re-renders on the hashchange, a moment after the URL changed.
    await page.locator('[data-testid="nav-keys"][aria-current="page"]').waitFor({ timeout: 5_000 });
    await page.getByRole('heading', { name: 'Add a key' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByLabel('OpenRouter key', { exact: true }).fill('sk-or-nope');
    await page.getByTestId('add-key-submit').click();
    await page.getByTestId('key-name-error').waitFor();
    await page.getByTestId('key-value-error').waitFor();
    check(/name/i.test(await page.getByTestId('key-name-error').innerText()), 'name message');
    check(/well-formed/i.test(await page.getByTestId('key-value-error').innerText()), 'key message');
    await page.getByLabel('Name', { exact: true }).fill('Production');
    await page.getByLabel('OpenRouter key', { exact: true }).fill('sk-or-nope');
    await page.getByTestId('add-key-submit').click();
    await page.getByTestId('key-value-error').waitFor();
    check((await page.getByTestId('key-name-error').count()) === 0, 'the name message is gone once the name is fine');
    check(count('POST /api/keys') === 0, `POST /api/keys was sent ${count('POST /api/keys')} times`);
  });

  /** @param {string} name @param {string} key @param {'inference' | 'management'} kind */
  async function addKey(name, key, kind) {
    const before = count('POST /api/keys');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('OpenRouter key', { exact: true }).fill(key);
    await page.getByLabel('Kind', { exact: true }).selectOption(kind);
    if (kind === 'management') await page.getByTestId('management-warning').waitFor();
    await page.getByTestId('add-key-submit').click();
    await page.locator(`[data-testid="create-result"]:has-text("${name}")`).waitFor();
    check(count('POST /api/keys') === before + 1, 'one POST /api/keys');
    check((await page.getByLabel('OpenRouter key', { exact: true }).inputValue()) === '', 'the key input is cleared after submit');
    const status = await page.getByTestId('create-status').getAttribute('data-status');
    check((await keyStatus(name)) === status, 'the list shows the created key');
    return status;
  }

  await step('keys: add the management, inference and rejected keys', async () => {
    check((await addKey('Admin', KEY_MANAGEMENT, 'management')) === 'valid', 'the management key is valid');
    check((await addKey('Production', KEY_INFERENCE, 'inference')) === 'valid', 'the inference key is valid');
    const rejected = await addKey('Old key', KEY_REJECTED, 'inference');
    check(rejected === 'invalid', `the rejected key is ${rejected}`);
    check(/rejected/i.test(await page.getByTestId('create-result').innerText()), 'a plain sentence says it was rejected');
    const html = await page.content();
    for (const k of [KEY_MANAGEMENT, KEY_INFERENCE, KEY_REJECTED]) check(!html.includes(k), 'a key value is shown in the page');
    check((await page.getByTestId('key-item').count()) === 3, 'three keys listed');
    await axe('keys');
  });

  await step('keys: rename inline, disable and enable', async () => {
    const row = page.locator('[data-testid="key-item"][data-name="Old key"]');
    await row.getByRole('button', { name: 'Rename Old key' }).click();
    await page.getByLabel('New name for Old key', { exact: true }).fill('Rejected key');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-testid="key-item"][data-name="Rejected key"]').waitFor();
    const renamed = page.locator('[data-testid="key-item"][data-name="Rejected key"]');
    await renamed.getByTestId('toggle-key').click();
    await page.locator('[data-testid="key-item"][data-name="Rejected key"][data-active="false"]').waitFor();
    await renamed.getByTestId('toggle-key').click();
    await page.locator('[data-testid="key-item"][data-name="Rejected key"][data-active="true"]').waitFor();
  });

  await step('hourly sync (cron) fills the inference key', async () => {
    const cron = await fetch(`${BASE}/__scheduled?cron=0+*+*+*+*`, { headers: { 'CF-Connecting-IP': CLIENT_IP } });
    check(cron.ok, `/__scheduled answered ${cron.status}`);
    const token = await jwt();
    // The run syncs every account of this shared test Worker through the
    // queue, behind the batches of runs other tests fired: on a busy 2-core
    // CI machine that takes more than a quiet laptop's few seconds.
    const fired = Date.now();
    for (;;) {
      const r = await apiGet('/api/keys?limit=100', { Authorization: `Bearer ${token}` });
      check(r.status === 200, `/api/keys: ${r.status} ${r.text}`);
      const k = r.json().items.find((/** @type {any} */ x) => x.name === 'Production');
      if (k?.last_synced_at) break;
      check(Date.now() - fired < 120_000, 'the inference key was not synced within 120 s');
      await new Promise((res) => setTimeout(res, 500));
    }
    console.log(`   synced ${Date.now() - fired} ms after the cron`);
    await page.reload();
    await page.locator('[data-testid="key-item"][data-name="Production"][data-synced^="2"]').waitFor();
    await shot('keys-desktop-light');
  });

  await step('overview, 30 days: chart has data; total = sum(keys) = sum(models) exactly', async () => {
    await page.getByTestId('nav-overview').click();
    await page.waitForURL(/#\/overview/);
    await page.getByTestId('range-30d').click();
    await page.locator('[data-testid="period"][data-days="30"]').waitFor();
    await page.locator('[data-testid="cost-chart"]:not([data-points="0"])').waitFor();
    check((await page.locator('[data-testid="cost-chart"] canvas').count()) === 1, 'the chart canvas');
    const name = await page.locator('[data-testid="cost-chart"] canvas').getAttribute('aria-label');
    check(!!name && name.length > 10, 'the chart has an accessible name');
    const points = Number(await page.getByTestId('cost-chart').getAttribute('data-points'));
    check(points > 0, 'chart data points');
    const nonZeroCells = await page.locator('[data-testid="chart-table"] tbody td[data-cost]').evaluateAll((tds) => tds.filter((td) => !/^0$/.test(td.getAttribute('data-cost') ?? '0')).length);
    check(nonZeroCells > 0, 'the chart data table has non-zero cells');
    check((await page.locator('[data-testid="chart-table"] tbody tr').count()) === 30, '30 days in the chart table');

    total30 = (await page.getByTestId('total-cost').getAttribute('data-cost')) ?? '';
    const keyCosts = await page.locator('[data-testid="key-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-cost') ?? 'x'));
    const modelCosts = await page.locator('[data-testid="model-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-cost') ?? 'x'));
    const total = units(total30);
    const sumKeys = keyCosts.reduce((a, c) => a + units(c), 0n);
    const sumModels = modelCosts.reduce((a, c) => a + units(c), 0n);
    check(total > 0n, `the 30-day total is ${total30}`);
    check(keyCosts.length === 3, `3 key rows, got ${keyCosts.length}`);
    check(modelCosts.length > 1, `model rows: ${modelCosts.length}`);
    check(total === sumKeys, `total ${total30} != sum of key rows ${sumKeys}`);
    check(total === sumModels, `total ${total30} != sum of model rows ${sumModels}`);
    check((await page.getByTestId('reconciliation').getAttribute('data-ok')) === 'true', 'the page says the totals reconcile');
    period30 = {
      start: (await page.getByTestId('period').getAttribute('data-start')) ?? '',
      end: (await page.getByTestId('period').getAttribute('data-end')) ?? '',
    };
    check(/^\d{4}-\d{2}-\d{2}$/.test(period30.start), 'period start');
    await page.getByTestId('last-sync').filter({ hasNotText: 'never' }).waitFor();
    console.log(`   30-day total $${total30} = ${keyCosts.length} key rows = ${modelCosts.length} model rows (${points} chart points)`);
    await axe('overview');
  });

  await step('overview screenshots: desktop and phone, light and dark', async () => {
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(150);
      await shot(`overview-desktop-${scheme}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await shot(`overview-phone-${scheme}`);
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout scrolls sideways by ${overflow}px`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('overview: group by key and back by model', async () => {
    await page.getByTestId('group-key').click();
    await page.waitForURL(/group=key/);
    await page.locator('[data-testid="chart-table"] thead th', { hasText: 'Production' }).waitFor();
    await page.getByTestId('group-model').click();
    await page.waitForURL((u) => !u.hash.includes('group=key'));
    await page.locator('[data-testid="chart-table"] thead th', { hasText: 'Production' }).waitFor({ state: 'detached' });
  });

  await step('overview: 7 days survives a reload (state in the URL)', async () => {
    await page.getByTestId('range-7d').click();
    await page.waitForURL(/range=7d/);
    await page.locator('[data-testid="period"][data-days="7"]').waitFor();
    await page.reload();
    check(/range=7d/.test(page.url()), `the URL lost the range: ${page.url()}`);
    await page.locator('[data-testid="period"][data-days="7"]').waitFor();
    check((await page.locator('[data-testid="chart-table"] tbody tr').count()) === 7, '7 days in the chart table');
    check(await page.locator('[data-testid="range-7d"] input').isChecked(), 'the 7-day preset is selected');
  });

  await step('keys: a budget on a key: checked in the page, then a bar with its threshold marks', async () => {
    await page.getByTestId('nav-keys').click();
    await page.waitForURL(/#\/keys/);
    const prod = page.locator('[data-testid="key-item"][data-name="Production"]');
    await prod.getByTestId('manage-budget').click();
    await page.waitForURL(/budget=\d+/);
    const panel = page.getByTestId('key-budgets');
    await panel.getByRole('heading', { name: 'Budget of “Production”' }).waitFor();
    const POST = 'POST /api/budgets';
    // Refused in the page: a zero amount, a threshold over 100.
    await panel.getByLabel('Amount (USD)', { exact: true }).fill('0');
    await panel.getByLabel('Alert at (% of the amount)', { exact: true }).fill('50, 120');
    await panel.getByTestId('budget-submit').click();
    await panel.locator('[id$="-amount-error"]').filter({ hasText: 'more than 0' }).waitFor();
    await panel.locator('[id$="-thresholds-error"]').filter({ hasText: '120' }).waitFor();
    check((await panel.getByLabel('Amount (USD)', { exact: true }).getAttribute('aria-invalid')) === 'true', 'aria-invalid on the amount');
    check(count(POST) === 0, `a budget was sent with bad fields (${count(POST)})`);
    // A monthly budget of 5 USD with the default thresholds.
    await panel.getByLabel('Amount (USD)', { exact: true }).fill('5');
    await panel.getByLabel('Period (UTC)', { exact: true }).selectOption('monthly');
    await panel.getByLabel('Alert at (% of the amount)', { exact: true }).fill('50, 80, 100');
    await panel.getByTestId('budget-submit').click();
    const bar = panel.locator('[data-testid="budget-bar"][data-source="budget"][data-period="monthly"]');
    await bar.waitFor();
    check(count(POST) === 1, `one POST /api/budgets, got ${count(POST)}`);
    check((await bar.getAttribute('data-amount')) === '5', `the budget's amount: ${await bar.getAttribute('data-amount')}`);
    const ticks = await bar.getByTestId('budget-threshold').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-threshold')));
    check(ticks.join(',') === '50,80,100', `threshold marks: ${ticks.join(',')}`);
    const meter = bar.getByRole('meter');
    check(/Production/.test((await meter.getAttribute('aria-label')) ?? ''), 'the meter is named after the key');
    check(/used|no data/.test((await meter.getAttribute('aria-valuetext')) ?? ''), 'the meter says its value in words');
    check((await bar.getByTestId('budget-runway').innerText()).length > 5, 'a runway sentence');
    // The keys table shows it in the key's row too.
    await prod.locator('[data-testid="budget-bar"][data-source="budget"]').waitFor();
    check((await prod.getByTestId('manage-budget').innerText()).startsWith('Edit budget'), 'the row offers to edit the budget');
    console.log(`   key budget: ${await bar.getByTestId('budget-runway').innerText()}`);
    await axe('keys (budget)');
    await shot('keys-budget-light');
  });

  /** @type {string} */
  let hookSecret = '';
  await step('alerts: an account budget; a webhook to a local receiver, its secret shown once', async () => {
    await page.getByTestId('nav-alerts').click();
    await page.waitForURL(/#\/alerts/);
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    check((await page.getByTestId('nav-alerts').getAttribute('aria-current')) === 'page', 'aria-current on the Alerts nav link');
    const acc = page.getByTestId('account-budgets');
    await acc.getByLabel('Amount (USD)', { exact: true }).fill('25.50');
    await acc.getByLabel('Period (UTC)', { exact: true }).selectOption('weekly');
    await acc.getByTestId('budget-submit').click();
    const bar = acc.locator('[data-testid="budget-bar"][data-scope="account"][data-period="weekly"]');
    await bar.waitFor();
    check((await bar.getByTestId('budget-threshold').count()) === 3, 'the account bar has 3 threshold marks');
    await axe('alerts');

    const POST = 'POST /api/webhooks';
    await page.getByLabel('Name', { exact: true }).fill('Local receiver');
    await page.getByLabel('URL', { exact: true }).fill('ftp://example.com/hook');
    await page.getByTestId('webhook-submit').click();
    await page.getByTestId('webhook-url-error').filter({ hasText: 'https://' }).waitFor();
    check(count(POST) === 0, 'a bad URL was sent');
    await page.getByLabel('URL', { exact: true }).fill(HOOK_URL);
    await page.getByTestId('webhook-submit').click();
    const secretField = page.getByTestId('webhook-secret');
    // On a machine slow enough that this session is now over 10 minutes
    // old, the page asks for the password first (as it must): give it.
    const asked = page.getByLabel('Your password', { exact: true });
    await Promise.race([secretField.waitFor(), asked.waitFor()]);
    const reauthenticated = await asked.isVisible();
    if (reauthenticated) {
      await asked.fill(password);
      await page.getByTestId('webhook-submit').click();
    }
    await secretField.waitFor();
    hookSecret = await secretField.inputValue();
    remember(hookSecret);
    check(/^whsec_\S{16,}$/.test(hookSecret), 'the signing secret is shown');
    check((await secretField.getAttribute('readonly')) !== null, 'the secret is read-only');
    check(/will not be shown again/.test(await page.getByTestId('webhook-secret-box').innerText()), 'the page says the secret is shown once');
    check(count(POST) === (reauthenticated ? 2 : 1), `one POST /api/webhooks (two with the password), got ${count(POST)}`);
    await page.locator('[data-testid="webhook-row"][data-name="Local receiver"][data-active="true"]').waitFor();
  });

  await step('alerts: "Send test event" reaches the receiver, signed; the log says delivered', async () => {
    const row = page.locator('[data-testid="webhook-row"][data-name="Local receiver"]');
    await row.getByTestId('test-webhook').click();
    const status = row.getByTestId('test-status');
    await status.waitFor({ timeout: 30_000 });
    check((await status.getAttribute('data-status')) === 'delivered', `the test delivery: ${await status.innerText()}`);
    const hits = received.filter((r) => r.headers['x-watcher-event'] === 'test');
    check(hits.length === 1, `the receiver got ${hits.length} test events (${received.length} requests)`);
    const hit = /** @type {(typeof received)[number]} */ (hits[0]);
    check(hit.method === 'POST' && hit.path === '/hook', `${hit.method} ${hit.path}`);
    check(String(hit.headers['content-type']).startsWith('application/json'), `content-type ${hit.headers['content-type']}`);
    check(String(hit.headers['user-agent']).startsWith('OpenRouter-Watcher-Webhooks/'), `user-agent ${hit.headers['user-agent']}`);
    check(/^\d+$/.test(String(hit.headers['x-watcher-delivery'] ?? '')), 'a delivery id header');
    check(signatureOk(hit, hookSecret), `a bad X-Watcher-Signature: ${hit.headers['x-watcher-signature']}`);
    check(!signatureOk(hit, `${hookSecret}x`), 'the signature check accepts any secret');
    const body = JSON.parse(hit.body.toString('utf8'));
    check(body.event?.type === 'test', `the JSON body: ${hit.body.toString('utf8').slice(0, 200)}`);
    check(!hit.body.toString('utf8').includes(hookSecret), 'the body carries the secret');

    const log = row.getByTestId('delivery-log');
    const delivered = log.locator('[data-testid="delivery-row"][data-status="delivered"]');
    await delivered.first().waitFor();
    check(/delivered/.test(await delivered.first().innerText()), 'the log shows "delivered"');
    check(/HTTP 200/.test(await delivered.first().getByTestId('delivery-attempt').last().innerText()), 'the attempt shows HTTP 200');
    await page.locator('[data-testid="event-row"][data-type="test"]').first().waitFor();
    console.log(`   test delivery: ${await status.innerText()}`);
    await axe('alerts (webhook, deliveries)');

    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(150);
      await shot(`alerts-desktop-${scheme}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await shot(`alerts-phone-${scheme}`);
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout of Alerts scrolls sideways by ${overflow}px`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('alerts: the webhook form offers every channel and its filters; PagerDuty asks for its routing key; a row\'s filters change in place', async () => {
    const POST = 'POST /api/webhooks';
    const before = count(POST);
    const row = page.locator('[data-testid="webhook-row"][data-name="Local receiver"]');
    check(/Receives all events · info and up/.test(await row.getByTestId('webhook-filters-summary').innerText()), 'the row says what it receives');
    const format = page.getByLabel('Format', { exact: true });
    const offered = await format.locator('option').evaluateAll((os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value));
    check(offered.join(',') === 'json,slack,discord,teams,pagerduty,ntfy', `formats offered: ${offered.join(',')}`);
    await format.selectOption('pagerduty');
    await page.getByLabel('PagerDuty routing key', { exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('On call');
    await page.getByLabel('URL', { exact: true }).fill('https://events.pagerduty.com/v2/enqueue');
    for (const family of ['budget', 'key', 'policy', 'spend', 'data']) await page.getByTestId(`webhook-kind-${family}`).uncheck();
    await page.getByLabel('Least severity', { exact: true }).selectOption('critical');
    await page.getByTestId('webhook-submit').click();
    await page.getByTestId('webhook-routing-key-error').waitFor();
    await page.getByTestId('webhook-kinds-error').waitFor();
    check(count(POST) === before, 'a form without a routing key or events was sent');
    await axe('alerts (PagerDuty webhook form)');
    for (const family of ['budget', 'key', 'policy', 'spend', 'data']) await page.getByTestId(`webhook-kind-${family}`).check();
    await page.getByLabel('Least severity', { exact: true }).selectOption('info');
    await format.selectOption('json');
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByLabel('URL', { exact: true }).fill('');

    const PATCH = `PATCH /api/webhooks/${await row.getAttribute('data-webhook-id')}`;
    const patches = count(PATCH);
    await row.getByTestId('edit-filters').click();
    await row.getByLabel('Least severity', { exact: true }).selectOption('critical');
    await row.getByLabel('Budget alerts', { exact: true }).uncheck();
    await axe('alerts (webhook filters form)');
    await row.getByTestId('save-filters').click();
    const summary = row.getByTestId('webhook-filters-summary');
    await summary.filter({ hasText: 'critical only' }).waitFor();
    check((await summary.innerText()) === 'Receives key, policy, spend, data · critical only', `after the edit: ${await summary.innerText()}`);
    check(count(PATCH) === patches + 1, 'one PATCH for the filters');
    await row.getByTestId('edit-filters').click();
    await row.getByLabel('Least severity', { exact: true }).selectOption('info');
    await row.getByLabel('Budget alerts', { exact: true }).check();
    await row.getByTestId('save-filters').click();
    await summary.filter({ hasText: 'Receives all events · info and up' }).waitFor();
  });

  await step('alerts: the secret is gone after a reload; disable, enable and delete (dialog)', async () => {
    await page.reload();
    const row = page.locator('[data-testid="webhook-row"][data-name="Local receiver"]');
    await row.waitFor();
    check((await page.getByTestId('webhook-secret').count()) === 0, 'the secret is shown again after a reload');
    check(!(await page.content()).includes(hookSecret), 'the secret is in the page after a reload');
    const list = await apiGet('/api/webhooks', { Authorization: `Bearer ${await jwt()}` });
    check(list.status === 200 && !list.text.includes(hookSecret), `GET /api/webhooks: ${list.status}, secret included: ${list.text.includes(hookSecret)}`);
    await row.getByTestId('toggle-webhook').click();
    await page.locator('[data-testid="webhook-row"][data-name="Local receiver"][data-active="false"]').waitFor();
    await row.getByTestId('toggle-webhook').click();
    await page.locator('[data-testid="webhook-row"][data-name="Local receiver"][data-active="true"]').waitFor();
    await row.getByTestId('delete-webhook').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await axe('alerts (delete dialog)');
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    check((await row.count()) === 1, 'cancel keeps the webhook');
    const id = await row.getAttribute('data-webhook-id');
    await row.getByTestId('delete-webhook').click();
    await page.getByTestId('confirm-ok').click();
    await row.waitFor({ state: 'detached' });
    check(count(`DELETE /api/webhooks/${id}`) === 1, `one DELETE /api/webhooks/${id}, got ${count(`DELETE /api/webhooks/${id}`)}`);
  });

  await step('overview: the budgets, account first, each bar with its threshold marks', async () => {
    await page.getByTestId('nav-overview').click();
    await page.waitForURL(/#\/overview/);
    const section = page.getByTestId('budgets-section');
    await section.locator('[data-testid="budget-bar"][data-scope="key"][data-source="budget"]').waitFor();
    const bars = await section.getByTestId('budget-bar').evaluateAll((els) =>
      els.map((e) => ({ scope: e.getAttribute('data-scope'), period: e.getAttribute('data-period'), ticks: e.querySelectorAll('[data-testid="budget-threshold"]').length })),
    );
    check(bars.length >= 2, `budgets on the overview: ${JSON.stringify(bars)}`);
    check(bars[0]?.scope === 'account' && bars[0]?.period === 'weekly', `the account budget comes first: ${JSON.stringify(bars)}`);
    const firstKey = bars.findIndex((b) => b.scope === 'key');
    check(firstKey > 0 && bars.slice(firstKey).every((b) => b.scope === 'key'), `account budgets before key budgets: ${JSON.stringify(bars)}`);
    check(bars.every((b) => b.ticks >= 1), `every bar has threshold marks: ${JSON.stringify(bars)}`);
    await axe('overview (budgets)');
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(150);
      await section.screenshot({ path: path.join(SHOTS, `overview-budgets-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await step('usage: rows, filters in the URL, CSV download', async () => {
    await page.getByTestId('nav-usage').click();
    await page.waitForURL(/#\/usage/);
    await page.locator('[data-testid="usage-row"]').first().waitFor();
    await axe('usage');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
    check(download.suggestedFilename().endsWith('.csv'), `download name ${download.suggestedFilename()}`);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    check(lines.length > 1 && /date/i.test(lines[0] ?? ''), `CSV: ${csv.slice(0, 200)}`);
    await page.getByLabel('Rows per page', { exact: true }).selectOption('25');
    await page.waitForURL(/limit=25/);
  });

  /** The browser's own zone (the suggestion on Settings is offered when the account's differs). */
  const browserTz = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  const LA = 'America/Los_Angeles';

  await step('settings: time zone; an unknown zone is the Worker\'s 422 by the field; America/Los_Angeles saved and kept', async () => {
    check(browserTz !== LA, `the browser runs in ${browserTz}: the suggestion cannot be checked`);
    await page.getByTestId('nav-settings').click();
    await page.waitForURL(/#\/settings/);
    const currentTz = page.getByTestId('tz-current');
    await page.locator('[data-testid="tz-current"][data-tz="UTC"]').waitFor();
    check((await page.getByTestId('time-zone').inputValue()) === 'UTC', 'the field shows the account zone (UTC)');
    const suggest = page.getByTestId('tz-browser');
    check((await suggest.count()) === (browserTz === 'UTC' ? 0 : 1), `the browser-zone suggestion while the account and the browser (${browserTz}) agree or not`);
    const PATCH = 'PATCH /api/settings';
    // An unknown zone: the Worker says why (422, field tz), by the field.
    await page.getByTestId('time-zone').fill('Mars/Olympus_Mons');
    await page.getByTestId('tz-submit').click();
    const err = page.getByTestId('time-zone-error');
    await err.waitFor();
    check(/IANA/.test(await err.innerText()), `the unknown zone message: ${await err.innerText()}`);
    check((await page.getByTestId('time-zone').getAttribute('aria-invalid')) === 'true', 'aria-invalid on the zone');
    check(count(PATCH) === 1, `one PATCH /api/settings, got ${count(PATCH)}`);
    check((await currentTz.getAttribute('data-tz')) === 'UTC', 'a refused zone is not saved');
    await axe('settings (time zone error)');
    // A real one.
    await page.getByTestId('time-zone').fill(LA);
    await page.getByTestId('tz-submit').click();
    await page.getByTestId('tz-message').filter({ hasText: LA }).waitFor();
    await page.locator(`[data-testid="tz-current"][data-tz="${LA}"]`).waitFor();
    check((await err.count()) === 0, 'the error is gone once saved');
    check(count(PATCH) === 2, `two PATCH /api/settings, got ${count(PATCH)}`);
    // The account's zone now differs from the browser's: one click offers it.
    await suggest.waitFor();
    check((await suggest.innerText()).includes(`(${browserTz})`), `the suggestion names the browser's zone: ${await suggest.innerText()}`);
    const saved = await apiGet('/api/settings', { Authorization: `Bearer ${await jwt()}` });
    check(saved.status === 200 && saved.json().tz === LA, `GET /api/settings: ${saved.status} ${saved.text}`);
    await axe('settings (time zone)');
    await page.getByTestId('tz-section').screenshot({ path: path.join(SHOTS, 'settings-timezone-light.png') });
    await page.reload();
    await page.locator(`[data-testid="tz-current"][data-tz="${LA}"]`).waitFor();
    check((await page.getByTestId('time-zone').inputValue()) === LA, 'the zone is kept after a reload');
    await shot('settings-timezone-desktop-light');
  });

  await step('settings: e-mail and digests; an address is set unconfirmed, a preview before confirming is refused and says why', async () => {
    const section = page.getByTestId('email-section');
    await section.waitFor();
    await page.locator('[data-testid="email-status"][data-status]').waitFor();
    await page.getByTestId('email-address').fill('browser-walk@example.org');
    await page.getByTestId('email-save').click();
    await page.locator('[data-testid="email-status"][data-status="unconfirmed"]').waitFor();
    check(/confirmation message was sent/.test(await page.getByTestId('email-message').innerText()), `the address's answer: ${await page.getByTestId('email-message').innerText()}`);
    check((await page.getByTestId('email-save').innerText()) === 'Resend confirmation', 'an unconfirmed address offers to resend');
    await page.getByTestId('digest-schedule').selectOption('weekly');
    await page.getByTestId('digest-save').click();
    await page.getByTestId('email-message').filter({ hasText: 'Digest settings saved.' }).waitFor();
    await page.getByTestId('digest-preview').click();
    await page.getByTestId('email-message').filter({ hasText: 'Confirm an e-mail address first' }).waitFor();
    check((await page.getByTestId('email-message').getAttribute('role')) === 'alert', 'the refusal is announced');
    await axe('settings (e-mail and digests)');
    await section.screenshot({ path: path.join(SHOTS, 'settings-email-light.png') });
  });

  await step('overview in America/Los_Angeles: local days by key, labelled; per-model figures said to be by UTC day', async () => {
    await page.getByTestId('nav-overview').click();
    await page.waitForURL(/#\/overview/);
    const period = page.locator(`[data-testid="period"][data-tz="${LA}"][data-local="true"]`);
    await period.waitFor();
    check((await page.getByTestId('period-zone').innerText()) === LA, 'the period names the zone');
    const days = Number(await period.getAttribute('data-days'));
    const section = page.getByTestId('chart-section');
    check((await section.getAttribute('data-days-in')) === LA, `the chart's days: ${await section.getAttribute('data-days-in')}`);
    check(/America\/Los_Angeles/.test((await page.locator('[data-testid="chart-table"] caption').innerText()) ?? ''), 'the chart table says the zone');
    check(/local day/.test((await page.locator('[data-testid="cost-chart"] canvas').getAttribute('aria-label')) ?? ''), 'the chart is named by local day');
    const rows = page.getByTestId('local-day');
    const n = await rows.count();
    check(n >= days && n <= days + 1, `${n} local days for ${days} days`);
    check((await page.locator('[data-testid="chart-table"] tbody tr').count()) === n, 'the chart table has the local days');
    const info = await rows.evaluateAll((els) =>
      els.map((e) => ({
        date: e.getAttribute('data-date'),
        hours: Number(e.getAttribute('data-hours')),
        gaps: Number(e.getAttribute('data-gaps')),
        cost: e.getAttribute('data-cost'),
        state: e.getAttribute('data-state'),
        marked: !!e.querySelector('[data-testid="incomplete-badge"], [data-testid="no-reading-badge"]'),
        dst: !!e.querySelector('[data-testid="dst-badge"]'),
      })),
    );
    check(info.every((d) => [23, 24, 25].includes(d.hours)), `local day lengths: ${info.map((d) => d.hours).join(',')}`);
    check(info.every((d) => (d.state === 'complete') === (d.gaps === 0 && d.cost !== '')), 'every day with gaps is not complete');
    check(info.every((d) => d.state === 'complete' || d.marked), 'every incomplete day carries a visible mark');
    check(info.every((d) => d.dst === (d.hours !== 24)), 'DST days (and only they) say their length');
    check(info.some((d) => d.state !== 'complete'), 'one sync: some local days must be incomplete');
    // Days without a reading are gaps in the data table, never zeros.
    const noReading = info.filter((d) => d.state === 'no_reading').length;
    const gapCells = await page.locator('[data-testid="chart-table"] tbody tr td:last-child[data-cost=""]').count();
    check(gapCells === noReading, `${gapCells} day totals shown as gaps, ${noReading} days without a reading`);
    check(Number(await page.getByTestId('cost-chart').getAttribute('data-gaps')) === noReading, 'the chart draws those days as gaps');
    // The total stays the UTC days' (models, keys), and says so.
    check((await page.getByTestId('total-cost').getAttribute('data-cost')) === total30, 'the 30-day total is still by UTC day');
    check((await page.getByTestId('reconciliation').getAttribute('data-ok')) === 'true', 'the UTC figures still reconcile');
    await page.getByTestId('models-utc-note').waitFor();
    console.log(`   ${LA}: ${n} local days, ${info.filter((d) => d.state === 'incomplete').length} incomplete, ${noReading} without a reading, ${info.filter((d) => d.dst).length} DST`);
    await axe('overview (time zone)');
    await shot('overview-timezone-light');
    // By model: UTC days, said plainly.
    await page.getByTestId('group-model').click();
    await page.waitForURL(/group=model/);
    await page.getByTestId('utc-model-note').filter({ hasText: 'Per-model figures are by UTC day' }).waitFor();
    await page.locator('[data-testid="chart-section"][data-days-in="UTC"]').waitFor();
    check((await page.locator('[data-testid="chart-table"] tbody tr').count()) === days, 'the model chart has the UTC days');
    await axe('overview (time zone, by model)');
    await page.getByTestId('group-key').click();
    await page.waitForURL((u) => !u.hash.includes('group='));
    await page.locator(`[data-testid="chart-section"][data-days-in="${LA}"]`).waitFor();
  });

  await step('hourly: a key after the sync: the chart, gaps shown as gaps, local days, state in the URL', async () => {
    await page.getByTestId('nav-hourly').click();
    await page.waitForURL(/#\/hourly/);
    await page.getByRole('heading', { name: 'Hourly spend', level: 1 }).waitFor();
    check((await page.getByTestId('nav-hourly').getAttribute('aria-current')) === 'page', 'aria-current on the Hourly nav link');
    // All keys first (the default), then Production.
    await page.locator(`[data-testid="hourly-zone"][data-tz="${LA}"]`).waitFor();
    const keyId = await page.getByTestId('hourly-key').locator('option', { hasText: 'Production' }).getAttribute('value');
    check(/^\d+$/.test(keyId ?? ''), 'Production is a choice');
    await page.getByTestId('hourly-key').selectOption(/** @type {string} */ (keyId));
    await page.getByTestId('hourly-apply').click();
    await page.waitForURL(new RegExp(`key=${keyId}`));
    check(/start=\d{4}-\d{2}-\d{2}/.test(page.url()) && /end=\d{4}-\d{2}-\d{2}/.test(page.url()), `the range is in the URL: ${page.url()}`);
    await page.locator('[data-testid="hourly-zone"]', { hasText: 'Production' }).waitFor();
    const zone = page.getByTestId('hourly-zone');
    check((await zone.getAttribute('data-tz')) === LA, 'the curve is in the account zone');
    const start = (await zone.getAttribute('data-start')) ?? '';
    const end = (await zone.getAttribute('data-end')) ?? '';
    check(Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`) === 86_400_000, `yesterday and today by default: ${start} to ${end}`);
    const chart = page.getByTestId('hourly-chart');
    await chart.locator('canvas').waitFor();
    check(/per hour/.test((await chart.locator('canvas').getAttribute('aria-label')) ?? ''), 'the chart has a name');
    const hours = Number(await chart.getAttribute('data-hours'));
    const gaps = Number(await chart.getAttribute('data-gaps'));
    const points = Number(await chart.getAttribute('data-points'));
    check(hours >= 47 && hours <= 49, `${hours} hours in two local days`);
    check(gaps + points === hours, `gaps ${gaps} + figures ${points} = ${hours}`);
    check(gaps > 0, 'after one sync most hours have no reading: they must show as gaps');
    // The page matches the API, gap for gap.
    const api = await apiGet(`/api/usage/hourly?api_key_id=${keyId}&start_date=${start}&end_date=${end}`, { Authorization: `Bearer ${await jwt()}` });
    check(api.status === 200, `GET /api/usage/hourly: ${api.status} ${api.text}`);
    const curve = api.json();
    check(curve.tz === LA && curve.hours.length === hours, `the API's curve: ${curve.tz}, ${curve.hours.length} hours`);
    check(curve.hours.filter((/** @type {any} */ h) => h.spend === null).length === gaps, 'the same gaps as the API');
    const note = page.getByTestId('gap-note');
    check((await note.innerText()).includes('No reading: gap') && (await note.innerText()).includes(`${gaps} of ${hours}`), `the gap note: ${await note.innerText()}`);
    const total = page.getByTestId('hourly-total');
    if (points === 0) {
      await page.getByTestId('hourly-empty').waitFor();
      check((await total.getAttribute('data-cost')) === '', 'no figure is not shown as a zero total');
    } else {
      const dayCosts = await page.getByTestId('hourly-day').evaluateAll((els) => els.map((e) => e.getAttribute('data-cost') ?? ''));
      const sum = dayCosts.filter((c) => c !== '').reduce((a, c) => a + units(c), 0n);
      check(units((await total.getAttribute('data-cost')) ?? 'x') === sum, 'the total is the sum of the local days');
    }
    const days = await page.getByTestId('hourly-day').evaluateAll((els) => els.map((e) => ({ hours: Number(e.getAttribute('data-hours')), gaps: Number(e.getAttribute('data-gaps')), state: e.getAttribute('data-state') })));
    check(days.length === 2, `two local days, got ${days.length}`);
    check(days.reduce((a, d) => a + d.hours, 0) === hours && days.reduce((a, d) => a + d.gaps, 0) === gaps, `local days: ${JSON.stringify(days)}`);
    check(days.every((d) => d.gaps === 0 || d.state !== 'complete'), 'a day with gaps is marked');
    // Every hour, in a table on demand.
    await page.locator('details.hour-list summary').click();
    check((await page.getByTestId('hourly-hour').count()) === hours, 'one row per hour');
    check((await page.locator('[data-testid="hourly-hour"][data-cost=""]').count()) === gaps, 'the gap rows');
    console.log(`   hourly ${start}..${end} ${LA}: ${hours} hours, ${points} with a figure, ${gaps} gaps, total ${(await total.getAttribute('data-cost')) || '(none)'}`);
    await axe('hourly');
    await page.reload();
    await page.locator(`[data-testid="hourly-zone"][data-tz="${LA}"]`).filter({ hasText: 'Production' }).waitFor();
    check(new RegExp(`key=${keyId}`).test(page.url()), `after a reload: ${page.url()}`);
    check((await page.getByTestId('hourly-key').inputValue()) === keyId, 'the key stays chosen');
    // A range over 31 days is refused in the page.
    await page.getByLabel('From (local day)', { exact: true }).fill('2020-01-01');
    await page.getByTestId('hourly-apply').click();
    await page.getByTestId('hourly-end-error').filter({ hasText: '31 days' }).waitFor();
    check(new RegExp(`start=${start}`).test(page.url()), 'a refused range stays out of the URL');
    await page.reload();
    await page.locator(`[data-testid="hourly-zone"][data-tz="${LA}"]`).waitFor();
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(200);
      await shot(`hourly-desktop-${scheme}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await shot(`hourly-phone-${scheme}`);
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout of Hourly scrolls sideways by ${overflow}px`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await axe('hourly (after reload)');
  });

  await step('settings: the zone back to UTC; the overview is on UTC days again', async () => {
    await page.getByTestId('nav-settings').click();
    await page.waitForURL(/#\/settings/);
    await page.locator(`[data-testid="tz-current"][data-tz="${LA}"]`).waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(150);
    await page.getByTestId('tz-section').screenshot({ path: path.join(SHOTS, 'settings-timezone-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByTestId('time-zone').fill('UTC');
    await page.getByTestId('tz-submit').click();
    await page.locator('[data-testid="tz-current"][data-tz="UTC"]').waitFor();
    check((await page.getByTestId('tz-browser').count()) === (browserTz === 'UTC' ? 0 : 1), 'the suggestion follows the zones');
    await page.getByTestId('nav-overview').click();
    await page.locator('[data-testid="period"][data-tz="UTC"][data-local="false"]').waitFor();
    check((await page.getByTestId('local-day').count()) === 0, 'no local days in UTC');
  });

  let apiToken = '';
  await step('tokens: an old session is asked for the password in the page; then one is created, shown once, works on /api/v1/stats', async () => {
    await page.getByTestId('nav-tokens').click();
    await page.waitForURL(/#\/tokens/);
    await page.getByLabel('Name', { exact: true }).fill('e2e script');
    // As the Worker answers a session older than 10 minutes (this one is
    // younger): the page asks for the password, then sends it.
    const POST = 'POST /api/tokens';
    // The walk's Access step sent one already.
    const earlier = count(POST);
    await answerTokensAsForAnOldSession();
    await page.getByTestId('create-token-submit').click();
    const field = page.getByLabel('Your password', { exact: true });
    await field.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'token-password');
    await axe('tokens (password asked)');
    await page.unroute('**/api/tokens');
    await field.fill(password);
    const [again] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/api/tokens' && r.method() === 'POST'),
      page.getByTestId('create-token-submit').click(),
    ]);
    check(again.postDataJSON().password === password, 'the password goes with the request');
    check(count(POST) - earlier === 2, `two token requests, got ${count(POST) - earlier}`);
    const input = page.getByTestId('new-token');
    await input.waitFor();
    apiToken = await input.inputValue();
    remember(apiToken);
    check(/^or_api_[A-Za-z0-9_-]{43}$/.test(apiToken), 'the token is shown');
    check((await input.getAttribute('readonly')) !== null, 'read-only field');
    check((await page.getByTestId('curl-example').innerText()).includes(`${BASE}/api/v1/stats?start_date=`), 'curl example with the real origin');
    await page.locator('[data-testid="token-row"][data-active="true"]').waitFor();
    await axe('tokens');
    await shot('tokens-desktop-light');
    const r = await apiGet(`/api/v1/stats?start_date=${period30.start}&end_date=${period30.end}`, { Authorization: `Bearer ${apiToken}` });
    check(r.status === 200, `/api/v1/stats: ${r.status} ${r.text}`);
    const cost = r.json().summary.total_cost;
    check(cost === total30 && units(cost) === units(total30), `/api/v1/stats total ${cost} != the page's ${total30}`);
  });

  await step('tokens: revoke (confirm dialog) stops the token at once', async () => {
    await page.getByTestId('revoke-token').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    check(await dialog.evaluate((d) => /** @type {HTMLDialogElement} */ (d).open), 'the dialog is open');
    await page.getByTestId('confirm-ok').click();
    await page.locator('[data-testid="token-row"][data-active="false"]').waitFor();
    check((await page.getByTestId('new-token').count()) === 0, 'the plaintext token is no longer shown');
    const r = await apiGet(`/api/v1/stats?start_date=${period30.start}&end_date=${period30.end}`, { Authorization: `Bearer ${apiToken}` });
    check(r.status === 401, `a revoked token answered ${r.status}`);
  });

  await step('tokens: a scoped token (metrics only, one key, 30 days) is checked in the page, created and listed; /api/v1 refuses it usage with 403', async () => {
    await page.getByLabel('Name', { exact: true }).fill('e2e metrics');
    for (const s of ['stats-read', 'usage-read', 'keys-read', 'metrics-read']) await page.getByTestId(`token-scope-${s}`).uncheck();
    await page.getByTestId('create-token-submit').click();
    const scopesError = page.getByTestId('token-scopes-error');
    await scopesError.waitFor();
    const describedBy = await page.getByTestId('token-scopes-fields').getAttribute('aria-describedby');
    check(describedBy === 'token-scopes-error', `the scopes' error is not tied to its fieldset: ${describedBy}`);
    await axe('tokens (no scope ticked)');
    await page.getByTestId('token-scope-metrics-read').check();
    await page.getByTestId('token-limit-keys').check();
    const firstKey = page.locator('[data-testid^="token-only-key-"]').first();
    await firstKey.check();
    const keyName = (await page.locator(`label[for="${await firstKey.getAttribute('id')}"]`).innerText()).trim();
    await page.getByTestId('token-expiry').selectOption('30');
    await page.getByTestId('create-token-submit').click();
    const input = page.getByTestId('new-token');
    await input.waitFor();
    const scoped = await input.inputValue();
    remember(scoped);
    const row = page.locator('[data-testid="token-row"][data-active="true"]').filter({ hasText: 'e2e metrics' });
    await row.waitFor();
    check((await row.getByTestId('token-scopes').innerText()).trim() === 'metrics:read', 'the row lists its one scope');
    check((await row.getByTestId('token-keys').innerText()).trim() === keyName, `the row names its key ${keyName}`);
    const status = await row.getByTestId('token-status').innerText();
    check(/expires \d{1,2} [A-Z][a-z]{2} \d{4}/.test(status), `the row says when it expires: ${status}`);
    await axe('tokens (scoped)');
    const metrics = await apiGet('/api/v1/metrics', { Authorization: `Bearer ${scoped}` });
    check(metrics.status === 200, `/api/v1/metrics: ${metrics.status}`);
    const usage = await apiGet(`/api/v1/usage?start_date=${period30.start}&end_date=${period30.end}`, { Authorization: `Bearer ${scoped}` });
    check(usage.status === 403 && usage.json().error.code === 'insufficient_scope', `/api/v1/usage: ${usage.status} ${usage.text}`);
  });

  await step('keys: sync now answers; delete asks first (dialog)', async () => {
    await page.getByTestId('nav-keys').click();
    await page.waitForURL(/#\/keys/);
    const prod = page.locator('[data-testid="key-item"][data-name="Production"]');
    await prod.getByTestId('sync-key').click();
    const result = page.getByTestId('key-action-result').filter({ hasText: 'Production' });
    await result.waitFor();
    console.log(`   sync now: ${await result.innerText()}`);
    const rejected = page.locator('[data-testid="key-item"][data-name="Rejected key"]');
    await rejected.getByTestId('delete-key').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'keys-delete-dialog.png') });
    await page.getByTestId('confirm-cancel').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
    check((await rejected.count()) === 1, 'cancel keeps the key');
    await rejected.getByTestId('delete-key').click();
    await page.getByTestId('confirm-ok').click();
    await rejected.waitFor({ state: 'detached' });
    check((await page.getByTestId('key-item').count()) === 2, 'two keys left');
  });

  // ---- budget policies: act through the management key, see it, undo it ----
  /** @type {{ monthly: string; weekly: string }} */
  const policyBudgets = { monthly: '', weekly: '' };
  await step('keys: policies on the key budgets: checked in the page and by the API, then a dry run (monthly) and disable at 1 % (weekly)', async () => {
    const prod = page.locator('[data-testid="key-item"][data-name="Production"]');
    await prod.getByTestId('manage-budget').click();
    const panel = page.getByTestId('key-budgets');
    await panel.getByRole('heading', { name: 'Budget of “Production”' }).waitFor();
    check((await panel.getByTestId('policy-unavailable').count()) === 0, 'a management key is there: the policy controls are offered');
    const monthly = panel.locator('li.budget-item', { has: page.locator('[data-testid="budget-bar"][data-source="budget"][data-period="monthly"]') });
    await monthly.getByTestId('edit-budget').click();
    const edit = panel.locator('form[aria-label="Edit the budget"]');
    await edit.waitFor();
    check((await edit.getByLabel('Action', { exact: true }).inputValue()) === 'notify', 'the budget notifies only so far');
    check((await edit.getByLabel('Act at (% of the amount)', { exact: true }).count()) === 0, 'no "act at" while it only notifies');
    const options = await edit.getByLabel('Action', { exact: true }).locator('option').evaluateAll((os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value));
    check(options.join(',') === 'notify,disable,limit', `a key budget's actions: ${options.join(',')}`);
    await edit.getByLabel('Action', { exact: true }).selectOption('disable');
    const actAt = edit.getByLabel('Act at (% of the amount)', { exact: true });
    // Refused in the page: nothing sent.
    const PATCH = `PATCH /api/budgets/${await monthly.getByTestId('budget-bar').getAttribute('data-budget-id')}`;
    await actAt.fill('0');
    await edit.getByTestId('budget-submit').click();
    await edit.locator('[id$="-action-at-error"]').filter({ hasText: '1 to 100' }).waitFor();
    check((await actAt.getAttribute('aria-invalid')) === 'true', 'aria-invalid on "act at"');
    check(count(PATCH) === 0, `a policy was sent with a bad "act at" (${count(PATCH)})`);
    // The API's reason for a field is shown by that field (answered here by the browser).
    await page.route('**/api/budgets/*', (route) =>
      route.request().method() === 'PATCH'
        ? route.fulfill({
            status: 422,
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ error: { code: 'validation_failed', message: 'The request is invalid.', details: [{ field: 'action', reason: 'needs a management key' }] } }),
          })
        : route.fallback(),
    );
    await actAt.fill('1');
    await edit.getByTestId('budget-submit').click();
    await edit.locator('[id$="-action-error"]').filter({ hasText: 'The action needs a management key.' }).waitFor();
    check((await edit.getByLabel('Action', { exact: true }).getAttribute('aria-invalid')) === 'true', 'aria-invalid on the action');
    await page.unroute('**/api/budgets/*');
    await axe('keys (policy form, field error)');
    // A dry run at 1 %.
    await edit.getByLabel('Dry run (record only)', { exact: true }).check();
    const [patch] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname.startsWith('/api/budgets/') && r.method() === 'PATCH'),
      edit.getByTestId('budget-submit').click(),
    ]);
    const sentPatch = patch.postDataJSON();
    check(sentPatch.action === 'disable' && sentPatch.action_at === 1 && sentPatch.dry_run === true, `the PATCH: ${JSON.stringify(sentPatch)}`);
    await edit.waitFor({ state: 'detached' });
    const monthlyPolicy = monthly.getByTestId('budget-policy');
    await monthlyPolicy.filter({ hasText: 'Disables the key on OpenRouter at 1 % · dry run' }).waitFor();
    policyBudgets.monthly = (await monthly.getByTestId('budget-bar').getAttribute('data-budget-id')) ?? '';
    // A weekly budget that disables the key for real at 1 %.
    const create = panel.locator('form[aria-label="New budget"]');
    await create.getByLabel('Amount (USD)', { exact: true }).fill('5');
    await create.getByLabel('Period (UTC)', { exact: true }).selectOption('weekly');
    await create.getByLabel('Action', { exact: true }).selectOption('disable');
    check((await create.getByLabel('Act at (% of the amount)', { exact: true }).inputValue()) === '100', 'a new policy acts at 100 % unless told');
    await create.getByLabel('Act at (% of the amount)', { exact: true }).fill('1');
    check(!(await create.getByLabel('Dry run (record only)', { exact: true }).isChecked()), 'not a dry run unless asked');
    const [post] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/api/budgets' && r.method() === 'POST'),
      create.getByTestId('budget-submit').click(),
    ]);
    const sentPost = post.postDataJSON();
    check(sentPost.action === 'disable' && sentPost.action_at === 1 && sentPost.dry_run === false && sentPost.period === 'weekly', `the POST: ${JSON.stringify(sentPost)}`);
    const weekly = panel.locator('li.budget-item', { has: page.locator('[data-testid="budget-bar"][data-source="budget"][data-period="weekly"]') });
    await weekly.getByTestId('budget-policy').filter({ hasText: /^Disables the key on OpenRouter at 1 %$/ }).waitFor();
    policyBudgets.weekly = (await weekly.getByTestId('budget-bar').getAttribute('data-budget-id')) ?? '';
    await page.getByTestId('budget-result').filter({ hasText: 'Disables the key on OpenRouter at 1 %' }).waitFor();
    await axe('keys (policies)');
    await shot('keys-policy-form-light');
  });

  /** @type {any} */
  let applied = null;
  await step('hourly sync after spend on the key: the dry run is recorded, the weekly policy disables the key through the management key', async () => {
    // Spend today on the simulator, so both budgets are past 1 % whatever
    // the generated history holds for this week and month.
    const hash = crypto.createHash('sha256').update(KEY_INFERENCE).digest('hex');
    const spend = await fetch(`${SIM}/_sim/keys/${hash}/usage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ date: new Date().toISOString().slice(0, 10), model: 'openai/gpt-4o', requests: 1, prompt_tokens: 10, completion_tokens: 5, usage: '0.5' }),
    });
    check(spend.ok, `the simulator's usage control answered ${spend.status} ${await spend.text()}`);
    const cron = await fetch(`${BASE}/__scheduled?cron=0+*+*+*+*`, { headers: { 'CF-Connecting-IP': CLIENT_IP } });
    check(cron.ok, `/__scheduled answered ${cron.status}`);
    const token = await jwt();
    const fired = Date.now();
    /** @type {any[]} */
    let mine = [];
    for (;;) {
      const r = await apiGet('/api/actions?limit=100', { Authorization: `Bearer ${token}` });
      check(r.status === 200, `/api/actions: ${r.status} ${r.text}`);
      mine = r.json().items.filter((/** @type {any} */ a) => [policyBudgets.monthly, policyBudgets.weekly].includes(String(a.budget_id)));
      if (mine.length === 2 && mine.every((a) => a.state !== 'pending')) break;
      check(Date.now() - fired < 180_000, `the policies did not act within 180 s of the cron: ${JSON.stringify(mine)}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    console.log(`   policies settled ${Date.now() - fired} ms after the cron: ${mine.map((a) => `${a.budget} ${a.state}${a.detail ? ` (${a.detail})` : ''}`).join('; ')}`);
    const dry = mine.find((a) => String(a.budget_id) === policyBudgets.monthly);
    applied = mine.find((a) => String(a.budget_id) === policyBudgets.weekly);
    // Both need the simulator's management API (GET, then PATCH /api/v1/keys/{hash}).
    check(dry.state === 'dry_run', `the dry run is ${dry.state}: ${dry.detail}`);
    check(dry.after?.disabled === true && dry.before?.disabled === false, `the dry run's before/after: ${JSON.stringify(dry)}`);
    check(applied.state === 'applied', `the weekly policy is ${applied.state}: ${applied.detail}`);
    check(applied.trigger === '1 %' && applied.action === 'disable' && applied.after?.disabled === true, `the applied action: ${JSON.stringify(applied)}`);
    const truth = await fetch(`${SIM}/_sim/keys/${hash}/truth`);
    const t = await truth.json();
    check(t.disabled === true, `OpenRouter (the simulator) has the key ${t.disabled ? 'disabled' : 'enabled'}`);
  });

  await step('keys: the row says the key is disabled by policy, until when, and the dry run; undo at phone width (dialog) puts it back', async () => {
    await page.reload();
    const note = page.locator(`[data-testid="key-policy-note"][data-action-id="${applied.id}"]`);
    await note.waitFor();
    const text = await note.getByTestId('key-policy-text').innerText();
    check(/^Disabled by policy \(5 USD weekly budget, 1 %\) until \d{1,2} [A-Z][a-z]{2}( \d{4})? 00:00 UTC$/.test(text), `the key row: ${text}`);
    const dryNote = page.locator('[data-testid="key-policy-note"][data-state="dry_run"]');
    const dryText = await dryNote.getByTestId('key-policy-text').innerText();
    check(/^The policy \(5 USD monthly budget, 1 %\) would have disabled this key; nothing was changed on OpenRouter \(dry run\)$/.test(dryText), `the dry run's note: ${dryText}`);
    check((await dryNote.getByTestId('undo-action').count()) === 0, 'a dry run has nothing to undo');
    await axe('keys (action in force)');
    await shot('keys-policy-desktop-light');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(250);
    await shot('keys-policy-phone-light');
    const overflow = await settledOverflow();
    check(overflow <= 0, `the phone layout of Keys scrolls sideways by ${overflow}px`);
    await axe('keys (action in force, phone)');
    const UNDO = `POST /api/actions/${applied.id}/undo`;
    await note.getByTestId('undo-action').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    check((await dialog.innerText()).includes('as it was before: enabled'), `the dialog: ${await dialog.innerText()}`);
    await axe('keys (undo dialog, phone)');
    await page.screenshot({ path: path.join(SHOTS, 'keys-undo-dialog-phone.png') });
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    check(count(UNDO) === 0, 'cancel sends nothing');
    await note.getByTestId('undo-action').click();
    await page.getByTestId('confirm-ok').click();
    const result = page.getByTestId('key-action-result').filter({ hasText: '“Production” was put back on OpenRouter' });
    await result.waitFor();
    check((await result.getAttribute('role')) === 'status', 'the result is announced');
    await note.waitFor({ state: 'detached' });
    check(count(UNDO) === 1, `one undo, got ${count(UNDO)}`);
    const hash = crypto.createHash('sha256').update(KEY_INFERENCE).digest('hex');
    const t = await (await fetch(`${SIM}/_sim/keys/${hash}/truth`)).json();
    check(t.disabled === false, 'the key is enabled again on OpenRouter (the simulator)');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('keys: one click to a safer account: an OpenRouter limit for the key that has none, suggested from its budget, edited, confirmed', async () => {
    const prod = page.locator('[data-testid="key-item"][data-name="Production"]');
    const admin = page.locator('[data-testid="key-item"][data-name="Admin"]');
    check((await admin.getByTestId('offer-limit').count()) === 0, 'no limit is offered for a management key');
    await prod.getByTestId('offer-limit').click();
    await page.waitForURL(/limit=\d+/);
    const panel = page.getByTestId('key-limit');
    await panel.getByRole('heading', { name: 'OpenRouter limit of “Production”' }).waitFor();
    const amount = panel.getByLabel('Limit (USD)', { exact: true });
    // The key's monthly budget (5 USD) is the suggestion.
    await page.waitForFunction(() => /** @type {HTMLInputElement | null} */ (document.getElementById('key-limit-amount'))?.value === '5');
    check((await panel.getByLabel('Resets', { exact: true }).inputValue()) === 'monthly', 'the suggested window is the budget period');
    check((await panel.locator('#key-limit-amount-hint').innerText()) === "Suggested: the key's monthly budget.", `the suggestion's reason: ${await panel.locator('#key-limit-amount-hint').innerText()}`);
    const POST = `POST /api/keys/${await prod.getAttribute('data-key-id')}/limit`;
    await amount.fill('0');
    await panel.getByTestId('limit-submit').click();
    await panel.getByTestId('key-limit-amount-error').filter({ hasText: 'more than 0' }).waitFor();
    check(!(await page.getByTestId('confirm-dialog').evaluate((d) => /** @type {HTMLDialogElement} */ (d).open)), 'no dialog for a refused amount');
    await amount.fill('25');
    await axe('keys (limit panel)');
    await shot('keys-limit-desktop-light');
    await panel.getByTestId('limit-submit').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    check((await dialog.getByRole('heading').innerText()) === 'Set a limit of 25 USD monthly on “Production”?', `the dialog: ${await dialog.getByRole('heading').innerText()}`);
    await axe('keys (limit dialog)');
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    check(count(POST) === 0, 'cancel sends nothing');
    await panel.getByTestId('limit-submit').click();
    const [req] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/limit') && r.method() === 'POST'), page.getByTestId('confirm-ok').click()]);
    check(JSON.stringify(req.postDataJSON()) === JSON.stringify({ limit: '25', limit_reset: 'monthly' }), `the request: ${req.postData()}`);
    await page.getByTestId('key-action-result').filter({ hasText: '“Production” now has an OpenRouter limit of 25 USD monthly' }).waitFor();
    await panel.waitFor({ state: 'detached' });
    await prod.getByTestId('offer-limit').waitFor({ state: 'detached' });
    check(count(POST) === 1, `one ${POST}, got ${count(POST)}`);
    const hash = crypto.createHash('sha256').update(KEY_INFERENCE).digest('hex');
    const t = await (await fetch(`${SIM}/_sim/keys/${hash}/truth`)).json();
    check(t.limit !== null && units(String(t.limit)) === units('25'), `OpenRouter (the simulator) has the limit ${t.limit}`);
    console.log(`   limit set; the row says: ${(await prod.locator('td.num').first().innerText()).replace(/\s+/g, ' ')}`);
  });

  await step('alerts: the actions on keys (undone, dry run) with before → after, their events; no management key: said instead of the controls', async () => {
    await page.getByTestId('nav-alerts').click();
    await page.waitForURL(/#\/alerts/);
    const list = page.getByTestId('actions-list');
    const undone = list.locator(`[data-testid="action-row"][data-action-id="${applied.id}"]`);
    await undone.filter({ has: page.locator('[data-testid="action-state"]', { hasText: 'Undone' }) }).waitFor();
    check((await list.getByTestId('action-row').count()) === 3, `three actions: ${await list.getByTestId('action-row').count()}`);
    check((await undone.getAttribute('data-state')) === 'undone', `the action is ${await undone.getAttribute('data-state')}`);
    check((await undone.getByTestId('action-change').innerText()) === 'Enabled → disabled.', `before → after: ${await undone.getByTestId('action-change').innerText()}`);
    check((await undone.innerText()).includes('5 USD weekly budget at 1 %'), `the budget and trigger: ${await undone.innerText()}`);
    check((await undone.getByTestId('undo-action').count()) === 0, 'nothing to undo on an undone action');
    const set = list.locator('[data-testid="action-row"][data-state="set"]');
    check((await set.getByTestId('action-state').innerText()) === 'Limit set', `the limit's badge: ${await set.getByTestId('action-state').innerText()}`);
    check((await set.getByTestId('action-change').innerText()) === 'No limit → limit 25 USD monthly.', `the limit's change: ${await set.getByTestId('action-change').innerText()}`);
    check((await set.getByTestId('undo-action').count()) === 0, 'a limit set by hand has no undo');
    const dry = list.locator('[data-testid="action-row"][data-state="dry_run"]');
    check((await dry.getByTestId('action-state').innerText()) === 'Dry run: nothing changed', `the dry run's badge: ${await dry.getByTestId('action-state').innerText()}`);
    await page.locator('[data-testid="event-row"][data-type="key.disabled"]').first().waitFor();
    await page.locator('[data-testid="event-row"][data-type="key.enabled"]').first().waitFor();
    check((await page.locator('[data-testid="event-row"][data-type="key.disabled"] .badge').first().innerText()) === 'Key disabled by policy', 'the key.disabled label');
    await axe('alerts (actions on keys)');
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(150);
      await page.getByTestId('key-actions').screenshot({ path: path.join(SHOTS, `alerts-actions-desktop-${scheme}.png`) });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await page.getByTestId('key-actions').screenshot({ path: path.join(SHOTS, `alerts-actions-phone-${scheme}.png`) });
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout of Alerts (actions) scrolls sideways by ${overflow}px`);
      await axe(`alerts (actions on keys, phone, ${scheme})`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
    // Without a usable management key (the keys answered without it, here by
    // the browser): an explanation and a link instead of the controls.
    const keysList = (/** @type {URL} */ u) => u.pathname === '/api/keys';
    await page.route(keysList, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.items = body.items.filter((/** @type {any} */ k) => k.kind !== 'management');
      await route.fulfill({ response: res, json: body });
    });
    await page.reload();
    const acc = page.getByTestId('account-budgets');
    const why = acc.getByTestId('policy-unavailable');
    await why.waitFor();
    check((await why.innerText()).includes('Policies act through your OpenRouter management key'), `the explanation: ${await why.innerText()}`);
    check((await acc.getByLabel('Action', { exact: true }).count()) === 0, 'no action control without a management key');
    await axe('alerts (no management key)');
    await page.unroute(keysList);
    await why.getByRole('link', { name: 'Add a management key' }).click();
    await page.waitForURL(/#\/keys\?add=management/);
    await page.getByTestId('management-warning').waitFor();
    check((await page.getByLabel('Kind', { exact: true }).inputValue()) === 'management', 'the add form is set to a management key');
    // The keys as they are (the page cached the list answered without the management key).
    await page.locator('[data-testid="key-item"][data-name="Admin"]').waitFor();
  });

  await step('keys: a key of the account not tracked yet is listed, then imported without its secret (axe at both widths)', async () => {
    const section = page.getByTestId('untracked-keys');
    await section.waitFor();
    const item = section.locator(`[data-testid="untracked-item"][data-name="${UNTRACKED_NAME}"]`);
    await item.waitFor();
    check((await section.getByTestId('untracked-item').count()) === 1, 'only the untracked key is listed (Production is tracked)');
    check(/\.\.\./.test(await item.innerText()), "the row shows OpenRouter's masked label");
    await axe('keys (untracked)');
    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await axe(`keys (untracked, phone, ${scheme})`);
      await section.screenshot({ path: path.join(SHOTS, `keys-untracked-phone-${scheme}.png`) });
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout of Keys scrolls sideways by ${overflow}px`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(150);
      await section.screenshot({ path: path.join(SHOTS, `keys-untracked-desktop-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    const before = count('POST /api/keys/import');
    await item.getByTestId('import-key').click();
    await section.getByTestId('untracked-result').waitFor();
    check(count('POST /api/keys/import') === before + 1, 'one POST /api/keys/import');
    const row = page.locator(`[data-testid="key-item"][data-name="${UNTRACKED_NAME}"]`);
    await row.waitFor();
    check(/no secret stored/.test(await row.getByTestId('watched-note').innerText()), 'the imported key says it is watched, without a secret');
    check(/\.\.\./.test(await row.locator('.preview').innerText()), "its preview is OpenRouter's label");
    check((await page.getByTestId('key-item').count()) === 3, 'three keys listed');
    await section.getByText('Every key of your OpenRouter account is tracked.').waitFor();
    await axe('keys (imported)');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(250);
    await axe('keys (imported, phone)');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('settings: account shown; wrong current password, mismatch and 429 are messages in the page', async () => {
    await page.getByTestId('nav-settings').click();
    await page.waitForURL(/#\/settings/);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    check((await page.getByTestId('nav-settings').getAttribute('aria-current')) === 'page', 'aria-current on the Settings link');
    check((await page.getByTestId('account-email').innerText()) === email, 'the account email is shown');
    check(/^\d{4}-\d{2}-\d{2}T/.test((await page.getByTestId('account-created').getAttribute('data-created')) ?? ''), 'the creation date is shown');
    check(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/.test(await page.getByTestId('account-created').innerText()), 'the creation date is readable');
    await axe('settings');
    await shot('settings-desktop-light');
    const POST = 'POST /api/auth/password';
    check(count(POST) === 0, 'nothing sent on arrival');

    // A wrong current password: 422 on the field, shown by it.
    await page.getByLabel('Current password', { exact: true }).fill('not the password at all');
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password, again', { exact: true }).fill(newPassword);
    await page.getByTestId('password-submit').click();
    const currentErr = page.getByTestId('current-password-error');
    await currentErr.waitFor();
    check(/current password is wrong/i.test(await currentErr.innerText()), `current password message: ${await currentErr.innerText()}`);
    check((await page.getByLabel('Current password', { exact: true }).getAttribute('aria-invalid')) === 'true', 'aria-invalid on the current password');
    check(count(POST) === 1, `one change request, got ${count(POST)}`);
    check(((await jwt()) ?? '').split('.').length === 3, 'a wrong password keeps the session');
    await axe('settings (field error)');

    // A confirmation that differs: refused in the page, nothing sent.
    await page.getByLabel('Current password', { exact: true }).fill(password);
    await page.getByLabel('New password, again', { exact: true }).fill(`${newPassword}x`);
    await page.getByTestId('password-submit').click();
    const confirmErr = page.getByTestId('new-password-confirm-error');
    await confirmErr.waitFor();
    check(/do not match/.test(await confirmErr.innerText()), `confirmation message: ${await confirmErr.innerText()}`);
    check((await currentErr.count()) === 0, 'the current password message is gone');
    check(count(POST) === 1, `a mismatched confirmation was sent (${count(POST)} requests)`);

    // Too many wrong passwords (429, answered here by the browser, not the
    // Worker, so the account's real login budget is left alone): the wait.
    await page.route('**/api/auth/password', (route) =>
      route.fulfill({
        status: 429,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '840' },
        body: JSON.stringify({ error: { code: 'rate_limited', message: 'Too many requests; retry in 840 seconds.' } }),
      }),
    );
    await page.getByLabel('New password, again', { exact: true }).fill(newPassword);
    await page.getByTestId('password-submit').click();
    const limited = page.getByTestId('password-message');
    await limited.filter({ hasText: 'Wait 14 minutes' }).waitFor();
    check((await limited.getAttribute('role')) === 'alert', 'the 429 message is announced');
    await page.unroute('**/api/auth/password');
    check(count(POST) === 2, `two change requests, got ${count(POST)}`);
  });

  let newJwt = '';
  await step('settings: change the password; the old JWT ends, the page keeps working with the new one', async () => {
    const oldJwt = (await jwt()) ?? '';
    check(oldJwt.split('.').length === 3, 'a session before the change');
    await page.getByLabel('Current password', { exact: true }).fill(password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password, again', { exact: true }).fill(newPassword);
    await page.getByTestId('password-submit').click();
    await page.getByTestId('password-message').filter({ hasText: 'Password changed. Every other session has been signed out.' }).waitFor();
    check(count('POST /api/auth/password') === 3, 'three change requests in all');
    newJwt = (await jwt()) ?? '';
    check(newJwt.split('.').length === 3 && newJwt !== oldJwt, 'the page stored a new JWT');
    for (const label of ['Current password', 'New password', 'New password, again']) {
      check((await page.getByLabel(label, { exact: true }).inputValue()) === '', `${label} is cleared`);
    }
    const old = await apiGet('/api/auth/me', { Authorization: `Bearer ${oldJwt}` });
    check(old.status === 401, `the JWT from before the change answered ${old.status}`);
    const fresh = await apiGet('/api/auth/me', { Authorization: `Bearer ${newJwt}` });
    check(fresh.status === 200 && fresh.json().email === email, `the new JWT: ${fresh.status} ${fresh.text}`);
    const oldLogin = await apiSend('POST', '/api/auth/login', { email, password });
    check(oldLogin.status === 401, `the old password still logs in: ${oldLogin.status}`);
    await axe('settings (changed)');

    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      if (scheme === 'dark') {
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.waitForTimeout(150);
        await shot('settings-desktop-dark');
      }
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await shot(`settings-phone-${scheme}`);
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout of Settings scrolls sideways by ${overflow}px`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The page goes on with the new session (no detour to login).
    await page.getByTestId('nav-keys').click();
    await page.waitForURL(/#\/keys/);
    await page.locator('[data-testid="key-item"][data-name="Production"]').waitFor();
    check((await page.getByTestId('key-item').count()) === 3, 'the keys load with the new session (the imported one too)');
    await page.reload();
    await page.locator('[data-testid="key-item"][data-name="Production"]').waitFor();
    check(/#\/keys/.test(page.url()) && (await jwt()) === newJwt, `after a reload: ${page.url()}`);
  });

  await step('audit: every change so far, newest first, no secret; filters, CSV, empty state', async () => {
    await page.getByTestId('nav-audit').click();
    await page.waitForURL(/#\/audit/);
    await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    const kinds = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    check(kinds[0] === 'password.changed', `newest first: ${kinds.slice(0, 3).join(', ')}`);
    for (const k of ['key.created', 'key.updated', 'key.deleted', 'budget.created', 'webhook.created', 'token.created', 'settings.updated', 'account.created']) {
      check(kinds.includes(k), `the audit log shows no ${k}: ${kinds.join(', ')}`);
    }
    check(kinds[kinds.length - 1] === 'account.created', `the oldest change is the sign-up: ${kinds.join(', ')}`);
    const text = await page.locator('main').innerText();
    check(/Password changed/.test(text) && /Key added/.test(text) && /→/.test(text), 'kinds and changes in words');
    const content = await page.content();
    for (const s of secrets) check(!content.includes(s), `a secret (${s.slice(0, 6)}…) is on the Audit screen`);
    await axe('audit');

    // A family of kinds, then one key's changes: in the URL, and only those rows.
    await page.getByTestId('audit-kind').selectOption('key');
    await page.waitForURL(/kind=key(&|$)/);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].every((r) => (r.getAttribute('data-kind') ?? '').startsWith('key.')));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-audit-csv').click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r\n/);
    check(lines[0] === 'id,at,actor,actor_user_id,kind,api_key_id,subject,before,after,reference', `CSV header: ${lines[0]}`);
    check(lines.length > 2 && lines.slice(1).every((l) => /,key\.[a-z_]+,/.test(l)), `CSV of the key changes: ${csv.slice(0, 300)}`);
    for (const s of secrets) check(!csv.includes(s), `a secret (${s.slice(0, 6)}…) is in the audit CSV`);

    // Nothing matches: the empty state says so.
    await page.getByTestId('audit-kind').selectOption('account.created');
    const keyChoice = await page.getByTestId('audit-key').locator('option').nth(1).getAttribute('value');
    await page.getByTestId('audit-key').selectOption(keyChoice ?? '');
    await page.getByTestId('audit-empty').filter({ hasText: 'No change matches these filters.' }).waitFor();
    await axe('audit (empty)');
    await page.getByTestId('audit-key').selectOption('');
    await page.getByTestId('audit-kind').selectOption('');
    await rows.nth(1).waitFor();

    for (const scheme of /** @type {const} */ (['light', 'dark'])) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.waitForTimeout(150);
      await shot(`audit-desktop-${scheme}`);
      await axe(`audit (desktop, ${scheme})`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(250);
      await shot(`audit-phone-${scheme}`);
      await axe(`audit (phone, ${scheme})`);
      const overflow = await settledOverflow();
      check(overflow <= 0, `the phone layout of Audit scrolls sideways by ${overflow}px`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('organisations: a team made through the API; the switcher moves to it (kept in the URL) and back (axe at both widths)', async () => {
    const made = await apiSend('POST', '/api/organisations', { name: 'E2E team' }, { Authorization: `Bearer ${await jwt()}` });
    check(made.status === 201, `POST /api/organisations: ${made.status} ${made.text}`);
    const team = made.json().id;
    // The header asked for the person's organisations when the page loaded.
    await go('#/keys');
    await page.reload();
    await keyStatus(UNTRACKED_NAME);
    const switcher = page.getByTestId('org-switcher');
    await switcher.waitFor();
    const options = await switcher.locator('option').allInnerTexts();
    check(options.length === 2 && /^Personal \(owner, 1 person\)$/.test(options[0]) && /^E2E team \(owner, 1 person\)$/.test(options[1]), `the switcher offers both: ${options.join(' | ')}`);
    await axe('keys (organisation switcher)');
    const asked = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/keys' && r.headers()['x-organisation'] === String(team));
    await switcher.selectOption(String(team));
    await page.waitForURL(new RegExp(`\\?org=${team}#/keys`));
    await asked;
    await page.getByText('No keys yet.').waitFor();
    check((await page.getByTestId('key-item').count()) === 0, "the team's Keys are its own (none)");
    check((await switcher.inputValue()) === String(team), 'the switcher shows the team');
    await page.reload();
    await page.getByText('No keys yet.').waitFor();
    check((await page.getByTestId('org-switcher').inputValue()) === String(team), 'a reload stays in the team');
    await page.screenshot({ path: path.join(SHOTS, 'keys-team-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(250);
    await axe('keys (team, phone)');
    await page.screenshot({ path: path.join(SHOTS, 'keys-team-phone.png') });
    const overflow = await settledOverflow();
    check(overflow <= 0, `the phone layout with the switcher scrolls sideways by ${overflow}px`);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId('org-switcher').selectOption({ index: 0 });
    await page.waitForURL((u) => u.search === '' && u.hash === '#/keys');
    await keyStatus(UNTRACKED_NAME);
    check((await page.getByTestId('key-item').count()) === 3, 'back in the personal organisation: its three keys');
  });

  await step('team: the owner invites a viewer on the Team screen (the link shown once); the viewer joins through it and sees read-only screens (axe at both widths)', async () => {
    const ownerJwt = (await jwt()) ?? '';
    const orgs = await apiGet('/api/organisations', { Authorization: `Bearer ${ownerJwt}` });
    const team = orgs.json().items.find((/** @type {{name: string}} */ o) => o.name === 'E2E team').id;
    const viewerEmail = `viewer-${Date.now()}@example.com`;
    // From an address of its own: the sign-ins per address and minute are the walk's already.
    const viewerIp = { 'CF-Connecting-IP': `198.51.100.${(Date.now() % 200) + 1}` };
    const registered = await apiSend('POST', '/api/auth/register', { email: viewerEmail, password }, viewerIp);
    check(registered.status === 201, `register the viewer: ${registered.status} ${registered.text}`);
    const loggedIn = await apiSend('POST', '/api/auth/login', { email: viewerEmail, password }, viewerIp);
    check(loggedIn.status === 200, `log the viewer in: ${loggedIn.status}`);
    const viewerJwt = loggedIn.json().access_token;
    remember(viewerJwt);

    await go(`?org=${team}#/team`);
    await page.getByTestId('member-row').first().waitFor();
    check((await page.getByTestId('member-row').count()) === 1, 'the team has its owner only');
    check((await page.getByTestId('my-role').innerText()) === 'owner', 'the owner is told their role');
    await page.getByLabel('E-mail address').fill(viewerEmail);
    await page.getByTestId('invite-role').selectOption('viewer');
    await page.getByTestId('invite-submit').click();
    const linkBox = page.getByTestId('invitation-link');
    await linkBox.waitFor();
    const link = await linkBox.inputValue();
    rememberMailed(link.split('token=')[1] ?? '', viewerEmail);
    check(link.startsWith(`${BASE}/#/join?token=or_inv_`), `the invitation's link: ${link}`);
    const mailNote = page.getByTestId('invitation-mail');
    check((await mailNote.getAttribute('data-mail')) === 'sent' && (await mailNote.innerText()).includes(`We e-mailed the link to ${viewerEmail}`), `the page says the link was mailed: ${await mailNote.innerText()}`);
    await page.getByTestId('pending-invitation').filter({ hasText: viewerEmail }).waitFor();
    await axe('team (owner, an invitation just made)');
    await shot('team-desktop');

    // The viewer, in this page: their session instead of the owner's.
    await page.evaluate(([k, t]) => sessionStorage.setItem(/** @type {string} */ (k), /** @type {string} */ (t)), [SESSION_KEY, viewerJwt]);
    await page.goto(link);
    await page.getByTestId('accept-invitation').click();
    const joined = page.getByTestId('join-message');
    await joined.waitFor();
    check(/You joined E2E team as viewer/.test(await joined.innerText()), `joined: ${await joined.innerText()}`);
    await axe('join (accepted)');
    await page.getByTestId('open-joined').click();
    await page.waitForURL(new RegExp(`\\?org=${team}#/overview`));
    await page.getByTestId('read-only').waitFor();
    await go(`?org=${team}#/keys`);
    await page.getByText('No keys yet.').waitFor();
    await page.getByTestId('read-only').waitFor();
    check((await page.getByTestId('add-key-form').count()) === 0, 'a viewer is offered no key to add');
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
      await page.waitForTimeout(250);
      await axe(`keys (viewer, ${width}px)`);
      await shot(`keys-viewer-${width > 500 ? 'desktop' : 'phone'}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await go(`?org=${team}#/tokens`);
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    check((await page.getByTestId('create-token-form').count()) === 0, 'a viewer is offered no token to create');
    await go(`?org=${team}#/team`);
    await page.getByTestId('member-row').nth(1).waitFor();
    check((await page.getByTestId('invite-form').count()) === 0 && (await page.getByTestId('member-role').count()) === 0, 'a viewer manages nobody');
    await axe('team (viewer)');

    // The owner again: the viewer is a member, the invitation no longer pending.
    await page.evaluate(([k, t]) => sessionStorage.setItem(/** @type {string} */ (k), /** @type {string} */ (t)), [SESSION_KEY, ownerJwt]);
    await page.reload();
    await page.getByTestId('member-row').nth(1).waitFor();
    check((await page.getByTestId('member-row').filter({ hasText: viewerEmail }).getAttribute('data-role')) === 'viewer', 'the viewer is listed with their role');
    await page.getByText('No invitation is waiting.').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(250);
    await axe('team (owner, phone)');
    await shot('team-phone');
    const overflow = await settledOverflow();
    check(overflow <= 0, `the phone layout of Team scrolls sideways by ${overflow}px`);
    await page.setViewportSize({ width: 1280, height: 900 });
    // The owner removes the viewer (the account is deleted later: an owner
    // with others in a team could not be).
    await page.getByTestId('member-row').filter({ hasText: viewerEmail }).getByTestId('remove-member').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByTestId('team-message').filter({ hasText: 'is no longer in E2E team' }).waitFor();
    check((await page.getByTestId('member-row').count()) === 1, 'the viewer is gone from the list');
    await go('#/keys');
    await keyStatus(UNTRACKED_NAME);
  });

  await step('team: the owner deletes the team (its name typed, the password, a dialog); back in Personal, the team gone (axe)', async () => {
    const ownerJwt = (await jwt()) ?? '';
    const auth = { Authorization: `Bearer ${ownerJwt}` };
    const team = (await apiGet('/api/organisations', auth)).json().items.find((/** @type {{name: string}} */ o) => o.name === 'E2E team').id;
    await go(`?org=${team}#/team`);
    const zone = page.getByTestId('delete-organisation');
    await zone.waitFor();
    await axe('team (owner, the danger zone)');
    // A wrong name is the page's own message: nothing is sent.
    const deletes = () => count('DELETE /api/organisations');
    await zone.getByLabel('The organisation’s name').fill('E2E tea');
    await zone.getByLabel('Your password').fill(newPassword);
    await page.getByTestId('delete-organisation-submit').click();
    await zone.getByText('Type the organisation’s name, E2E team, exactly.').waitFor();
    check((await page.getByRole('dialog').count()) === 0, 'no dialog for a wrong name');
    // A wrong password is the Worker's 422, shown by the field.
    await zone.getByLabel('The organisation’s name').fill('E2E team');
    await zone.getByLabel('Your password').fill(`${newPassword}x`);
    await page.getByTestId('delete-organisation-submit').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete organisation' }).click();
    const wrong = page.getByTestId('delete-org-password-error');
    await wrong.waitFor();
    check((await wrong.innerText()) === 'The password is wrong.', `the wrong password, by its field: ${await wrong.innerText()}`);
    check(deletes() === 1, `one request for the wrong password, none for the wrong name: ${deletes()}`);
    check((await apiGet('/api/organisations', auth)).json().items.length === 2, 'a wrong password deletes nothing');
    await zone.getByLabel('Your password').fill(newPassword);
    await page.getByTestId('delete-organisation-submit').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete organisation' }).click();
    await page.waitForURL((u) => u.search === '' && u.hash === '#/overview');
    const left = (await apiGet('/api/organisations', auth)).json().items;
    check(left.length === 1 && left[0].id !== team, `only the personal organisation is left: ${JSON.stringify(left)}`);
    await go('#/keys');
    await keyStatus(UNTRACKED_NAME);
    check((await page.getByTestId('org-switcher').count()) === 0, 'no switcher with one organisation');
    await go('#/team');
    await page.getByTestId('member-row').first().waitFor();
    check((await page.getByTestId('delete-organisation').count()) === 0, 'a personal organisation offers no deletion: it goes with the account');
  });

  await step('log out; a protected route then lands on login', async () => {
    const token = await jwt();
    await page.getByTestId('logout').click();
    await page.waitForURL(/#\/login/);
    await go('#/overview');
    await page.waitForURL(/#\/login/);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    check((await jwt()) === null, 'no session after logout');
    // A revoked session in storage: the first 401 sends the page to login.
    await page.evaluate(([k, t]) => sessionStorage.setItem(/** @type {string} */ (k), /** @type {string} */ (t)), [SESSION_KEY, token]);
    await page.reload();
    await page.getByText('Your session ended, please log in again.').waitFor();
    check(/#\/login/.test(page.url()), `after a 401: ${page.url()}`);
    check((await jwt()) === null, 'a 401 clears the session');
  });

  await step('settings: log in with the new password, delete the account (dialog); its JWT and API token stop at once', async () => {
    check(/#\/login/.test(page.url()), `after logging out: ${page.url()}`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/#\/overview/);
    const session = (await jwt()) ?? '';
    check(session.split('.').length === 3, 'logged in with the new password');
    // An API token that must die with the account.
    const created = await apiSend('POST', '/api/tokens', { name: 'doomed' }, { Authorization: `Bearer ${session}` });
    check(created.status === 201, `POST /api/tokens: ${created.status} ${created.text}`);
    const doomed = created.json().token;
    remember(doomed);
    check((await apiGet('/api/v1/keys', { Authorization: `Bearer ${doomed}` })).status === 200, 'the new API token works');

    await page.getByTestId('nav-settings').click();
    await page.waitForURL(/#\/settings/);
    await page.getByTestId('danger-zone').waitFor();
    // The walk's first step deleted its Access account already.
    const before = count('DELETE /api/auth/me');
    const deletes = () => count('DELETE /api/auth/me') - before;
    const field = page.getByLabel('Your password', { exact: true });
    const dialog = page.getByTestId('confirm-dialog');

    // No password: asked for in the page, no dialog, nothing sent.
    await page.getByTestId('delete-account').click();
    await page.getByTestId('delete-password-error').filter({ hasText: 'Enter your password.' }).waitFor();
    check(!(await dialog.evaluate((d) => /** @type {HTMLDialogElement} */ (d).open)), 'no dialog without a password');

    // A wrong password: the dialog, then 422 by the field; the account stays.
    await field.fill('not the password at all');
    await page.getByTestId('delete-account').click();
    await dialog.waitFor();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('delete-password-error').filter({ hasText: 'The password is wrong.' }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.activeElement?.id === 'delete-password');
    check(deletes() === 1, `one delete request, got ${deletes()}`);
    check(/#\/settings/.test(page.url()) && (await jwt()) === session, 'a wrong password keeps the account and the session');

    // The dialog says what goes; Cancel keeps everything.
    await field.fill(newPassword);
    await page.getByTestId('delete-account').click();
    await dialog.waitFor();
    const says = await dialog.innerText();
    for (const w of [email, 'OpenRouter keys', 'usage history', 'API tokens']) check(says.includes(w), `the dialog does not mention ${w}: ${says}`);
    await axe('settings (delete dialog)');
    await page.screenshot({ path: path.join(SHOTS, 'settings-delete-dialog.png') });
    check((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === 'confirm-cancel', 'focus starts on Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    check(deletes() === 1, 'Escape sends nothing');

    await page.getByTestId('delete-account').click();
    await dialog.waitFor();
    await page.getByTestId('confirm-ok').click();
    await page.waitForURL(/#\/login/);
    await page.getByTestId('flash').filter({ hasText: 'Your account was deleted.' }).waitFor();
    check(deletes() === 2, `two delete requests, got ${deletes()}`);
    check((await jwt()) === null, 'the session is cleared');
    check(!/next=/.test(page.url()), `login remembers a page of a deleted account: ${page.url()}`);
    check((await apiGet('/api/auth/me', { Authorization: `Bearer ${session}` })).status === 401, 'the JWT of a deleted account still works');
    check((await apiGet('/api/v1/keys', { Authorization: `Bearer ${doomed}` })).status === 401, 'the API token of a deleted account still works');
    await axe('login (account deleted)');

    // Logging in again fails: the account is gone.
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    const [login] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/login' && r.request().method() === 'POST'),
      page.getByTestId('login-submit').click(),
    ]);
    check(login.status() === 401, `login after deletion answered ${login.status()}`);
    await page.getByTestId('form-error').waitFor();
    check(/#\/login/.test(page.url()) && (await jwt()) === null, 'still on login, no session');
  });

  await step('no console errors, no CSP violations', checkClean);

  receiver.close();
  console.log(
    `e2e: all steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s (${stats.resentAfterRestart} request(s) resent after the local proxy's restart); screenshots in ${SHOTS}`,
  );
  await browser.close();
  process.exit(0);
} catch (e) {
  await fail(e);
}
