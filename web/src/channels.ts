// A webhook's channel and filters in words, and the filters a form sends.
import type { Webhook, WebhookFormat } from './api';

export type Severity = Webhook['min_severity'];
export type KindFilter = NonNullable<Webhook['event_kinds']>[number];

export const FORMATS: { value: WebhookFormat; label: string; short: string }[] = [
  { value: 'json', label: 'JSON (the whole event, signed)', short: 'JSON' },
  { value: 'slack', label: 'Slack (a text message)', short: 'Slack' },
  { value: 'discord', label: 'Discord (a message with an embed)', short: 'Discord' },
  { value: 'teams', label: 'Microsoft Teams (an Adaptive Card, Workflows)', short: 'Teams' },
  { value: 'pagerduty', label: 'PagerDuty (Events API v2)', short: 'PagerDuty' },
  { value: 'ntfy', label: 'ntfy (a push notification)', short: 'ntfy' },
];

export const SEVERITIES: { value: Severity; label: string }[] = [
  { value: 'info', label: 'Everything (info and up)' },
  { value: 'warning', label: 'Warnings and critical' },
  { value: 'critical', label: 'Critical only' },
];

/** The families a form offers, each with what it covers. */
export const FAMILIES: { value: KindFilter; label: string }[] = [
  { value: 'budget', label: 'Budget alerts' },
  { value: 'key', label: 'Key changes and wake-ups' },
  { value: 'policy', label: 'Policy failures' },
  { value: 'spend', label: 'Spend spikes' },
  { value: 'data', label: 'Data drift' },
];

export function formatShort(format: string): string {
  return FORMATS.find((f) => f.value === format)?.short ?? format;
}

export function parseFormat(value: string): WebhookFormat {
  return FORMATS.find((f) => f.value === value)?.value ?? 'json';
}

export function parseSeverity(value: string): Severity {
  return SEVERITIES.find((s) => s.value === value)?.value ?? 'info';
}

/** Every family ticked: every kind (null), new kinds included. None: an error. */
export function kindsToSend(ticked: readonly KindFilter[]): KindFilter[] | null | 'none' {
  if (ticked.length === 0) return 'none';
  if (FAMILIES.every((f) => ticked.includes(f.value))) return null;
  return FAMILIES.map((f) => f.value).filter((v) => ticked.includes(v));
}

/** The families a webhook's `event_kinds` ticks: every one for null. */
export function tickedOf(kinds: readonly string[] | null): KindFilter[] {
  return FAMILIES.map((f) => f.value).filter((v) => kinds === null || kinds.includes(v));
}

/** `All events · info and up`, `budget, key · critical only`. */
export function filtersSummary(w: Pick<Webhook, 'event_kinds' | 'min_severity'>): string {
  const kinds = w.event_kinds === null ? 'all events' : w.event_kinds.join(', ');
  const least = w.min_severity === 'info' ? 'info and up' : w.min_severity === 'warning' ? 'warnings and critical' : 'critical only';
  return `Receives ${kinds} · ${least}`;
}
