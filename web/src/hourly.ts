// Time zones and the hourly spend curve, pure (no DOM): hour labels in a
// zone (Intl.DateTimeFormat), the chart's series with gaps kept as gaps,
// local-day notes ("25 hours (DST)", "incomplete"), local date ranges.
// Dependency-light so web/tests/hourly.test.ts can bundle it for `node --test`.
import type { Dashboard, LocalDailyDay } from './api';
import type { ChartSeries } from './components/CostChart';
import { addDays, daysInclusive } from './dates';
import { formatMoney, parseMoney } from './money';
import { keepTop, TOP_SERIES } from './palette';
import { isDate } from './validate';

/** The figures a chart needs from an hour (the API's HourPoint). */
export interface HourLike {
  start: string;
  spend: string | null;
  hours: number;
}

/** A local day's total (the API's LocalDay). */
export interface DayLike {
  date: string;
  spend: string | null;
  hours: number;
  gaps: number;
}

export const UTC = 'UTC';
export const MAX_HOURLY_DAYS = 31;

/** Old names browsers still answer with (CLDR keeps them), and the IANA
 *  name people know today. Both are valid IANA names. */
const MODERN: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Rangoon': 'Asia/Yangon',
  'Europe/Kiev': 'Europe/Kyiv',
  'America/Godthab': 'America/Nuuk',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Enderbury': 'Pacific/Kanton',
};

export function modernZone(tz: string): string {
  return MODERN[tz] ?? tz;
}

/** The browser's IANA zone ("UTC" when it cannot tell). */
export function browserZone(): string {
  try {
    return modernZone(Intl.DateTimeFormat().resolvedOptions().timeZone || UTC);
  } catch {
    return UTC;
  }
}

/** Every zone the browser knows (today's names too), `UTC` first, sorted. */
export function zoneNames(): string[] {
  let names: string[] = [];
  try {
    names = Intl.supportedValuesOf('timeZone');
  } catch {
    names = [];
  }
  const all = new Set([...names, ...names.map(modernZone)]);
  all.delete(UTC);
  return [UTC, ...[...all].sort()];
}

/** Whether the browser can format dates in this zone (the Worker decides). */
export function zoneKnownHere(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalParts {
  /** The local calendar day, YYYY-MM-DD. */
  date: string;
  /** The local wall-clock time, HH:mm (24 h). */
  time: string;
  /** The zone's short name at that moment: "PDT", "PST", "GMT+5:30", "UTC". */
  zoneName: string;
}

/** Where an instant falls in a zone. */
export function localParts(instant: string | Date, tz: string): LocalParts {
  const d = typeof instant === 'string' ? new Date(instant) : instant;
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(d)) parts[p.type] = p.value;
  const hour = parts.hour === '24' ? '00' : parts.hour ?? '00';
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${hour}:${parts.minute ?? '00'}`,
    zoneName: parts.timeZoneName ?? tz,
  };
}

/** Today's date in a zone. */
export function zoneToday(tz: string, now: Date = new Date()): string {
  return localParts(now, tz).date;
}

/** "Sun, Nov 1" for a calendar day (a local day's date, taken as is). */
export function dayName(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  return d.toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

export interface HourLabel {
  /** The local day the hour starts in. */
  date: string;
  /** HH:mm local. */
  time: string;
  zoneName: string;
  /** The axis label: the time, with the day at the first hour of a day and
   *  the zone's name where it changes (a daylight-saving switch). */
  label: string;
  /** The tooltip title: "Sun, Nov 1, 01:00 PST (UTC 09:00)". */
  title: string;
}

/** Labels of consecutive hours in a zone. A repeated wall-clock hour (the
 *  autumn switch) gets the zone name, so 01:00 PDT and 01:00 PST differ;
 *  after the spring switch, 03:00 follows 01:00 with its new zone name. */
export function hourLabels(points: readonly { start: string }[], tz: string): HourLabel[] {
  const parts = points.map((p) => localParts(p.start, tz));
  const seen = new Map<string, number>();
  for (const p of parts) seen.set(`${p.date} ${p.time}`, (seen.get(`${p.date} ${p.time}`) ?? 0) + 1);
  return parts.map((p, i) => {
    const prev = i > 0 ? parts[i - 1] : undefined;
    const zoneChanged = prev !== undefined && prev.zoneName !== p.zoneName;
    const repeated = (seen.get(`${p.date} ${p.time}`) ?? 0) > 1;
    const withZone = zoneChanged || repeated ? `${p.time} ${p.zoneName}` : p.time;
    const newDay = prev === undefined || prev.date !== p.date;
    const utc = (points[i]?.start ?? '').slice(11, 16);
    return {
      date: p.date,
      time: p.time,
      zoneName: p.zoneName,
      label: newDay ? `${dayName(p.date)} ${withZone}` : withZone,
      title: `${dayName(p.date)}, ${p.time} ${p.zoneName}${tz === UTC ? '' : ` (UTC ${utc})`}`,
    };
  });
}

/** The chart's series: one value per hour, `null` for a gap (never a zero).
 *  Figures that carry several hours go in `carried` (drawn apart). */
export interface HourlySeries {
  /** Figures of one hour (null elsewhere). */
  single: (number | null)[];
  /** Figures covering several hours (null elsewhere). */
  carried: (number | null)[];
  /** The exact amounts, null for a gap. */
  exact: (string | null)[];
  gaps: boolean[];
  hours: number[];
  gapCount: number;
  carriedCount: number;
  /** Hours with a figure of their own (a carried figure is one). */
  figureCount: number;
}

export function hourlySeries(points: readonly HourLike[]): HourlySeries {
  const s: HourlySeries = { single: [], carried: [], exact: [], gaps: [], hours: [], gapCount: 0, carriedCount: 0, figureCount: 0 };
  for (const p of points) {
    const gap = p.spend === null;
    const value = gap ? null : Number(p.spend);
    const carried = !gap && p.hours > 1;
    s.single.push(gap || carried ? null : value);
    s.carried.push(carried ? value : null);
    s.exact.push(p.spend);
    s.gaps.push(gap);
    s.hours.push(p.hours);
    if (gap) s.gapCount++;
    else s.figureCount++;
    if (carried) s.carriedCount++;
  }
  return s;
}

/** What a figure covers, for a tooltip: "covers 2 hours (the previous hour
 *  had no reading)"; null for a plain one-hour figure. */
export function coversNote(hours: number): string | null {
  if (hours <= 1) return null;
  const before = hours - 1;
  return `covers ${hours} hours (${before === 1 ? 'the previous hour had' : `the previous ${before} hours had`} no reading)`;
}

/** "25 hours (DST)", "23 hours (DST)", or null for a 24-hour day. */
export function dstNote(hours: number): string | null {
  return hours === 24 ? null : `${hours} hours (DST)`;
}

export type DayState = 'complete' | 'incomplete' | 'no_reading';

export function dayState(d: DayLike): DayState {
  if (d.spend === null) return 'no_reading';
  return d.gaps > 0 ? 'incomplete' : 'complete';
}

/** The notes of a local day in words, for a table cell or a tooltip:
 *  "25 hours (DST)", "incomplete: 3 of 24 hours without a reading",
 *  "no reading". */
export function dayNotes(d: DayLike): string[] {
  const notes: string[] = [];
  const dst = dstNote(d.hours);
  if (dst) notes.push(dst);
  const state = dayState(d);
  if (state === 'no_reading') notes.push(`no reading: all ${d.hours} hours are gaps`);
  else if (state === 'incomplete') notes.push(`incomplete: ${d.gaps} of ${d.hours} ${d.hours === 1 ? 'hour' : 'hours'} without a reading`);
  return notes;
}

/** A day's axis label: "Nov 1", with "*" when incomplete (the chart's note
 *  says what it means) and " (partial)" for today. */
export function dayAxisLabel(d: DayLike, today: string): string {
  const base = new Date(`${d.date}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const mark = dayState(d) === 'complete' ? '' : '*';
  return `${base}${mark}${d.date === today ? ' (partial)' : ''}`;
}

