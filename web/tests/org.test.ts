// Unit tests of the organisation in the page's URL:
//   node_modules/.bin/esbuild web/tests/org.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/org.test.mjs --log-level=warning && node --test target/web-tests/org.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orgFromSearch, orgLabel, searchWithOrg } from '../src/org';

test('the organisation is an id in ?org=, anything else is none', () => {
  assert.equal(orgFromSearch('?org=42'), 42);
  assert.equal(orgFromSearch('?x=1&org=7'), 7);
  assert.equal(orgFromSearch('?org=9007199254740991'), 9007199254740991);
  for (const bad of ['', '?org=', '?org=0', '?org=-3', '?org=01', '?org=1.5', '?org=abc', '?org=9007199254740992', '?org=99999999999999999']) {
    assert.equal(orgFromSearch(bad), null, bad);
  }
});

test('switching keeps the other parameters and drops ?org= for the personal one', () => {
  assert.equal(searchWithOrg('', 5), '?org=5');
  assert.equal(searchWithOrg('?a=1&org=3', 9), '?a=1&org=9');
  assert.equal(searchWithOrg('?org=3', null), '');
  assert.equal(searchWithOrg('?a=1&org=3', null), '?a=1');
});

test('an organisation is labelled with the role and the people in it', () => {
  assert.equal(orgLabel({ name: 'Personal', role: 'owner', members: 1 }), 'Personal (owner, 1 person)');
  assert.equal(orgLabel({ name: 'Team', role: 'viewer', members: 4 }), 'Team (viewer, 4 people)');
});
