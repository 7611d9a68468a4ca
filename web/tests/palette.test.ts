// Unit tests of the charts' series colours (src/palette.ts): every series a
// stacked chart can show has a colour of its own, in both schemes.
// Run from the repo root:
//   node_modules/.bin/esbuild web/tests/palette.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/palette.test.mjs --log-level=warning && node --test target/web-tests/palette.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepTop, seriesColor, TOP_SERIES } from '../src/palette';

test('the most series a chart shows (TOP_SERIES + 1, then "Other") have distinct colours in light and dark', () => {
  for (const dark of [false, true]) {
    const shown = Array.from({ length: TOP_SERIES + 1 }, (_, i) => seriesColor(i, false, dark));
    assert.equal(new Set(shown).size, shown.length, `${dark ? 'dark' : 'light'}: ${shown.join(' ')}`);
    assert.ok(!shown.includes(seriesColor(0, true, dark)), '"Other" has a colour of its own');
  }
});

test('nine series are all shown; ten keep the top eight and sum two into Other', () => {
  const nine = Array.from({ length: TOP_SERIES + 1 }, (_, i) => i);
  assert.deepEqual(keepTop(nine), { keep: nine, rest: [] });
  const ten = [...nine, TOP_SERIES + 1];
  const { keep, rest } = keepTop(ten);
  assert.equal(keep.length, TOP_SERIES);
  assert.deepEqual(rest, [8, 9]);
});
