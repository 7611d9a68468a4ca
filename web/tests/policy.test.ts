// Unit tests of budget policies in words (web/src/policy.ts): the policy
// line of a budget, an action's before → after, the key row's sentence,
// what an undo answered, and the OpenRouter limit suggested for a key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Budget, Key, KeyAction } from '../src/api';
import { eventTypeLabel } from '../src/format';
import {
  actionStateLabel,
  budgetTrigger,
  changeText,
  keyActionSentence,
  lastMonth,
  limitWindow,
  parseActAt,
  policyText,
  settingsText,
  suggestedLimit,
  suggestionBasis,
  triggerText,
  undoMessage,
  usableManagementKey,
  whenText,
} from '../src/policy';

const NOW = new Date('2026-12-04T17:00:00Z');

function key(k: Partial<Key> = {}): Key {
  return {
    id: 1,
    name: 'Admin',
    kind: 'management',
    key_preview: 'sk-or-v1-…abcd',
    is_active: true,
    watched_via: null,
    added_by: 1,
    creator_user_id: null,
    drift: null,
    validation_status: 'valid',
    last_validated_at: null,
    last_synced_at: null,
    last_sync_error: null,
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    snapshot: null,
    ...k,
  };
}

function budget(b: Partial<Budget> = {}): Budget {
  return {
    id: 3,
    source: 'budget',
    scope: 'key',
    api_key_id: 12,
    api_key_name: 'Production',
    amount: '10',
    period: 'monthly',
    thresholds: [50, 80, 100],
    created_at: null,
    updated_at: null,
    action: 'notify',
    action_at: 100,
    dry_run: false,
    action_on_spike: false,
    status: null,
    runway: null,
    ...b,
  };
}

function action(a: Partial<KeyAction> = {}): KeyAction {
  return {
    id: 7,
    api_key_id: 12,
    api_key_name: 'Production',
    budget_id: 3,
    budget: '10 USD monthly budget',
    trigger: '80 %',
    action: 'disable',
    dry_run: false,
    state: 'applied',
    before: { disabled: false, limit: null, limit_reset: null },
    after: { disabled: true, limit: null, limit_reset: null },
    detail: null,
    period_start: '2026-12-01T00:00:00Z',
    restore_at: '2027-01-01T00:00:00Z',
    created_at: '2026-12-04T16:00:00Z',
    updated_at: '2026-12-04T16:00:00Z',
    ...a,
  };
}

test('a management key acts only when active and not rejected', () => {
  assert.equal(usableManagementKey([]), null);
  assert.equal(usableManagementKey([key({ kind: 'inference' })]), null);
  assert.equal(usableManagementKey([key({ is_active: false })]), null);
  assert.equal(usableManagementKey([key({ validation_status: 'invalid' })]), null);
  // Not checked yet (OpenRouter was unreachable) still counts: the Worker uses it.
  assert.equal(usableManagementKey([key({ validation_status: 'unknown' })])?.id, 1);
  assert.equal(usableManagementKey([key({ kind: 'inference', id: 2 }), key({ id: 5 })])?.id, 5);
});

test("a budget's policy in words", () => {
  assert.equal(policyText(budget()), null);
  assert.equal(policyText(budget({ action: 'disable', action_at: 80, dry_run: true })), 'Disables the key on OpenRouter at 80 % · dry run');
  assert.equal(policyText(budget({ action: 'disable', action_at: 100, scope: 'account' })), 'Disables every key on OpenRouter at 100 %');
  assert.equal(policyText(budget({ action: 'limit', action_at: null })), 'Limits the key on OpenRouter to the budget when projected to run out');
  assert.equal(policyText(budget({ action: 'disable', action_at: 100, action_on_spike: true })), 'Disables the key on OpenRouter at 100 %, or at once on a spend spike');
  assert.equal(
    policyText(budget({ action: 'disable', action_at: 100, scope: 'account', action_on_spike: true, dry_run: true })),
    'Disables every key on OpenRouter at 100 %, and a key whose spend spikes at once · dry run',
  );
  assert.equal(triggerText(1), 'at 1 %');
});

