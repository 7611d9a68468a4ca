// Unit tests of the e-mail and digest words of the Settings screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emailStatusText, previewText } from '../src/email';

test('each status in words, an unknown one as it is', () => {
  assert.match(emailStatusText('unconfirmed'), /Nothing else is sent/);
  assert.match(emailStatusText('confirmed'), /Confirmed/);
  assert.match(emailStatusText('unsubscribed'), /Unsubscribed/);
  assert.equal(emailStatusText('none'), 'No address yet.');
  assert.equal(emailStatusText('later'), 'later');
});

test('a preview says where it went and what it counted, or why not', () => {
  const p = { status: 'sent', period_start: '2026-11-30', period_end: '2026-12-02', total_cost: '1.5', channel: 'email' };
  assert.equal(previewText(p), 'Preview sent to your address: 1.5 USD from 2026-11-30 to 2026-12-02.');
  assert.match(previewText({ ...p, channel: 'webhook' }), /your webhook/);
  assert.match(previewText({ ...p, status: 'capped' }), /limit is reached/);
  assert.match(previewText({ ...p, status: 'failed' }), /could not be sent \(failed\)/);
});
