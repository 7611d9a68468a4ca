// Unit tests of the organisation in the page's URL:
//   node_modules/.bin/esbuild web/tests/org.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/org.test.mjs --log-level=warning && node --test target/web-tests/org.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atLeast, currentOrg, invitationLink, invitationNote, invitationToken, orgFromSearch, orgLabel, rolesToGive, rolesToInvite, searchWithOrg } from '../src/org';

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

test('roles are given as the API allows them', () => {
  assert.deepEqual(rolesToGive('owner', 'viewer'), ['member', 'admin', 'owner']);
  assert.deepEqual(rolesToGive('owner', 'owner'), ['viewer', 'member', 'admin']);
  assert.deepEqual(rolesToGive('admin', 'viewer'), ['member']);
  assert.deepEqual(rolesToGive('admin', 'member'), ['viewer']);
  assert.deepEqual(rolesToGive('admin', 'admin'), []);
  assert.deepEqual(rolesToGive('member', 'viewer'), []);
  assert.deepEqual(rolesToGive('viewer', 'member'), []);
  assert.deepEqual(rolesToInvite('owner'), ['admin', 'member', 'viewer']);
  assert.deepEqual(rolesToInvite('admin'), ['member', 'viewer']);
  assert.deepEqual(rolesToInvite('member'), []);
  assert.ok(atLeast('owner', 'admin') && atLeast('admin', 'admin') && !atLeast('member', 'admin'));
});

test('an invitation travels in the hash and only a well-formed token is read back', () => {
  const token = `or_inv_${'a'.repeat(43)}`;
  const link = invitationLink('https://watch.example', token);
  assert.equal(link, `https://watch.example/#/join?token=${token}`);
  assert.equal(invitationToken(new URLSearchParams(link.split('?')[1])), token);
  for (const bad of ['', 'token=', `token=or_inv_${'a'.repeat(42)}`, `token=or_tok_${'a'.repeat(43)}`, `token=${token}x`]) {
    assert.equal(invitationToken(new URLSearchParams(bad)), null, bad);
  }
});

test('the organisation acted in is the one ?org= names among the person’s, else the personal one', () => {
  const items = [{ id: 3 }, { id: 8 }];
  assert.equal(currentOrg(items, '?org=8')?.id, 8);
  assert.equal(currentOrg(items, '?org=9')?.id, 3);
  assert.equal(currentOrg(items, '')?.id, 3);
  assert.equal(currentOrg([], '?org=8'), null);
});

test('a new invitation says what became of its e-mail', () => {
  assert.match(invitationNote('sent', 'a@b.org'), /^We e-mailed the link to a@b\.org\./);
  assert.match(invitationNote('capped', 'a@b.org'), /^No e-mail was sent: .*used up\. Send them this link yourself/);
  assert.match(invitationNote('failed', 'a@b.org'), /^The e-mail could not be sent\. Send them this link yourself/);
  assert.equal(invitationNote('off', 'a@b.org'), 'Send them this link: it is shown only now, and works once.');
});
