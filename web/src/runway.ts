// Budgets in words: the runway sentence under each budget bar, the labels of
// a budget (scope, source, period) and the order they are listed in. Pure
// (no DOM): dates are UTC days, money is exact (BigInt) until it is rounded
// to cents for a sentence.
import type { AnyBudgetPeriod, Budget, BudgetSource, Runway, RunwayStatus } from './api';
import { formatMoney, parseMoney } from './money';

/** "14 Dec" (UTC day of `ts`); the year is added when it is not `now`'s. */
export function shortDate(ts: string, now: Date = new Date()): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const sameYear = d.getUTCFullYear() === now.getUTCFullYear();
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: sameYear ? undefined : 'numeric', timeZone: 'UTC' });
}

/** An exact amount for prose: "10", "10.50", "0.0001234" (nothing rounded). */
export function usd(text: string): string {
  const c = formatMoney(parseMoney(text));
  const [whole = '0', frac] = c.split('.');
  return frac === undefined ? whole : `${whole}.${frac.padEnd(2, '0')}`;
}

/** An amount rounded half up to cents, for projections: "9.40". */
export function usdCents(text: string): string {
  const units = parseMoney(text);
  const cent = 100_000_000n; // 1e-2 USD in 1e-10 units
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const cents = (abs + cent / 2n) / cent;
  const body = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
  return neg && cents !== 0n ? `-${body}` : body;
}

/** "82%", "82.5%" from the API's exact percentage string. */
export function percentText(p: string): string {
  return `${formatMoney(parseMoney(p))}%`;
}

/** The fill of a bar, 0..100 (a budget over its amount is a full bar). */
export function barPercent(b: Budget): number {
  if (!b.status) return 0;
  const n = Number(b.status.percent_used);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

export function periodLabel(p: AnyBudgetPeriod): string {
  switch (p) {
    case 'daily':
      return 'Daily';
    case 'weekly':
      return 'Weekly (from Monday)';
    case 'monthly':
      return 'Monthly';
    default:
      return 'Lifetime (never resets)';
  }
}

export function sourceLabel(s: BudgetSource): string {
  return s === 'budget' ? 'Your budget' : 'OpenRouter limit';
}

/** "Account" or "Key “Production”". */
export function scopeLabel(b: Budget): string {
  return b.scope === 'account' ? 'Account' : `Key “${b.api_key_name ?? `#${b.api_key_id ?? '?'}`}”`;
}

/** What a screen reader hears for the bar, and its visible title. */
export function budgetTitle(b: Budget): string {
  const what = b.source === 'budget' ? 'budget' : 'OpenRouter limit';
  return `${scopeLabel(b)}: ${periodLabel(b.period).toLowerCase()} ${what} of ${usd(b.amount)} USD`;
}

const PERIOD_ORDER: Record<AnyBudgetPeriod, number> = { daily: 0, weekly: 1, monthly: 2, lifetime: 3 };

/** The account's budgets first, then each key's (by name), shortest period first. */
export function sortBudgets(list: readonly Budget[]): Budget[] {
  return [...list].sort((a, b) => {
    if (a.scope !== b.scope) return a.scope === 'account' ? -1 : 1;
    const n = (a.api_key_name ?? '').localeCompare(b.api_key_name ?? '');
    if (n !== 0) return n;
    if ((a.api_key_id ?? 0) !== (b.api_key_id ?? 0)) return (a.api_key_id ?? 0) - (b.api_key_id ?? 0);
    return PERIOD_ORDER[a.period] - PERIOD_ORDER[b.period];
  });
}

/** ok / warning (a threshold fired, or the projection crosses the amount) / over. */
export type BudgetTone = 'ok' | 'warning' | 'over' | 'unknown';

export function budgetTone(b: Budget): BudgetTone {
  if (!b.status) return 'unknown';
  if (parseMoney(b.status.percent_used) >= parseMoney('100') || b.runway?.status === 'exceeded') return 'over';
  if (b.status.fired.length > 0 || b.runway?.status === 'will_exceed') return 'warning';
  return 'ok';
}

export type RunwayKind = RunwayStatus | 'no_status' | 'no_runway';

export interface RunwayLine {
  kind: RunwayKind;
  text: string;
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

/** The sentence under a budget bar. `now` only decides whether a date needs its year. */
export function runwaySentence(b: Budget, now: Date = new Date()): RunwayLine {
  if (!b.status) return { kind: 'no_status', text: 'No data yet: the first sync of a key fills this in.' };
  const r: Runway | null = b.runway;
  if (!r) {
    // Already over needs no projection.
    if (parseMoney(b.status.percent_used) >= parseMoney('100')) {
      return { kind: 'exceeded', text: b.status.period_end ? `Exceeded. It resets on ${shortDate(b.status.period_end, now)}.` : 'Exceeded.' };
    }
    return { kind: 'no_runway', text: 'No projection yet: it needs two syncs at least an hour apart in the last 7 days.' };
  }
  const what = b.source === 'openrouter_limit' ? 'the limit' : 'the budget';
  switch (r.status) {
    case 'exceeded':
      return { kind: 'exceeded', text: r.resets_at ? `Exceeded. It resets on ${shortDate(r.resets_at, now)}.` : 'Exceeded.' };
    case 'idle':
      return { kind: 'idle', text: 'No spend in the last 7 days.' };
    case 'will_exceed': {
      const when = r.reached_at ? ` on ${shortDate(r.reached_at, now)}` : '';
      let tail = '.';
      if (r.resets_at) {
        if (r.days_before_reset === null || !r.reached_at) tail = `, before it resets on ${shortDate(r.resets_at, now)}.`;
        else if (r.days_before_reset <= 0) tail = ', less than a day before it resets.';
        else tail = `, ${days(r.days_before_reset)} before it resets.`;
      }
      return { kind: 'will_exceed', text: `At this rate ${what} is reached${when}${tail}` };
    }
    case 'on_track': {
      if (r.projected_period_spend !== null && r.resets_at) {
        return {
          kind: 'on_track',
          text: `On track: projected ${usdCents(r.projected_period_spend)} USD of ${usd(b.amount)} USD by the reset on ${shortDate(r.resets_at, now)}.`,
        };
      }
      if (r.reached_at) return { kind: 'on_track', text: `On track: at this rate ${what} is reached on ${shortDate(r.reached_at, now)}.` };
      return { kind: 'on_track', text: `On track at ${usdCents(r.burn_rate_per_day)} USD a day.` };
    }
    default:
      return { kind: 'no_runway', text: 'No projection.' };
  }
}

/** "About 0.60 USD a day over the last 7 days." (null without a runway, or idle). */
export function burnRateText(r: Runway | null): string | null {
  if (!r || r.status === 'idle') return null;
  return `About ${usdCents(r.burn_rate_per_day)} USD a day over the last 7 days.`;
}
