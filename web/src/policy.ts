// Budget policies in words (docs/policies.md): what a budget does to its
// OpenRouter keys, what an action did (before → after), the sentence a key
// row shows while an action is in force, the answer to an undo, and the
// OpenRouter limit suggested for a key without one. Pure (no DOM): dates are
// UTC, money is exact (BigInt) until it is written out.
import type { Budget, BudgetPeriod, Key, KeyAction, KeyActionState, KeySettings } from './api';
import { formatMoney, parseMoney } from './money';
import { shortDate, usd } from './runway';

/** The management key policies act through: the first active key of kind
 *  `management` that OpenRouter has not rejected (the one the Worker uses),
 *  or null when the account has none. */
export function usableManagementKey(keys: readonly Key[]): Key | null {
  return keys.find((k) => k.kind === 'management' && k.is_active && k.validation_status !== 'invalid') ?? null;
}

/** "at 80 %", or "when projected to run out" (`action_at` null). */
export function triggerText(actionAt: number | null): string {
  return actionAt === null ? 'when projected to run out' : `at ${actionAt} %`;
}

/** A budget's policy in words ("Disables the key at 80 % · dry run"), or
 *  null when it only notifies. */
export function policyText(b: Pick<Budget, 'action' | 'action_at' | 'dry_run' | 'scope' | 'action_on_spike'>): string | null {
  if (b.action === 'notify') return null;
  const what = b.action === 'limit' ? 'Limits the key on OpenRouter to the budget' : b.scope === 'account' ? 'Disables every key on OpenRouter' : 'Disables the key on OpenRouter';
  const spike = b.action_on_spike ? (b.scope === 'account' ? ', and a key whose spend spikes at once' : ', or at once on a spend spike') : '';
  return `${what} ${triggerText(b.action_at)}${spike}${b.dry_run ? ' · dry run' : ''}`;
}

/** "10 USD monthly", "2.50 USD (never resets)". */
export function limitText(limit: string, reset: string | null): string {
  return `${usd(limit)} USD ${reset ?? '(never resets)'}`;
}

/** A key's settings in words: "enabled, no limit", "disabled, limit 10 USD monthly". */
export function settingsText(s: KeySettings): string {
  return `${s.disabled ? 'disabled' : 'enabled'}, ${s.limit === null ? 'no limit' : `limit ${limitText(s.limit, s.limit_reset)}`}`;
}

function limitPart(s: KeySettings): string {
  return s.limit === null ? 'no limit' : `limit ${limitText(s.limit, s.limit_reset)}`;
}

/** What an action changes, only the fields that differ: "Enabled → disabled",
 *  "No limit → limit 10 USD monthly". */
