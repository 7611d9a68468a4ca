// Unit tests of budgets in words (web/src/runway.ts), the budget and webhook
// form checks (web/src/validate.ts) and the alert labels (web/src/format.ts).
// Run from the repo root:
//   node_modules/.bin/esbuild web/tests/runway.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/runway.test.mjs --log-level=warning && node --test target/web-tests/runway.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Budget, type Runway } from '../src/api';
import { attemptOutcome, deliverySummary, eventTypeLabel } from '../src/format';
import { parseHash } from '../src/router';
import { barPercent, budgetTitle, budgetTone, burnRateText, percentText, runwaySentence, shortDate, sortBudgets, usd, usdCents } from '../src/runway';
import { checkBudgetAmount, checkWebhookUrl, parseThresholds } from '../src/validate';

const NOW = new Date('2026-11-29T10:00:04Z');

function runway(r: Partial<Runway>): Runway {
  return {
    status: 'on_track',
    burn_rate_per_day: '0.6',
    basis_from: '2026-11-22T10:00:00Z',
    basis_to: '2026-11-29T10:00:04Z',
    projected_period_spend: '9.4',
    projected_percent: '94',
    reached_at: null,
    resets_at: '2026-12-01T00:00:00Z',
    days_before_reset: null,
    ...r,
  };
}

function budget(b: Partial<Budget> = {}): Budget {
  return {
    id: 3,
    source: 'budget',
    scope: 'key',
    api_key_id: 12,
    api_key_name: 'Production',
    amount: '10',
    period: 'monthly',
    thresholds: [50, 80, 100],
    created_at: '2026-11-29T10:00:00Z',
    updated_at: '2026-11-29T10:00:00Z',
    action: 'notify',
    action_at: 100,
    dry_run: false,
    action_on_spike: false,
    status: {
      as_of: '2026-11-29T10:00:04Z',
      period_start: '2026-11-01T00:00:00Z',
      period_end: '2026-12-01T00:00:00Z',
      spent: '8.2',
      remaining: '1.8',
      percent_used: '82',
      fired: [50, 80],
    },
    runway: runway({}),
    ...b,
  };
}

test('dates are UTC days, with the year only when it is not this one', () => {
  assert.equal(shortDate('2026-12-14T23:30:00Z', NOW), '14 Dec');
  // 23:30 UTC on the 14th is the 14th, whatever the machine's zone.
  assert.equal(shortDate('2026-12-01T00:00:00Z', NOW), '1 Dec');
  assert.equal(shortDate('2027-01-03T08:00:00Z', NOW), '3 Jan 2027');
});

test('amounts in sentences: exact, or rounded to cents for projections', () => {
  assert.equal(usd('10'), '10');
  assert.equal(usd('10.5'), '10.50');
  assert.equal(usd('0.0001234'), '0.0001234');
  assert.equal(usdCents('9.4'), '9.40');
  assert.equal(usdCents('9.995'), '10.00');
  assert.equal(usdCents('9.9949999999'), '9.99');
  assert.equal(usdCents('0'), '0.00');
  assert.equal(percentText('82'), '82%');
  assert.equal(percentText('82.50'), '82.5%');
});

test('on track: the projection by the reset', () => {
  const l = runwaySentence(budget(), NOW);
  assert.equal(l.kind, 'on_track');
  assert.equal(l.text, 'On track: projected 9.40 USD of 10 USD by the reset on 1 Dec.');
});

test('will exceed: the day it is reached and how long before the reset', () => {
  const b = budget({
    source: 'openrouter_limit',
    id: null,
    runway: runway({ status: 'will_exceed', reached_at: '2026-12-14T08:00:00Z', resets_at: '2026-12-20T00:00:00Z', days_before_reset: 6 }),
  });
  assert.equal(runwaySentence(b, NOW).text, 'At this rate the limit is reached on 14 Dec, 6 days before it resets.');
  const own = budget({ runway: runway({ status: 'will_exceed', reached_at: '2026-11-30T08:00:00Z', days_before_reset: 1 }) });
  assert.equal(runwaySentence(own, NOW).text, 'At this rate the budget is reached on 30 Nov, 1 day before it resets.');
  const sameDay = budget({ runway: runway({ status: 'will_exceed', reached_at: '2026-11-30T20:00:00Z', days_before_reset: 0 }) });
  assert.equal(runwaySentence(sameDay, NOW).text, 'At this rate the budget is reached on 30 Nov, less than a day before it resets.');
  // A lifetime limit never resets.
  const life = budget({
    source: 'openrouter_limit',
    period: 'lifetime',
    runway: runway({ status: 'will_exceed', reached_at: '2027-02-01T00:00:00Z', resets_at: null, days_before_reset: null, projected_period_spend: null, projected_percent: null }),
  });
  assert.equal(runwaySentence(life, NOW).text, 'At this rate the limit is reached on 1 Feb 2027.');
});

test('exceeded, idle, and not enough data', () => {
  const over = budget({ status: { ...budget().status!, spent: '10.4', percent_used: '104', fired: [50, 80, 100] }, runway: runway({ status: 'exceeded' }) });
  assert.equal(runwaySentence(over, NOW).text, 'Exceeded. It resets on 1 Dec.');
  assert.equal(runwaySentence(budget({ period: 'lifetime', runway: runway({ status: 'exceeded', resets_at: null }) }), NOW).text, 'Exceeded.');
  const idle = runwaySentence(budget({ runway: runway({ status: 'idle', burn_rate_per_day: '0' }) }), NOW);
  assert.deepEqual(idle, { kind: 'idle', text: 'No spend in the last 7 days.' });
  assert.equal(runwaySentence(budget({ runway: null }), NOW).kind, 'no_runway');
  assert.match(runwaySentence(budget({ runway: null }), NOW).text, /two syncs at least an hour apart/);
  assert.equal(runwaySentence(budget({ status: null, runway: null }), NOW).kind, 'no_status');
  // Over the amount already: exceeded, with or without a projection.
  const overNoRunway = budget({ status: { ...budget().status!, spent: '5.14', percent_used: '102.94' }, runway: null });
  assert.deepEqual(runwaySentence(overNoRunway, NOW), { kind: 'exceeded', text: 'Exceeded. It resets on 1 Dec.' });
});