/** Sum of the figures given (gaps skipped), exact; null when all are gaps. */
export function sumFigures(values: readonly (string | null)[]): string | null {
  let any = false;
  let total = 0n;
  for (const v of values) {
    if (v === null) continue;
    any = true;
    total += parseMoney(v);
  }
  return any ? formatMoney(total) : null;
}

/** The hourly view's range check: local days, both included, at most 31. */
export function checkLocalRange(start: string, end: string): string | null {
  if (!isDate(start)) return 'Choose a valid start date.';
  if (!isDate(end)) return 'Choose a valid end date.';
  if (start > end) return 'The start date must not be after the end date.';
  if (daysInclusive(start, end) > MAX_HOURLY_DAYS) return `The hourly curve covers at most ${MAX_HOURLY_DAYS} days.`;
  return null;
}

/** The default range: yesterday and today in the zone. */
export function defaultLocalRange(tz: string, now: Date = new Date()): { start: string; end: string } {
  const end = zoneToday(tz, now);
  return { start: addDays(end, -1), end };
}

/** The zone's name for a sentence: "America/Los_Angeles (PDT now)". */
export function zoneCaption(tz: string, now: Date = new Date()): string {
  if (tz === UTC) return 'UTC';
  const name = zoneKnownHere(tz) ? localParts(now, tz).zoneName : '';
  return name && name !== tz ? `${tz} (${name} now)` : tz;
}

/** Local days stacked by key (from `by_key`): top keys, the rest in
 *  "Other"; a key's day with no figure stays null (a gap). */
export function buildLocalSeries(d: Pick<Dashboard, 'key_status' | 'keys'>, local: readonly LocalDailyDay[], top = TOP_SERIES): ChartSeries[] {
  const names = new Map<number, string>();
  for (const k of d.key_status) names.set(k.id, k.name);
  for (const k of d.keys) names.set(k.api_key_id, k.name);
  const ids: number[] = [];
  for (const day of local) for (const k of day.by_key) if (!ids.includes(k.api_key_id)) ids.push(k.api_key_id);
  const raw = ids.map((id) => ({
    label: names.get(id) ?? `Key #${id}`,
    costs: local.map((day) => day.by_key.find((k) => k.api_key_id === id)?.spend ?? null),
  }));
  const withTotals = raw
    .map((s, i) => ({ ...s, i, total: parseMoney(sumFigures(s.costs) ?? '0') }))
    .filter((s) => s.total !== 0n)
    .sort((a, b) => (a.total > b.total ? -1 : a.total < b.total ? 1 : a.i - b.i));
  const { keep, rest } = keepTop(withTotals, top);
  const out: ChartSeries[] = keep.map((s) => ({ label: s.label, costs: s.costs, values: s.costs.map((c) => (c === null ? null : Number(c))) }));
  if (rest.length > 0) {
    const costs = local.map((_, day) => sumFigures(rest.map((s) => s.costs[day] ?? null)));
    out.push({ label: `Other (${rest.length})`, costs, values: costs.map((c) => (c === null ? null : Number(c))), other: true });
  }
  return out;
}
