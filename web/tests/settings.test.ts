// Unit tests of the Settings screen's pure helpers: the change-password form's
// checks, the readable errors of the password forms, the Retry-After wait.
// Run from the repo root:
//   node_modules/.bin/esbuild web/tests/settings.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/settings.test.mjs --log-level=warning && node --test target/web-tests/settings.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCOUNT_DELETED, ApiError, LOGGED_OUT, needsPassword, passwordFormErrors, SESSION_ENDED, staysSignedOut } from '../src/api';
import { formatWait, PASSWORD_CHANGED, passwordChangedMessage } from '../src/format';
import { parseHash } from '../src/router';
import { asciiUrl, checkPassword, checkPasswordChange } from '../src/validate';

const good = 'correct horse battery';

test('a valid change has no errors', () => {
  assert.deepEqual(checkPasswordChange({ current: 'anything', next: good, confirm: good }), {});
  // The bounds are the API's: 12 and 128 characters (Unicode scalar values).
  assert.deepEqual(checkPasswordChange({ current: 'x', next: 'a'.repeat(12), confirm: 'a'.repeat(12) }), {});
  assert.deepEqual(checkPasswordChange({ current: 'x', next: 'é'.repeat(128), confirm: 'é'.repeat(128) }), {});
  assert.deepEqual(checkPasswordChange({ current: 'x', next: '🔑'.repeat(12), confirm: '🔑'.repeat(12) }), {});
});

test('the current password must be given', () => {
  const e = checkPasswordChange({ current: '', next: good, confirm: good });
  assert.deepEqual(Object.keys(e), ['current']);
  assert.equal(e.current, 'Enter your current password.');
});

test('the new password is 12 to 128 characters', () => {
  const short = checkPasswordChange({ current: 'x', next: 'a'.repeat(11), confirm: 'a'.repeat(11) });
  assert.deepEqual(Object.keys(short), ['next']);
  assert.equal(short.next, 'The new password must be at least 12 characters (it has 11).');
  const long = checkPasswordChange({ current: 'x', next: 'a'.repeat(129), confirm: 'a'.repeat(129) });
  assert.equal(long.next, 'The new password must be at most 128 characters (it has 129).');
  assert.equal(checkPasswordChange({ current: 'x', next: '', confirm: '' }).next, 'The new password must be at least 12 characters (it has 0).');
  // The default wording is unchanged for the register form.
  assert.equal(checkPassword('short'), 'The password must be at least 12 characters (it has 5).');
});

test('the confirmation must be typed and match exactly', () => {
  assert.equal(checkPasswordChange({ current: 'x', next: good, confirm: '' }).confirm, 'Type the new password again to confirm it.');
  const mismatch = checkPasswordChange({ current: 'x', next: good, confirm: `${good} ` });
  assert.deepEqual(Object.keys(mismatch), ['confirm']);
  assert.match(mismatch.confirm ?? '', /do not match/);
  assert.match(checkPasswordChange({ current: 'x', next: good, confirm: good.toUpperCase() }).confirm ?? '', /do not match/);
  const all = checkPasswordChange({ current: '', next: 'short', confirm: 'other' });
  assert.deepEqual(Object.keys(all).sort(), ['confirm', 'current', 'next']);
});

test('waits read as words, rounded up', () => {
  assert.equal(formatWait(1), '1 second');
  assert.equal(formatWait(0), '1 second');
  assert.equal(formatWait(45), '45 seconds');
  assert.equal(formatWait(59.2), '1 minute');
  assert.equal(formatWait(60), '1 minute');
  assert.equal(formatWait(61), '2 minutes');
  assert.equal(formatWait(900), '15 minutes');
  assert.equal(formatWait(3600), '1 hour');
  assert.equal(formatWait(3660), '1 hour 1 minute');
  assert.equal(formatWait(7500), '2 hours 5 minutes');
  assert.equal(formatWait(Number.NaN), '1 second');
});

const labels = { current_password: 'The current password', new_password: 'The new password' };