test('the bar: clamped fill, tone in words and colour', () => {
  assert.equal(barPercent(budget()), 82);
  assert.equal(barPercent(budget({ status: { ...budget().status!, percent_used: '250' } })), 100);
  assert.equal(barPercent(budget({ status: null })), 0);
  assert.equal(budgetTone(budget()), 'warning');
  assert.equal(budgetTone(budget({ status: { ...budget().status!, fired: [], percent_used: '10' } })), 'ok');
  assert.equal(budgetTone(budget({ status: { ...budget().status!, percent_used: '100' } })), 'over');
  assert.equal(budgetTone(budget({ status: null })), 'unknown');
  assert.equal(budgetTitle(budget()), 'Key “Production”: monthly budget of 10 USD');
  assert.equal(budgetTitle(budget({ scope: 'account', api_key_id: null, api_key_name: null, source: 'budget', period: 'daily', amount: '2.5' })), 'Account: daily budget of 2.50 USD');
  assert.equal(burnRateText(budget().runway), 'About 0.60 USD a day over the last 7 days.');
  assert.equal(burnRateText(null), null);
});

test('budgets are listed account first, then keys by name, shortest period first', () => {
  const acc = budget({ scope: 'account', api_key_id: null, api_key_name: null, id: 1 });
  const b1 = budget({ api_key_name: 'Beta', api_key_id: 2, id: 2 });
  const a1 = budget({ api_key_name: 'Alpha', api_key_id: 1, id: 3, period: 'monthly' });
  const a0 = budget({ api_key_name: 'Alpha', api_key_id: 1, id: 4, period: 'daily' });
  assert.deepEqual(
    sortBudgets([b1, a1, acc, a0]).map((b) => b.id),
    [1, 4, 3, 2],
  );
});

test('budget amount: an exact decimal above zero', () => {
  assert.equal(checkBudgetAmount('10'), null);
  assert.equal(checkBudgetAmount(' 12.50 '), null);
  assert.equal(checkBudgetAmount('$5'), null);
  assert.equal(checkBudgetAmount('0.0000000001'), null);
  assert.match(checkBudgetAmount('') ?? '', /Enter an amount/);
  assert.match(checkBudgetAmount('0') ?? '', /more than 0/);
  assert.match(checkBudgetAmount('0.00') ?? '', /more than 0/);
  for (const bad of ['-1', '1e3', '1,5', '10.', '.5', 'ten', '0.00000000001']) assert.notEqual(checkBudgetAmount(bad), null, bad);
});

test('thresholds: whole percentages 1..100, at most 10, sorted once each', () => {
  assert.deepEqual(parseThresholds('50, 80, 100'), { value: [50, 80, 100], error: null });
  assert.deepEqual(parseThresholds('100,50 80%'), { value: [50, 80, 100], error: null });
  assert.deepEqual(parseThresholds('80, 80'), { value: [80], error: null });
  assert.deepEqual(parseThresholds('  '), { value: [50, 80, 100], error: null });
  for (const bad of ['0', '101', '50.5', '-5', 'abc', '50, 120']) assert.notEqual(parseThresholds(bad).error, null, bad);
  assert.match(parseThresholds('1,2,3,4,5,6,7,8,9,10,11').error ?? '', /At most 10/);
  assert.equal(parseThresholds('1,2,3,4,5,6,7,8,9,10').error, null);
});

test('webhook URLs: https, or http to a local receiver; no credentials', () => {
  assert.equal(checkWebhookUrl('https://hooks.slack.com/services/T/B/x'), null);
  assert.equal(checkWebhookUrl('http://127.0.0.1:8080/hook'), null);
  assert.equal(checkWebhookUrl('http://localhost/hook'), null);
  assert.match(checkWebhookUrl('http://example.com/hook') ?? '', /https/);
  assert.match(checkWebhookUrl('https://user:pw@example.com/') ?? '', /user name or password/);
  assert.match(checkWebhookUrl('example.com') ?? '', /full URL/);
  assert.match(checkWebhookUrl('') ?? '', /Enter the URL/);
  assert.match(checkWebhookUrl(`https://example.com/${'a'.repeat(2048)}`) ?? '', /2,048/);
});

test('alerts and deliveries in words; the alerts route', () => {
  assert.equal(eventTypeLabel('budget.threshold_reached'), 'Threshold reached');
  assert.equal(eventTypeLabel('test'), 'Test');
  assert.equal(eventTypeLabel('something.new'), 'something.new');
  assert.equal(attemptOutcome({ status_code: 200, error: null }), 'HTTP 200');
  assert.equal(attemptOutcome({ status_code: null, error: 'timeout' }), 'timeout');
  assert.equal(deliverySummary({ status: 'delivered', attempts: [{ status_code: 200, error: null, duration_ms: 35 }] }), 'Delivered: HTTP 200 in 35 ms.');
  assert.equal(
    deliverySummary({
      status: 'failed',
      attempts: [
        { status_code: 500, error: null, duration_ms: 10 },
        { status_code: 404, error: null, duration_ms: 12 },
      ],
    }),
    'Failed after 2 attempts: HTTP 404 in 12 ms.',
  );
  assert.equal(parseHash('#/alerts?page=2').name, 'alerts');
});
