// Unit tests of the spike and drift wording (Alerts, Keys, Settings):
//   node_modules/.bin/esbuild web/tests/format.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/format.test.mjs --log-level=warning && node --test target/web-tests/format.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SPIKE_LEVELS, driftText, eventTypeLabel } from '../src/format';

test('spike and drift events have readable labels', () => {
  assert.equal(eventTypeLabel('spend.spike'), 'Spend spike');
  assert.equal(eventTypeLabel('data.drift'), 'Figures disagree');
  assert.equal(eventTypeLabel('something.new'), 'something.new');
});

test('a drift names its day and both exact figures, and no drift says nothing', () => {
  assert.equal(
    driftText({ day: '2026-12-03', activity: '3.5', running_total: '3' }),
    "On 2026-12-03 OpenRouter's activity says 3.5 USD, the running total grew by 3 USD.",
  );
  assert.equal(driftText(null), null);
  assert.equal(driftText(undefined), null);
});

test('every sensitivity the API takes is offered once, off first', () => {
  assert.deepEqual(
    SPIKE_LEVELS.map((l) => l.value),
    ['off', 'low', 'normal', 'high'],
  );
});
