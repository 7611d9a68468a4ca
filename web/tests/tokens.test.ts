// Unit tests of the Tokens screen's expiry and scope wording:
//   node_modules/.bin/esbuild web/tests/tokens.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/tokens.test.mjs --log-level=warning && node --test target/web-tests/tokens.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiresAt, expiryText, parseExpiry, scopesText } from '../src/tokens';

test('an expiry choice becomes a UTC timestamp that many days ahead, or null', () => {
  const now = new Date('2026-12-05T08:01:02.345Z');
  assert.equal(expiresAt('never', now), null);
  assert.equal(expiresAt('30', now), '2027-01-04T08:01:02Z');
  assert.equal(expiresAt('365', now), '2027-12-05T08:01:02Z');
  assert.equal(parseExpiry('90'), '90');
  assert.equal(parseExpiry('forever'), 'never');
});

test('a token says when it expires, or that it has', () => {
  assert.equal(expiryText({ expires_at: '2027-03-04T10:00:00Z', expired: false }), 'expires 4 Mar 2027');
  assert.equal(expiryText({ expires_at: '2026-01-01T00:00:00Z', expired: true }), 'expired');
  assert.equal(expiryText({ expires_at: null, expired: false }), 'never expires');
});

test('scopes are named, all four as all', () => {
  assert.equal(scopesText(['stats:read', 'usage:read', 'keys:read', 'metrics:read']), 'all (stats, usage, keys, metrics)');
  assert.equal(scopesText(['metrics:read']), 'metrics:read');
});
