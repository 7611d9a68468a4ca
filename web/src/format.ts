import type { Key } from './api';

const int = new Intl.NumberFormat('en-US');

export function formatInt(n: number): string {
  return int.format(n);
}

export function formatPercent(r: number): string {
  const p = r * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

export const ALL_MODELS = '(all models)';

/** The model column's text: `(all models)` is explained in a footnote. */
export function modelLabel(model: string): string {
  return model === ALL_MODELS ? 'All models (from key totals)' : model;
}

export function statusText(k: Key): string {
  return k.validation_status === 'valid' ? 'Valid' : k.validation_status === 'invalid' ? 'Invalid' : 'Not checked yet';
}

export function statusSentence(status: Key['validation_status']): string {
  switch (status) {
    case 'valid':
      return 'OpenRouter accepted this key: it is valid and will be synced every hour.';
    case 'invalid':
      return 'OpenRouter rejected this key: it is stored but not synced until it validates again (checked daily).';
    default:
      return 'OpenRouter could not be reached to check this key: it is stored as unknown and checked again later.';
  }
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** A wait (Retry-After seconds) in words, rounded up: "45 seconds",
 *  "2 minutes", "1 hour 5 minutes". */
export function formatWait(seconds: number): string {
  const s = Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
  if (s < 60) return plural(s, 'second');
  const min = Math.ceil(s / 60);
  if (min < 60) return plural(min, 'minute');
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m === 0 ? plural(h, 'hour') : `${plural(h, 'hour')} ${plural(m, 'minute')}`;
}

/** An alert's type in words. */
export function eventTypeLabel(type: string): string {
  switch (type) {
    case 'budget.threshold_reached':
      return 'Threshold reached';
    case 'budget.projected_exhaustion':
      return 'Will run out';
    case 'budget.recovered':
      return 'New period, re-armed';
    case 'key.woke_up':
      return 'Key spends again';
    case 'key.disabled':
      return 'Key disabled by policy';
    case 'key.enabled':
      return 'Key put back';
    case 'key.limit_changed':
      return 'Key limit changed by policy';
    case 'policy.failed':
      return 'Policy failed';
    case 'spend.spike':
      return 'Spend spike';
    case 'data.drift':
      return 'Figures disagree';
    case 'test':
      return 'Test';
    default:
      return type;
  }
}

/** A key's drift in words: "On 2026-12-03 OpenRouter's activity says 3.5
 * USD, the running total grew by 3 USD", or null when it never drifted. */
export function driftText(drift: Key['drift'] | undefined): string | null {
  if (!drift) return null;
  return `On ${drift.day} OpenRouter's activity says ${drift.activity} USD, the running total grew by ${drift.running_total} USD.`;
}

/** The spike sensitivities, as the Settings control offers them. */
export const SPIKE_LEVELS: ReadonlyArray<{ value: 'off' | 'low' | 'normal' | 'high'; label: string }> = [
  { value: 'off', label: 'Off: never' },
  { value: 'low', label: 'Low: from 5 USD an hour, 5× the usual' },
  { value: 'normal', label: 'Normal: from 1 USD an hour, 3× the usual' },
  { value: 'high', label: 'High: from 0.25 USD an hour, 2× the usual' },
];

/** A delivery attempt in words: "HTTP 200", "HTTP 500", or the error. */
export function attemptOutcome(a: { status_code: number | null; error: string | null }): string {
  if (a.status_code !== null) return a.error ? `HTTP ${a.status_code}: ${a.error}` : `HTTP ${a.status_code}`;
  return a.error ?? 'no answer';
}

/** " in 120 ms" when the receiver answered; nothing when it did not (no timing is kept then). */
export function attemptTime(a: { duration_ms: number | null }): string {
  return a.duration_ms === null ? '' : ` in ${formatInt(a.duration_ms)} ms`;
}

/** "2026-11-29 14:05:03 UTC" (to the second, for delivery attempts). */
export function formatSeconds(ts: string | null): string {
  if (!ts) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The result of "Send test event" as a sentence. */
export function deliverySummary(d: { status: string; attempts: { status_code: number | null; error: string | null; duration_ms: number | null }[] }): string {
  const last = d.attempts[d.attempts.length - 1];
  const n = d.attempts.length;
  const tries = `${n} ${n === 1 ? 'attempt' : 'attempts'}`;
  const outcome = last ? `${attemptOutcome(last)}${attemptTime(last)}` : 'no attempt yet';
  switch (d.status) {
    case 'delivered':
      return `Delivered: ${outcome}${n > 1 ? ` (after ${tries})` : ''}.`;
    case 'failed':
      return `Failed after ${tries}: ${outcome}.`;
    case 'sending':
      return 'Being sent now.';
    case 'retrying':
      return `Not delivered yet (${tries}, last ${outcome}); later runs try again, minutes and then hours apart.`;
    default:
      return 'Pending: not sent yet.';
  }
}

export const PASSWORD_CHANGED = 'Password changed. Every other session has been signed out.';

/** The success message, with what other sessions had created that went. */
export function passwordChangedMessage(revokedTokens: number, pausedWebhooks: number): string {
  const parts: string[] = [];
  if (revokedTokens > 0) parts.push(`revoked ${revokedTokens} API ${revokedTokens === 1 ? 'token' : 'tokens'}`);
  if (pausedWebhooks > 0) parts.push(`paused ${pausedWebhooks} ${pausedWebhooks === 1 ? 'webhook' : 'webhooks'}`);
  if (parts.length === 0) return PASSWORD_CHANGED;
  const what = parts.join(' and ');
  return `${PASSWORD_CHANGED} It also ${what} that other sessions had created: check them before you enable or replace them.`;
}