test('a wrong current password is a message by its field only', () => {
  const e = new ApiError(422, 'validation_error', "`current_password` is not the account's password", [{ field: 'current_password', reason: "is not the account's password" }]);
  assert.deepEqual(passwordFormErrors(e, labels), { fields: { current_password: 'The current password is wrong.' }, message: null });
  const d = new ApiError(422, 'validation_error', "`password` is not the account's password", [{ field: 'password', reason: "is not the account's password" }]);
  assert.deepEqual(passwordFormErrors(d, { password: 'The password' }), { fields: { password: 'The password is wrong.' }, message: null });
});

test('a refused new password keeps the server reason as a sentence', () => {
  const e = new ApiError(422, 'validation_error', '`new_password` must be at least 12 characters', [{ field: 'new_password', reason: 'must be at least 12 characters' }]);
  assert.deepEqual(passwordFormErrors(e, labels), { fields: { new_password: 'The new password must be at least 12 characters.' }, message: null });
});

test('too many wrong passwords: a sentence with the wait', () => {
  const e = new ApiError(429, 'rate_limited', 'Too many requests; retry in 840 seconds.', [], 840);
  const r = passwordFormErrors(e, labels);
  assert.deepEqual(r.fields, {});
  assert.equal(r.message, 'Too many wrong passwords for this account or from your network. Wait 14 minutes before trying again.');
  const noHeader = passwordFormErrors(new ApiError(429, 'rate_limited', 'Too many requests.'), labels);
  assert.match(noHeader.message ?? '', /Wait a few minutes/);
});

test('other errors keep the server message (and reasons of fields not on the form)', () => {
  const net = new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  assert.deepEqual(passwordFormErrors(net, labels), { fields: {}, message: net.message });
  const odd = new ApiError(422, 'validation_error', 'Unknown field.', [{ field: 'extra', reason: 'is not allowed' }]);
  assert.deepEqual(passwordFormErrors(odd, labels), { fields: {}, message: 'Unknown field. extra is not allowed.' });
  assert.deepEqual(passwordFormErrors(new Error('boom'), labels), { fields: {}, message: 'boom' });
});

test('the settings route parses', () => {
  assert.equal(parseHash('#/settings').name, 'settings');
  assert.equal(parseHash('#/settings/').name, 'settings');
});

test('a password change says what other sessions had created that went', () => {
  assert.equal(passwordChangedMessage(0, 0), PASSWORD_CHANGED);
  assert.equal(
    passwordChangedMessage(1, 2),
    `${PASSWORD_CHANGED} It also revoked 1 API token and paused 2 webhooks that other sessions had created: check them before you enable or replace them.`,
  );
  assert.match(passwordChangedMessage(3, 0), /revoked 3 API tokens that/);
});

test('an old session is asked for its password, a wrong one is said so', () => {
  const ask = new ApiError(403, 'reauthentication_required', 'This session signed in more than 10 minutes ago: confirm with your password (`password`).');
  assert.deepEqual(needsPassword(ask), { kind: 'ask', message: ask.message });
  const wrong = new ApiError(422, 'validation_error', '`password` is not the account\'s password', [{ field: 'password', reason: "is not the account's password" }]);
  assert.deepEqual(needsPassword(wrong), { kind: 'wrong', message: 'That is not your password.' });
  assert.deepEqual(needsPassword(new ApiError(429, 'rate_limited', 'Too many.', [], 840)), { kind: 'wrong', message: 'Too many wrong passwords. Wait 14 minutes.' });
  const other = new ApiError(422, 'validation_error', 'bad name', [{ field: 'name', reason: 'is empty' }]);
  assert.equal(needsPassword(other), null);
  assert.equal(needsPassword(new Error('x')), null);
});

test('a webhook URL goes to the API as the browser parses it: an internationalised host in its xn-- form', () => {
  assert.equal(asciiUrl(' https://bücher.example/hook '), 'https://xn--bcher-kva.example/hook');
  assert.equal(asciiUrl('https://Hooks.Example.com'), 'https://hooks.example.com/');
  assert.equal(asciiUrl('not a url'), 'not a url', 'left as typed: the API says why');
});

test('the login screen signs in through Access by itself unless the person just left', () => {
  assert.equal(staysSignedOut(LOGGED_OUT), true);
  assert.equal(staysSignedOut(ACCOUNT_DELETED), true);
  // An expired session behind Access is renewed at once.
  assert.equal(staysSignedOut(SESSION_ENDED), false);
  assert.equal(staysSignedOut(null), false);
});
