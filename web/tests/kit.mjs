// @ts-check
// What every browser walk of the dashboard shares (web/tests/e2e.mjs, the
// walk of a fresh account; web/tests/demo.mjs, the walk of the populated
// demo): Debian's Chromium through playwright-core, the local proxy's
// restarts absorbed, console errors, failed assets and CSP violations
// collected, steps that print as they pass, axe-core on a screen, and the
// sideways overflow of a layout that has settled.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
/** What `wrangler dev`'s proxy answers when the Worker restarted under it. */
export const RESTARTED = 'Your worker restarted mid-request';
/** The only console errors a page may show: the API's own 4xx answers. */
const EXPECTED_ERROR = 'Failed to load resource: the server responded with a status of 4';

/** An environment variable the walk cannot go without.
 *  @param {string} name */
export function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${path.basename(process.argv[1] ?? 'walk')}: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

/** @param {unknown} cond @param {string} msg */
export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** A browser on the dashboard at `base`, every request sent as from `clientIp`.
 *  @param {{ base: string; clientIp: string; shots: string; chromium?: string }} o */
export async function openBrowser({ base, clientIp, shots, chromium: executablePath = '/usr/bin/chromium' }) {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const context = await browser.newContext({
    baseURL: base,
    viewport: { width: 1280, height: 900 },
    extraHTTPHeaders: { 'CF-Connecting-IP': clientIp },
    acceptDownloads: true,
    colorScheme: 'light',
  });
  const stats = { resentAfterRestart: 0 };
  // Under load, `wrangler dev`'s local proxy now and then answers a request
  // with a 503 "restarted mid-request" before the Worker saw it (see
  // tests/api/hardening.rs): like the Rust tests' client, the browser's
  // requests are sent once more when that happens, and counted. Should the
  // route's own connection be dropped (the proxy closes idle keep-alive
  // connections), the browser sends the request itself, as it would have
  // without the route.
  await context.route('**/api/**', async (route) => {
    let first;
    try {
      first = await route.fetch();
    } catch {
      return route.continue().catch(() => {});
    }
    if (first.status() === 503 && (await first.text().catch(() => '')).startsWith(RESTARTED)) {
      stats.resentAfterRestart += 1;
      return route.continue().catch(() => {});
    }
    // A page that navigated away no longer wants the answer.
    return route.fulfill({ response: first }).catch(() => {});
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  /** @type {string[]} */
  const consoleLog = [];
  /** @type {string[]} */
  const consoleErrors = [];
  page.on('console', (msg) => {
    const line = `[${msg.type()}] ${msg.text()}`;
    consoleLog.push(line);
    if (msg.type() === 'error' && !msg.text().startsWith(EXPECTED_ERROR)) consoleErrors.push(line);
  });
  // The only 4xx a page may meet are the API's own answers (shown as
  // messages); a missing asset, icon or script is a defect.
  /** @type {string[]} */
  const failedAssets = [];
  page.on('response', (res) => {
    const p = new URL(res.url()).pathname;
    if (res.status() >= 400 && !p.startsWith('/api/')) failedAssets.push(`${res.status()} ${p}`);
  });
  page.on('pageerror', (err) => {
    consoleLog.push(`[pageerror] ${err.message}`);
    consoleErrors.push(`[pageerror] ${err.message}`);
  });
  // CSP violations of every document the page loads (reloads included).
  /** @type {string[]} */
  const cspViolations = [];
  await page.exposeFunction('__orwCspReport', (/** @type {string} */ v) => {
    cspViolations.push(v);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const w = /** @type {any} */ (window);
      const v = `${e.violatedDirective} ${e.blockedURI}`;
      (w.__csp ||= []).push(v);
      w.__orwCspReport?.(v);
    });
  });

  let current = 'start';
  /** @param {string} name @param {() => Promise<void>} fn */
  async function step(name, fn) {
    current = name;
    const t0 = Date.now();
    await fn();
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  }

  /** Runs axe-core on the page as it is; fails on serious/critical violations.
   *  @param {string} screen */
  async function axe(screen) {
    // page.evaluate is not subject to the page's CSP (a script tag would be).
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(async () => {
      const w = /** @type {any} */ (window);
      const r = await w.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((/** @type {any} */ v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((/** @type {any} */ n) => `${n.target.join(' ')} — ${n.failureSummary}`),
      }));
    });
    const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const minor = result.filter((v) => !(v.impact === 'serious' || v.impact === 'critical'));
    if (minor.length) console.log(`   axe ${screen}: minor: ${minor.map((v) => `${v.id} (${v.impact}): ${v.nodes.join(' | ')}`).join('; ')}`);
    check(bad.length === 0, `axe on ${screen}: ${bad.length} serious/critical violations:\n${JSON.stringify(bad, null, 2)}`);
  }

  /** The page's sideways overflow once its layout has settled (charts resize
   *  a frame or more after the viewport does): waits up to 10 s for none,
   *  then measures, so a layout still moving is never what is judged. */
  async function settledOverflow() {
    await page
      .waitForFunction(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth, null, { timeout: 10_000 })
      .catch(() => undefined);
    return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  }

  /** @param {string} name */
  async function shot(name) {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  }

  /** Fails the walk unless it met no console error, failed asset or CSP
   *  violation. */
  async function checkClean() {
    const csp = [...cspViolations, ...(await page.evaluate(() => /** @type {any} */ (window).__csp ?? []))];
    check(csp.length === 0, `CSP violations: ${csp.join('; ')}`);
    check(consoleErrors.length === 0, `console errors:\n${consoleErrors.join('\n')}`);
    check(failedAssets.length === 0, `assets that failed to load:\n${failedAssets.join('\n')}`);
  }

  /** Reports the failing step with the page and its last console lines,
   *  screenshots it, and exits 1.
   *  @param {unknown} e */
  async function fail(e) {
    const err = /** @type {Error} */ (e);
    console.log(`FAIL - ${current}`);
    console.log(`  why: ${err.message}`);
    console.log(`  page: ${page.url()}`);
    console.log(`  last console messages:\n    ${consoleLog.slice(-15).join('\n    ') || '(none)'}`);
    try {
      await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true });
      console.log(`  screenshot: ${path.join(shots, 'failure.png')}`);
    } catch {
      // the page may be gone
    }
    await browser.close();
    process.exit(1);
  }

  return { browser, context, page, stats, step, axe, settledOverflow, shot, checkClean, fail };
}
