// Unit tests of the webhook form's pure helpers: formats and severities in
// words, the event kinds a form sends, a webhook's filters in a sentence.
// Run from the repo root (as `cargo xtask test` does):
//   node_modules/.bin/esbuild web/tests/channels.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/channels.test.mjs --log-level=warning && node --test target/web-tests/channels.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAMILIES, FORMATS, filtersSummary, formatShort, kindsToSend, parseFormat, parseSeverity, tickedOf } from '../src/channels';

test('every format the API takes is offered, by name', () => {
  assert.deepEqual(
    FORMATS.map((f) => f.value),
    ['json', 'slack', 'discord', 'teams', 'pagerduty', 'ntfy'],
  );
  assert.equal(formatShort('pagerduty'), 'PagerDuty');
  assert.equal(formatShort('carrier-pigeon'), 'carrier-pigeon');
  assert.equal(parseFormat('teams'), 'teams');
  assert.equal(parseFormat('nope'), 'json');
  assert.equal(parseSeverity('critical'), 'critical');
  assert.equal(parseSeverity('urgent'), 'info');
});

test('every family ticked sends null (new kinds included); some send their list; none is an error', () => {
  const all = FAMILIES.map((f) => f.value);
  assert.equal(kindsToSend(all), null);
  assert.equal(kindsToSend([...all].reverse()), null);
  assert.deepEqual(kindsToSend(['policy', 'key']), ['key', 'policy']);
  assert.equal(kindsToSend([]), 'none');
});

test("a webhook's filters in a sentence", () => {
  assert.equal(filtersSummary({ event_kinds: null, min_severity: 'info' }), 'Receives all events · info and up');
  assert.equal(filtersSummary({ event_kinds: ['budget', 'key.disabled'], min_severity: 'critical' }), 'Receives budget, key.disabled · critical only');
  assert.equal(filtersSummary({ event_kinds: ['key'], min_severity: 'warning' }), 'Receives key · warnings and critical');
});

test('an edit form ticks every family for null, and the listed families otherwise', () => {
  assert.deepEqual(tickedOf(null), FAMILIES.map((f) => f.value));
  assert.deepEqual(tickedOf(['key', 'budget.recovered', 'policy']), ['key', 'policy']);
  assert.deepEqual(tickedOf([]), []);
});
