// UTC calendar days (YYYY-MM-DD), the only days the API knows.
import { isDate } from './validate';

const DAY_MS = 86_400_000;

export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function toMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function addDays(day: string, n: number): string {
  return new Date(toMs(day) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from start to end counting both ends. */
export function daysInclusive(start: string, end: string): number {
  return Math.round((toMs(end) - toMs(start)) / DAY_MS) + 1;
}

export function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

export type RangePreset = '7d' | '30d' | '90d' | '365d' | 'mtd' | 'custom';

export const PRESETS: { value: RangePreset; label: string }[] = [
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '365 days' },
  { value: 'mtd', label: 'Month to date' },
  { value: 'custom', label: 'Custom' },
];

export interface ResolvedRange {
  preset: RangePreset;
  /** What the dashboard endpoint gets. */
  query: { days?: number; start_date?: string; end_date?: string };
  start: string;
  end: string;
  error: string | null;
}

export const MAX_RANGE_DAYS = 365;

export function checkRange(start: string, end: string): string | null {
  if (!isDate(start)) return 'Choose a valid start date.';
  if (!isDate(end)) return 'Choose a valid end date.';
  if (start > end) return 'The start date must not be after the end date.';
  if (daysInclusive(start, end) > MAX_RANGE_DAYS) return `A range covers at most ${MAX_RANGE_DAYS} days.`;
  return null;
}

/** Reads `range`, `start`, `end` from the hash's params. */
export function resolveRange(params: URLSearchParams, today = todayUtc()): ResolvedRange {
  const raw = params.get('range') ?? '30d';
  const preset: RangePreset = (PRESETS.some((p) => p.value === raw) ? raw : '30d') as RangePreset;
  if (preset === 'mtd') {
    const start = monthStart(today);
    return { preset, query: { start_date: start, end_date: today }, start, end: today, error: null };
  }
  if (preset === 'custom') {
    const end = params.get('end') ?? today;
    const start = params.get('start') ?? addDays(end, -29);
    const error = checkRange(start, end);
    return { preset, query: { start_date: start, end_date: end }, start, end, error };
  }
  const days = Number(preset.slice(0, -1));
  return { preset, query: { days }, start: addDays(today, -(days - 1)), end: today, error: null };
}

/** "Nov 29" style short label of a UTC day, for chart axes. */
export function shortDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** "2026-11-29 14:05 UTC" for timestamps. */
export function formatTimestamp(ts: string | null): string {
  if (!ts) return 'never';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "5 min ago", "3 h ago", "2 days ago". */
export function ago(ts: string | null, now = Date.now()): string {
  if (!ts) return 'never';
  const ms = now - Date.parse(ts);
  if (!Number.isFinite(ms)) return ts;
  const min = Math.max(0, Math.round(ms / 60000));
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

export const STALE_MS = 2 * 60 * 60 * 1000;

export function isStale(lastSyncedAt: string | null, now = Date.now()): boolean {
  if (!lastSyncedAt) return true;
  return now - Date.parse(lastSyncedAt) > STALE_MS;
}
