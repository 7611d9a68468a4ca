/** API token scopes and expiry, as the Tokens screen offers and shows them. */
import type { ApiToken, TokenScope } from './api';

export const SCOPES: { value: TokenScope; label: string }[] = [
  { value: 'stats:read', label: 'Totals (stats:read)' },
  { value: 'usage:read', label: 'Usage rows (usage:read)' },
  { value: 'keys:read', label: 'Keys (keys:read)' },
  { value: 'metrics:read', label: 'Metrics (metrics:read)' },
];

export type ExpiryChoice = 'never' | '30' | '90' | '365';

export const EXPIRIES: { value: ExpiryChoice; label: string }[] = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 365 days' },
];

export function parseExpiry(v: string): ExpiryChoice {
  return v === '30' || v === '90' || v === '365' ? v : 'never';
}

/** The `expires_at` to send: `null` for never, else `days` from `now`, to the second, in UTC. */
export function expiresAt(choice: ExpiryChoice, now: Date = new Date()): string | null {
  if (choice === 'never') return null;
  const at = new Date(now.getTime() + Number(choice) * 86_400_000);
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** "expires 4 Mar 2027", "expired", "never expires" (dates in UTC). */
export function expiryText(t: Pick<ApiToken, 'expires_at' | 'expired'>): string {
  if (t.expired) return 'expired';
  if (!t.expires_at) return 'never expires';
  const d = new Date(t.expires_at);
  if (Number.isNaN(d.getTime())) return `expires ${t.expires_at}`;
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return `expires ${day}`;
}

/** "all" when a token reads everything, else its scopes by name. */
export function scopesText(scopes: readonly TokenScope[]): string {
  return scopes.length === SCOPES.length ? 'all (stats, usage, keys, metrics)' : scopes.join(', ');
}