test('act at: a whole percentage from 1 to 100', () => {
  assert.deepEqual(parseActAt('80'), { value: 80, error: null });
  assert.deepEqual(parseActAt(' 100 % '), { value: 100, error: null });
  for (const bad of ['0', '101', '', '8.5', '-1', 'eighty', '1000']) assert.equal(parseActAt(bad).value, null, bad);
});

test("a key's settings and what an action changed, in words", () => {
  assert.equal(settingsText({ disabled: false, limit: null, limit_reset: null }), 'enabled, no limit');
  assert.equal(settingsText({ disabled: true, limit: '2.5', limit_reset: null }), 'disabled, limit 2.50 USD (never resets)');
  const a = action();
  assert.equal(changeText(a.before, a.after), 'Enabled → disabled');
  assert.equal(
    changeText({ disabled: false, limit: null, limit_reset: null }, { disabled: false, limit: '10', limit_reset: 'monthly' }),
    'No limit → limit 10 USD monthly',
  );
  // "10" and "10.00" are the same amount: nothing changed.
  assert.equal(changeText({ disabled: false, limit: '10', limit_reset: 'monthly' }, { disabled: false, limit: '10.00', limit_reset: 'monthly' }), 'Unchanged (enabled, limit 10 USD monthly)');
  assert.equal(changeText(null, a.after), '→ disabled, no limit');
  assert.equal(changeText(null, null), 'Not read from OpenRouter yet');
});

test('the key row says what is in force, by which budget, until when', () => {
  assert.equal(keyActionSentence(action(), NOW), 'Disabled by policy (10 USD monthly budget, 80 %) until 1 Jan 2027 00:00 UTC');
  assert.equal(whenText('2026-12-08T00:00:00Z', NOW), '8 Dec 00:00 UTC');
  const limited = action({ action: 'limit', after: { disabled: false, limit: '10', limit_reset: 'monthly' }, restore_at: '2026-12-31T23:00:00Z' });
  assert.equal(keyActionSentence(limited, NOW), 'Limited to 10 USD monthly by policy (10 USD monthly budget, 80 %) until 31 Dec 23:00 UTC');
  const dry = action({ state: 'dry_run', dry_run: true, trigger: 'projected exhaustion' });
  assert.equal(keyActionSentence(dry, NOW), 'The policy (10 USD monthly budget, projected exhaustion) would have disabled this key; nothing was changed on OpenRouter (dry run)');
  assert.equal(budgetTrigger(dry), '10 USD monthly budget on projected exhaustion');
  assert.equal(budgetTrigger(action()), '10 USD monthly budget at 80 %');
});

test('an undo answered: put back, left as changed on OpenRouter, or not reachable', () => {
  const undone = undoMessage(action({ state: 'undone' }), NOW);
  assert.equal(undone.tone, 'success');
  assert.match(undone.text, /“Production” was put back on OpenRouter as it was before the policy acted \(enabled, no limit\)/);
  const kept = undoMessage(action({ state: 'kept', detail: 'left as set on OpenRouter: `disabled` was changed there since the action' }), NOW);
  assert.equal(kept.tone, 'warning');
  assert.match(kept.text, /left as it is on OpenRouter: someone changed it there/);
  const stuck = undoMessage(action({ state: 'applied', detail: 'OpenRouter did not answer' }), NOW);
  assert.equal(stuck.tone, 'error');
  assert.match(stuck.text, /could not be put back now: OpenRouter did not answer\. It stays disabled; try again, or it is put back on 1 Jan 2027 00:00 UTC\./);
  assert.equal(actionStateLabel('kept'), 'Left as changed on OpenRouter');
});

