// @ts-check
// The populated demo in a real Chromium: `cargo xtask dev`'s data (a week of
// hourly readings through the real sync, budgets near their alerts, one with
// a dry-run policy, alerts (a spend spike among them) and a digest preview
// delivered to a webhook, an API token), made by tests/api/demo.rs with the
// same code (`watcher_stack::demo`), walked screen by screen as a newcomer
// would: every screen shows data (no "No figure yet", no "No projection
// yet", no empty list), axe-clean, at desktop and phone width, light and
// dark, screenshots of each. Environment:
//   ORW_BASE_URL        the Worker
//   ORW_CLIENT_IP       sent as CF-Connecting-IP on every request
//   ORW_DEMO_EMAIL      the demo user
//   ORW_DEMO_PASSWORD   its password
//   ORW_SCREENSHOT_DIR  where the PNGs go (demo-<screen>-<width>-<scheme>.png)
//   ORW_CHROMIUM        optional, the browser binary (default /usr/bin/chromium)
import path from 'node:path';
import { check, need, openBrowser } from './kit.mjs';

const BASE = need('ORW_BASE_URL').replace(/\/$/, '');
const SHOTS = need('ORW_SCREENSHOT_DIR');
const started = Date.now();
const { browser, page, stats, step, axe, settledOverflow, checkClean, fail } = await openBrowser({
  base: BASE,
  clientIp: need('ORW_CLIENT_IP'),
  shots: SHOTS,
  chromium: process.env.ORW_CHROMIUM || '/usr/bin/chromium',
});

/** How many elements match, once at least `least` do (a list still loading
 *  is waited for, never sampled).
 *  @param {string} selector @param {number} least */
async function atLeast(selector, least) {
  await page.locator(selector).nth(least - 1).waitFor();
  return page.locator(selector).count();
}

/** A number attribute of the first match, once it satisfies `ok`.
 *  @param {string} selector @param {string} name @param {(n: number) => boolean} ok */
async function numberAttr(selector, name, ok) {
  const handle = await page.waitForFunction(
    ([sel, attr]) => {
      const v = Number(document.querySelector(sel)?.getAttribute(attr) ?? NaN);
      return Number.isFinite(v) && v > 0 ? v : null;
    },
    [selector, name],
  );
  const n = Number(await handle.jsonValue());
  check(ok(n), `${selector} ${name}=${n}`);
  return n;
}

/** Text no populated screen may show. */
const EMPTY = ['No figure yet', 'No projection yet', 'Nothing yet', 'No key yet', 'No event yet'];

/** Each screen: its route and what "has data" means on it. */
const SCREENS = [
  {
    name: 'overview',
    hash: '#/',
    ready: async () => {
      const points = await numberAttr('[data-testid="cost-chart"]', 'data-points', (n) => n >= 8);
      const keys = await atLeast('[data-testid="key-row"]', 2);
      const models = await atLeast('[data-testid="model-row"]', 3);
      const runway = page.getByTestId('budgets-section').getByTestId('budget-runway').first();
      await runway.waitFor();
      const kind = await runway.getAttribute('data-status');
      check(kind !== 'no_runway', `the budget's runway: ${kind}: ${await runway.innerText()}`);
      // Alice and Bob each created a demo key on OpenRouter.
      const creators = await atLeast('[data-testid="members-created"] [data-testid="member-row"]', 2);
      return `${points} bars, ${keys} keys, ${models} models, ${creators} OpenRouter members`;
    },
  },
  {
    name: 'keys',
    hash: '#/keys',
    ready: async () => {
      const keys = await atLeast('[data-testid="key-item"]', 3);
      await page.locator('[data-testid="key-item"][data-name="demo-alice"]').getByText('Monthly').first().waitFor();
      return `${keys} keys`;
    },
  },
  {
    name: 'usage',
    hash: '#/usage',
    ready: async () => `${await atLeast('[data-testid="usage-row"]', 10)} rows`,
  },
  {
    name: 'hourly',
    hash: '#/hourly',
    ready: async () => {
      const points = await numberAttr('[data-testid="hourly-chart"]', 'data-points', (n) => n >= 24);
      const total = await page.getByTestId('hourly-total').getAttribute('data-cost');
      check(total !== null && total !== '' && Number(total) > 0, `the hourly total: ${total}`);
      return `${points} hours with a figure, ${total} USD`;
    },
  },
  {
    name: 'alerts',
    hash: '#/alerts',
    ready: async () => {
      const events = await atLeast('[data-testid="event-row"]', 2);
      // The history's runaway hour, noticed with no budget asking for it.
      await atLeast('[data-testid="event-row"][data-type="spend.spike"]', 1);
      const hooks = await atLeast('[data-testid="webhook-row"]', 1);
      // The weekly budget's policy, in a dry run: what it would have done.
      const actions = await atLeast('[data-testid="action-row"][data-state="dry_run"]', 1);
      return `${events} events, ${hooks} webhook, ${actions} dry-run action`;
    },
  },
  {
    name: 'tokens',
    hash: '#/tokens',
    ready: async () => `${await atLeast('[data-testid="token-row"]', 1)} token(s)`,
  },
  {
    name: 'audit',
    hash: '#/audit',
    ready: async () => `${await atLeast('[data-testid="audit-row"]', 5)} entries`,
  },
  {
    name: 'settings',
    hash: '#/settings',
    ready: async () => {
      await page.getByTestId('account-email').filter({ hasText: need('ORW_DEMO_EMAIL') }).waitFor();
      // The demo sends weekly digests to its receiver (a preview went out).
      // The select shows 'off' until the settings arrive: wait for 'weekly'.
      await page.waitForFunction(
        () => /** @type {HTMLSelectElement | null} */ (document.querySelector('[data-testid="digest-schedule"]'))?.value === 'weekly',
      );
      return 'the account, weekly digests to the receiver';
    },
  },
];

try {
  await step('log in as the demo user', async () => {
    await page.goto(`${BASE}/#/login`);
    await page.getByLabel('Email', { exact: true }).fill(need('ORW_DEMO_EMAIL'));
    await page.getByLabel('Password', { exact: true }).fill(need('ORW_DEMO_PASSWORD'));
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nav-overview').waitFor();
  });

  for (const screen of SCREENS) {
    await step(`${screen.name}: populated, axe-clean at desktop and phone width, light and dark`, async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(`${BASE}/${screen.hash}`);
      const what = await screen.ready();
      const text = await page.locator('main').innerText();
      const empty = EMPTY.filter((e) => text.includes(e));
      check(empty.length === 0, `${screen.name} says ${empty.map((e) => `"${e}"`).join(', ')}`);
      for (const [width, height, size] of /** @type {const} */ ([[1280, 900, 'desktop'], [390, 844, 'phone']])) {
        await page.setViewportSize({ width, height });
        for (const scheme of /** @type {const} */ (['light', 'dark'])) {
          await page.emulateMedia({ colorScheme: scheme });
          const overflow = await settledOverflow();
          check(overflow <= 0, `${screen.name} (${size}) scrolls sideways by ${overflow}px`);
          await axe(`${screen.name} (${size}, ${scheme})`);
          await page.screenshot({ path: path.join(SHOTS, `demo-${screen.name}-${size}-${scheme}.png`), fullPage: true });
        }
      }
      console.log(`   ${screen.name}: ${what}`);
    });
  }

  await step('no console errors, no CSP violations', checkClean);
  console.log(
    `demo walk: all steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s (${stats.resentAfterRestart} request(s) resent after the local proxy's restart); screenshots in ${SHOTS}`,
  );
  await browser.close();
  process.exit(0);
} catch (e) {
  await fail(e);
}