export function changeText(before: KeySettings | null, after: KeySettings | null): string {
  if (!after) return before ? capitalize(settingsText(before)) : 'Not read from OpenRouter yet';
  if (!before) return `→ ${settingsText(after)}`;
  const parts: string[] = [];
  if (before.disabled !== after.disabled) parts.push(`${before.disabled ? 'disabled' : 'enabled'} → ${after.disabled ? 'disabled' : 'enabled'}`);
  const sameLimit = before.limit === after.limit || (before.limit !== null && after.limit !== null && parseMoney(before.limit) === parseMoney(after.limit));
  if (!sameLimit || before.limit_reset !== after.limit_reset) parts.push(`${limitPart(before)} → ${limitPart(after)}`);
  return parts.length === 0 ? `Unchanged (${settingsText(after)})` : capitalize(parts.join('; '));
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "1 Jan 00:00 UTC" (the year added when it is not `now`'s). */
export function whenText(ts: string, now: Date = new Date()): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return `${shortDate(ts, now)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** "10 USD monthly budget at 80 %", "10 USD monthly budget on projected
 *  exhaustion"; a limit set from the Keys screen says so. */
export function budgetTrigger(a: Pick<KeyAction, 'budget' | 'trigger' | 'state'>): string {
  if (a.state === 'set') return 'Set by you from the Keys screen';
  return `${a.budget} ${/^\d/.test(a.trigger) ? 'at' : 'on'} ${a.trigger}`;
}

/** "Disable the key" / "Limit the key". */
export function actionVerb(a: Pick<KeyAction, 'action' | 'state'>): string {
  if (a.state === 'set') return 'Set a limit on the key';
  return a.action === 'limit' ? 'Limit the key' : 'Disable the key';
}

/** Where an action stands, as its badge says it. */
export function actionStateLabel(state: KeyActionState): string {
  switch (state) {
    case 'pending':
      return 'Pending';
    case 'applied':
      return 'In force';
    case 'dry_run':
      return 'Dry run: nothing changed';
    case 'skipped':
      return 'Skipped';
    case 'failed':
      return 'Failed';
    case 'restored':
      return 'Put back';
    case 'undone':
      return 'Undone';
    case 'kept':
      return 'Left as changed on OpenRouter';
    case 'set':
      return 'Limit set';
    default:
      return state;
  }
}

/** The key row's sentence for an action in force or a dry run of this
 *  period: "Disabled by policy (10 USD monthly budget, 80 %) until 1 Jan
 *  00:00 UTC", "Limited to 10 USD monthly by policy (…) until …", "The
 *  policy (…) would have disabled this key; … (dry run)". */
export function keyActionSentence(a: KeyAction, now: Date = new Date()): string {
  const why = `(${a.budget}, ${a.trigger})`;
  const limit = a.after?.limit != null ? `to ${limitText(a.after.limit, a.after.limit_reset)}` : null;
  if (a.state === 'dry_run' || a.dry_run) {
    const would = a.action === 'limit' ? `limited this key${limit ? ` ${limit}` : ''}` : 'disabled this key';
    return `The policy ${why} would have ${would}; nothing was changed on OpenRouter (dry run)`;
  }
  const done = a.action === 'limit' ? `Limited${limit ? ` ${limit}` : ''}` : 'Disabled';
  return `${done} by policy ${why} until ${whenText(a.restore_at, now)}`;
}

export interface Message {
  tone: 'success' | 'warning' | 'error' | 'info';
  text: string;
}

/** What the page says after an undo, from the action it answered. */
export function undoMessage(a: KeyAction, now: Date = new Date()): Message {
  const name = `“${a.api_key_name}”`;
  switch (a.state) {
    case 'undone':
      return { tone: 'success', text: `${name} was put back on OpenRouter as it was before the policy acted${a.before ? ` (${settingsText(a.before)})` : ''}. The budget does not act on it again this period.` };
    case 'kept':
      return {
        tone: 'warning',
        text: `${name} was left as it is on OpenRouter: someone changed it there after the policy acted, so the product did not overwrite it${a.detail ? ` (${a.detail})` : ''}.`,
      };
    case 'applied':
      return {
        tone: 'error',
        text: `${name} could not be put back now${a.detail ? `: ${a.detail}` : ''}. It stays ${a.action === 'limit' ? 'limited' : 'disabled'}; try again, or it is put back on ${whenText(a.restore_at, now)}.`,
      };
    default:
      return { tone: 'info', text: `The action on ${name} is now: ${actionStateLabel(a.state).toLowerCase()}.` };
  }
}

/** The previous calendar month, in UTC days ("2026-11-01" to "2026-11-30"). */
export function lastMonth(now: Date = new Date()): { start: string; end: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { start: first.toISOString().slice(0, 10), end: last.toISOString().slice(0, 10) };
}

const SCALE = 10n ** 10n;
const PERIOD_PREFERENCE: BudgetPeriod[] = ['monthly', 'weekly', 'daily'];

export interface SuggestedLimit {
  amount: string;
  period: BudgetPeriod;
  /** Why this figure: the key's budget, or its spend last month. */
  basis: 'budget' | 'spend';
}

/** The OpenRouter limit offered for a key without one: the amount and
 *  period of the key's own budget (the monthly one first), else last
 *  month's spend × 1.5 rounded up to a whole dollar, at least 1 USD, monthly. */
export function suggestedLimit(budgets: readonly Budget[], lastMonthSpend: string | null): SuggestedLimit {
  for (const period of PERIOD_PREFERENCE) {
    const b = budgets.find((x) => x.source === 'budget' && x.scope === 'key' && x.period === period);
    if (b) return { amount: formatMoney(parseMoney(b.amount)), period, basis: 'budget' };
  }
  let spend = 0n;
  try {
    spend = lastMonthSpend === null ? 0n : parseMoney(lastMonthSpend);
  } catch {
    spend = 0n;
  }
  const scaled = spend > 0n ? spend * 3n : 0n; // × 1.5, over 2 below
  const dollars = (scaled + 2n * SCALE - 1n) / (2n * SCALE);
  return { amount: (dollars < 1n ? 1n : dollars).toString(), period: 'monthly', basis: 'spend' };
}

/** Why the suggested limit is what it is, for the hint under the amount. */
export function suggestionBasis(s: SuggestedLimit, lastMonthSpend: string | null): string {
  if (s.basis === 'budget') return `Suggested: the key's ${s.period} budget.`;
  let spent = 0n;
  try {
    spent = lastMonthSpend === null ? 0n : parseMoney(lastMonthSpend);
  } catch {
    spent = 0n;
  }
  if (spent <= 0n || s.amount === '1') return lastMonthSpend === null ? 'Suggested: 1 USD, the least (last month\'s spend is not known).' : spent <= 0n ? 'Suggested: 1 USD, the least (it spent nothing last month).' : `Suggested: 1 USD, the least (it spent ${usd(formatMoney(spent))} USD last month).`;
  return `Suggested: 1.5 × what it spent last month (${usd(formatMoney(spent))} USD), rounded up to a whole dollar.`;
}

/** "in a day (UTC)", "in a week (from Monday, UTC)", "in a month (UTC)", "in all (it never resets)". */
export function limitWindow(reset: BudgetPeriod | null): string {
  switch (reset) {
    case 'daily':
      return 'in a day (UTC)';
    case 'weekly':
      return 'in a week (from Monday, UTC)';
    case 'monthly':
      return 'in a month (UTC)';
    default:
      return 'in all (it never resets)';
  }
}

/** "Act at" as typed: a whole percentage 1..100 ("80" or "80 %"). */
export function parseActAt(input: string): { value: number; error: null } | { value: null; error: string } {
  const t = input.trim().replace(/\s*%$/, '');
  if (!/^\d{1,3}$/.test(t) || Number(t) < 1 || Number(t) > 100) return { value: null, error: 'Enter a whole percentage from 1 to 100, like 80.' };
  return { value: Number(t), error: null };
}
