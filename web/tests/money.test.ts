// Unit tests of web/src/money.ts (exact money arithmetic) and a few pure helpers.
// Run from the repo root:
//   node_modules/.bin/esbuild web/tests/money.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/money.test.mjs --log-level=warning && node --test target/web-tests/money.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addDays, checkRange, daysInclusive, monthStart, resolveRange } from '../src/dates';
import { addMoney, compareMoney, displayUsd, formatMoney, moneyEquals, parseMoney, ratio, sumMoney } from '../src/money';
import { parseHash } from '../src/router';
import { checkEmail, checkName, checkOpenRouterKey, checkPassword } from '../src/validate';

test('parses and formats like the API (trailing zeros dropped, "0" for zero)', () => {
  assert.equal(parseMoney('12.0153'), 120153000000n);
  assert.equal(parseMoney('0'), 0n);
  assert.equal(parseMoney('0.0000000001'), 1n);
  assert.equal(parseMoney('-1.5'), -15000000000n);
  assert.equal(formatMoney(120153000000n), '12.0153');
  assert.equal(formatMoney(0n), '0');
  assert.equal(formatMoney(1n), '0.0000000001');
  assert.equal(formatMoney(-15000000000n), '-1.5');
  assert.equal(formatMoney(parseMoney('3.1400000000')), '3.14');
  assert.equal(formatMoney(parseMoney('-0.0')), '0');
  for (const s of ['0', '1', '12.0153', '0.0000000001', '98765432109876543210.1234567891']) {
    assert.equal(formatMoney(parseMoney(s)), s);
  }
});

test('refuses what is not a money string', () => {
  for (const s of ['', ' 1', '1 ', '1e3', '1.', '.5', '0x10', '1.00000000001', 'NaN', '+1', '1,5']) {
    assert.throws(() => parseMoney(s), RangeError, s);
  }
});

test('sums exactly where floating point would not', () => {
  assert.equal(0.1 + 0.2 === 0.3, false);
  assert.equal(addMoney('0.1', '0.2'), '0.3');
  assert.equal(sumMoney(Array.from({ length: 10 }, () => '0.1')), '1');
  assert.equal(sumMoney(Array.from({ length: 1000 }, () => '0.0000000001')), '0.0000001');
  assert.equal(sumMoney(['9007199254740993', '0.0000000001']), '9007199254740993.0000000001');
  assert.equal(sumMoney([]), '0');
  assert.equal(sumMoney(['1.25', '-1.25']), '0');
});

test('compares exact amounts', () => {
  assert.equal(compareMoney('1.5', '1.50'), 0);
  assert.equal(compareMoney('1.4999999999', '1.5'), -1);
  assert.equal(compareMoney('2', '1.9999999999'), 1);
  assert.ok(moneyEquals('12.0153', '12.01530'));
});

test('displays dollars with at least two decimals and nothing rounded away', () => {
  assert.equal(displayUsd('12.0153'), '$12.0153');
  assert.equal(displayUsd('12.5'), '$12.50');
  assert.equal(displayUsd('0'), '$0.00');
  assert.equal(displayUsd('1234567.891'), '$1,234,567.891');
  assert.equal(displayUsd('-3'), '-$3.00');
  assert.equal(displayUsd('0.0000000001'), '$0.0000000001');
});

test('ratios for meters', () => {
  assert.equal(ratio('25', '100'), 0.25);
  assert.equal(ratio('1', '0'), null);
  assert.equal(ratio('150', '100'), 1.5);
});

test('UTC day arithmetic and ranges', () => {
  assert.equal(addDays('2024-03-01', -1), '2024-02-29');
  assert.equal(addDays('2024-12-31', 1), '2025-01-01');
  assert.equal(daysInclusive('2024-01-01', '2024-12-31'), 366);
  assert.equal(monthStart('2026-11-29'), '2026-11-01');
  assert.equal(checkRange('2024-01-01', '2024-12-30'), null);
  assert.match(checkRange('2024-01-01', '2024-12-31') ?? '', /365/);
  assert.match(checkRange('2024-02-02', '2024-02-01') ?? '', /after/);
  assert.match(checkRange('2024-02-30', '2024-03-01') ?? '', /start/);
  const r = resolveRange(new URLSearchParams('range=7d'), '2026-11-29');
  assert.deepEqual(r.query, { days: 7 });
  assert.equal(r.start, '2026-11-23');
  const m = resolveRange(new URLSearchParams('range=mtd'), '2026-11-29');
  assert.deepEqual(m.query, { start_date: '2026-11-01', end_date: '2026-11-29' });
  const c = resolveRange(new URLSearchParams('range=custom&start=2026-01-01&end=2026-01-31'), '2026-11-29');
  assert.deepEqual(c.query, { start_date: '2026-01-01', end_date: '2026-01-31' });
  assert.equal(resolveRange(new URLSearchParams('range=bogus'), '2026-11-29').preset, '30d');
});

test('hash routes', () => {
  const r = parseHash('#/overview?range=7d&group=key');
  assert.equal(r.name, 'overview');
  assert.equal(r.params.get('range'), '7d');
  assert.equal(parseHash('#/nope').name, null);
  assert.equal(parseHash('').name, null);
  assert.equal(parseHash('#main').name, null);
});

test('client validation mirrors the server', () => {
  assert.equal(checkEmail('Someone@Example.com '), null);
  assert.notEqual(checkEmail('someone@example'), null);
  assert.notEqual(checkEmail('a..b@example.com'), null);
  assert.notEqual(checkEmail(''), null);
  assert.equal(checkPassword('a'.repeat(12)), null);
  assert.notEqual(checkPassword('a'.repeat(11)), null);
  assert.equal(checkPassword('é'.repeat(128)), null);
  assert.notEqual(checkPassword('a'.repeat(129)), null);
  assert.equal(checkPassword('😀'.repeat(12)), null, 'characters, not UTF-16 units');
  assert.equal(checkName('  prod  '), null);
  assert.notEqual(checkName('   '), null);
  assert.notEqual(checkName('a\u0007b'), null);
  assert.equal(checkName('x'.repeat(100)), null);
  assert.notEqual(checkName('x'.repeat(101)), null);
  assert.equal(checkOpenRouterKey(` sk-or-v1-${'a'.repeat(64)} `), null);
  assert.notEqual(checkOpenRouterKey('sk-or-nope'), null);
  assert.notEqual(checkOpenRouterKey(`sk-xx-${'a'.repeat(30)}`), null);
  assert.notEqual(checkOpenRouterKey(`sk-or-${'a'.repeat(201)}`), null);
  assert.notEqual(checkOpenRouterKey(`sk-or-${'a'.repeat(19)}`), null);
  assert.notEqual(checkOpenRouterKey(`sk-or-${'a'.repeat(19)}!`), null);
});
