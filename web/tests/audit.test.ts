// Unit tests of the Audit screen's pure helpers: kinds in words, the kind
// filter's choices, an entry's before → after lines.
// Run from the repo root (as `cargo xtask test` does):
//   node_modules/.bin/esbuild web/tests/audit.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/audit.test.mjs --log-level=warning && node --test target/web-tests/audit.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actorLabel, changeLines, fieldLabel, kindLabel, kindOptions, valueText } from '../src/audit';

test('kinds in words, an unknown one as it is', () => {
  assert.equal(kindLabel('key.updated'), 'Key changed');
  assert.equal(kindLabel('token.revoked'), 'API token revoked');
  assert.equal(kindLabel('policy.created'), 'policy.created');
});

test('the filter offers every change, each family with several kinds, and each kind', () => {
  const options = kindOptions();
  assert.deepEqual(options[0], { value: '', label: 'All changes' });
  const values = options.map((o) => o.value);
  for (const v of ['key', 'key.created', 'key.sync_requested', 'budget', 'webhook.tested', 'token', 'settings.updated', 'password.changed', 'account.created']) {
    assert.ok(values.includes(v), v);
  }
  // A family of one kind is that kind: no separate "all" choice.
  assert.ok(!values.includes('settings') && !values.includes('password') && !values.includes('account'));
  assert.equal(new Set(values).size, values.length, 'no choice twice');
});

test('a change reads as fields before → after', () => {
  assert.deepEqual(changeLines({ before: { name: 'a', is_active: true }, after: { name: 'b', is_active: false } }), [
    { field: 'name', before: 'a', after: 'b' },
    { field: 'active', before: 'yes', after: 'no' },
  ]);
  assert.deepEqual(changeLines({ before: null, after: { tz: 'Europe/Rome', secret: 'created' } }), [
    { field: 'time zone', before: null, after: 'Europe/Rome' },
    { field: 'secret', before: null, after: 'created' },
  ]);
  assert.deepEqual(changeLines({ before: { name: 'gone' }, after: null }), [{ field: 'name', before: 'gone', after: null }]);
  assert.deepEqual(changeLines({ before: { tz: null }, after: { tz: 'UTC' } }), [{ field: 'time zone', before: '—', after: 'UTC' }]);
  assert.deepEqual(changeLines({ before: null, after: null }), []);
});

test('values and fields in words', () => {
  assert.equal(valueText(null), '—');
  assert.equal(valueText(3), '3');
  assert.equal(valueText(''), '""');
  assert.equal(valueText([50, 80]), '[50,80]');
  assert.equal(fieldLabel('paused_webhooks'), 'webhooks paused');
  assert.equal(fieldLabel('limit_reset'), 'limit reset');
  assert.equal(actorLabel({ actor: 'user' }), 'You');
  assert.equal(actorLabel({ actor: 'product' }), 'OpenRouter Watcher');
});