test('the suggested OpenRouter limit: the key budget, else 1.5 × last month rounded up, at least 1 USD', () => {
  assert.deepEqual(suggestedLimit([budget({ period: 'weekly', amount: '4' }), budget({ period: 'monthly', amount: '12.50' })], '99'), { amount: '12.5', period: 'monthly', basis: 'budget' });
  assert.deepEqual(suggestedLimit([budget({ period: 'daily', amount: '2' })], null), { amount: '2', period: 'daily', basis: 'budget' });
  // An implicit budget (OpenRouter's own limit) is no basis.
  assert.deepEqual(suggestedLimit([budget({ source: 'openrouter_limit', id: null })], '10'), { amount: '15', period: 'monthly', basis: 'spend' });
  assert.deepEqual(suggestedLimit([], '10.01'), { amount: '16', period: 'monthly', basis: 'spend' });
  assert.deepEqual(suggestedLimit([], '0.0000000001'), { amount: '1', period: 'monthly', basis: 'spend' });
  assert.deepEqual(suggestedLimit([], '0'), { amount: '1', period: 'monthly', basis: 'spend' });
  assert.deepEqual(suggestedLimit([], null), { amount: '1', period: 'monthly', basis: 'spend' });
  assert.deepEqual(suggestedLimit([], '2'), { amount: '3', period: 'monthly', basis: 'spend' });
  assert.deepEqual(suggestedLimit([], '1234.5'), { amount: '1852', period: 'monthly', basis: 'spend' });
});

test('the suggestion says why; the window of a limit in words', () => {
  assert.equal(suggestionBasis(suggestedLimit([budget({ period: 'weekly', amount: '4' })], '99'), '99'), "Suggested: the key's weekly budget.");
  assert.equal(suggestionBasis(suggestedLimit([], '10'), '10'), 'Suggested: 1.5 × what it spent last month (10 USD), rounded up to a whole dollar.');
  assert.equal(suggestionBasis(suggestedLimit([], '0.2'), '0.2'), 'Suggested: 1 USD, the least (it spent 0.20 USD last month).');
  assert.equal(suggestionBasis(suggestedLimit([], '0'), '0'), 'Suggested: 1 USD, the least (it spent nothing last month).');
  assert.equal(suggestionBasis(suggestedLimit([], null), null), "Suggested: 1 USD, the least (last month's spend is not known).");
  assert.equal(limitWindow('weekly'), 'in a week (from Monday, UTC)');
  assert.equal(limitWindow(null), 'in all (it never resets)');
});

test('a limit set from the Keys screen, as the actions list says it', () => {
  const set = action({ state: 'set', action: 'limit', budget_id: null, budget: 'set by you', trigger: 'one click', before: { disabled: false, limit: null, limit_reset: null }, after: { disabled: false, limit: '25', limit_reset: 'monthly' } });
  assert.equal(budgetTrigger(set), 'Set by you from the Keys screen');
  assert.equal(actionStateLabel('set'), 'Limit set');
  assert.equal(changeText(set.before, set.after), 'No limit → limit 25 USD monthly');
});

test('last month in UTC days, across a year', () => {
  assert.deepEqual(lastMonth(NOW), { start: '2026-11-01', end: '2026-11-30' });
  assert.deepEqual(lastMonth(new Date('2027-01-01T00:00:00Z')), { start: '2026-12-01', end: '2026-12-31' });
  assert.deepEqual(lastMonth(new Date('2028-03-31T23:59:59Z')), { start: '2028-02-01', end: '2028-02-29' });
});

test('the policy events have labels', () => {
  assert.equal(eventTypeLabel('key.disabled'), 'Key disabled by policy');
  assert.equal(eventTypeLabel('key.enabled'), 'Key put back');
  assert.equal(eventTypeLabel('key.limit_changed'), 'Key limit changed by policy');
  assert.equal(eventTypeLabel('policy.failed'), 'Policy failed');
});
