// Unit tests of the hourly curve's pure helpers (src/hourly.ts): hour labels
// in a zone across daylight-saving switches (America/Los_Angeles: 25 hours on
// 2026-11-01, 23 on 2026-03-08) and with a half-hour offset (Asia/Kolkata),
// the chart's series with gaps as gaps, local-day notes, ranges.
// Run from the repo root:
//   node_modules/.bin/esbuild web/tests/hourly.test.ts --bundle --platform=node --format=esm --outfile=target/web-tests/hourly.test.mjs --log-level=warning && node --test target/web-tests/hourly.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildLocalSeries,
  checkLocalRange,
  coversNote,
  dayAxisLabel,
  dayNotes,
  dayState,
  defaultLocalRange,
  dstNote,
  hourLabels,
  hourlySeries,
  localParts,
  sumFigures,
  zoneCaption,
  zoneKnownHere,
  zoneNames,
  zoneToday,
} from '../src/hourly';
import { parseHash } from '../src/router';

const HOUR = 3_600_000;

/** `n` consecutive hour starts from `first` (UTC instants), as the API sends them. */
function hours(first: string, n: number): { start: string }[] {
  const t0 = Date.parse(first);
  return Array.from({ length: n }, (_, i) => ({ start: new Date(t0 + i * HOUR).toISOString().replace('.000Z', 'Z') }));
}

test('autumn switch: America/Los_Angeles 2026-11-01 has 25 hours, 01:00 twice (PDT then PST)', () => {
  const tz = 'America/Los_Angeles';
  // Local midnight is 07:00 UTC (PDT, UTC-7); the next midnight 08:00 UTC (PST).
  const day = hours('2026-11-01T07:00:00Z', 25);
  const labels = hourLabels(day, tz);
  assert.equal(labels.length, 25);
  assert.ok(labels.every((l) => l.date === '2026-11-01'), 'every hour is on Nov 1');
  assert.deepEqual(
    labels.slice(0, 5).map((l) => l.time),
    ['00:00', '01:00', '01:00', '02:00', '03:00'],
  );
  assert.equal(labels[0]?.label, 'Sun, Nov 1 00:00');
  assert.equal(labels[1]?.label, '01:00 PDT');
  assert.equal(labels[2]?.label, '01:00 PST');
  assert.equal(labels[3]?.label, '02:00');
  assert.equal(labels[24]?.time, '23:00');
  assert.equal(labels[24]?.zoneName, 'PST');
  assert.equal(labels[1]?.title, 'Sun, Nov 1, 01:00 PDT (UTC 08:00)');
  assert.equal(labels[2]?.title, 'Sun, Nov 1, 01:00 PST (UTC 09:00)');
  // The labels are all different: a reader can tell the two 01:00 apart.
  assert.equal(new Set(labels.map((l) => l.label)).size, 25);
  // The hour after the day is the next local day's midnight.
  const next = localParts('2026-11-02T08:00:00Z', tz);
  assert.deepEqual(next, { date: '2026-11-02', time: '00:00', zoneName: 'PST' });
  assert.equal(dstNote(25), '25 hours (DST)');
});

test('spring switch: America/Los_Angeles 2026-03-08 has 23 hours, no 02:00', () => {
  const tz = 'America/Los_Angeles';
  // Local midnight is 08:00 UTC (PST, UTC-8); the next midnight 07:00 UTC (PDT).
  const day = hours('2026-03-08T08:00:00Z', 23);
  const labels = hourLabels(day, tz);
  assert.ok(labels.every((l) => l.date === '2026-03-08'), 'every hour is on Mar 8');
  assert.deepEqual(
    labels.slice(0, 4).map((l) => l.label),
    ['Sun, Mar 8 00:00', '01:00', '03:00 PDT', '04:00'],
  );
  assert.ok(!labels.some((l) => l.time === '02:00'), '02:00 does not exist that day');
  assert.equal(labels[22]?.time, '23:00');
  assert.equal(localParts('2026-03-09T07:00:00Z', tz).date, '2026-03-09');
  assert.equal(dstNote(23), '23 hours (DST)');
  assert.equal(dstNote(24), null);
});

test('Asia/Kolkata: local hours start at half past, UTC', () => {
  const tz = 'Asia/Kolkata';
  // 2026-03-08 00:00 IST is 2026-03-07 18:30 UTC.
  const day = hours('2026-03-07T18:30:00Z', 24);
  const labels = hourLabels(day, tz);
  assert.ok(labels.every((l) => l.date === '2026-03-08'), 'all 24 hours on the local day');
  assert.deepEqual(
    labels.slice(0, 3).map((l) => l.label),
    ['Sun, Mar 8 00:00', '01:00', '02:00'],
  );
  assert.ok(labels.every((l) => l.time.endsWith(':00')), 'whole local hours');
  assert.equal(labels[0]?.title, 'Sun, Mar 8, 00:00 GMT+5:30 (UTC 18:30)');
  assert.equal(labels[23]?.time, '23:00');
  // The instant before is the previous local day's last half hour.
  assert.deepEqual(localParts('2026-03-07T18:00:00Z', tz), { date: '2026-03-07', time: '23:30', zoneName: 'GMT+5:30' });
});

test('UTC labels carry no UTC repeat; a two-day range names each day once', () => {
  const labels = hourLabels(hours('2026-11-28T00:00:00Z', 48), 'UTC');
  assert.equal(labels[0]?.label, 'Sat, Nov 28 00:00');
  assert.equal(labels[1]?.label, '01:00');
  assert.equal(labels[24]?.label, 'Sun, Nov 29 00:00');
  assert.equal(labels.filter((l) => l.label.includes('Nov')).length, 2);
  assert.equal(labels[5]?.title, 'Sat, Nov 28, 05:00 UTC');
});

test('series: a gap is null (never 0), a figure of several hours is apart', () => {
  const s = hourlySeries([
    { start: '2026-11-01T07:00:00Z', spend: '0.25', hours: 1 },
    { start: '2026-11-01T08:00:00Z', spend: null, hours: 1 },
    { start: '2026-11-01T09:00:00Z', spend: '0.5', hours: 2 },
    { start: '2026-11-01T10:00:00Z', spend: '0', hours: 1 },
  ]);
  assert.deepEqual(s.single, [0.25, null, null, 0]);
  assert.deepEqual(s.carried, [null, null, 0.5, null]);
  assert.deepEqual(s.exact, ['0.25', null, '0.5', '0']);
  assert.deepEqual(s.gaps, [false, true, false, false]);
  assert.equal(s.gapCount, 1);
  assert.equal(s.carriedCount, 1);
  assert.equal(s.figureCount, 3);
  assert.equal(coversNote(1), null);
  assert.equal(coversNote(2), 'covers 2 hours (the previous hour had no reading)');
  assert.equal(coversNote(4), 'covers 4 hours (the previous 3 hours had no reading)');
  const empty = hourlySeries([{ start: '2026-11-01T07:00:00Z', spend: null, hours: 1 }]);
  assert.deepEqual(empty.single, [null]);
  assert.equal(empty.figureCount, 0);
});

test('local days: DST length, incomplete and no reading in words', () => {
  const full = { date: '2026-11-01', spend: '6.25', hours: 25, gaps: 0 };
  const holey = { date: '2026-11-01', spend: '6.25', hours: 25, gaps: 1 };
  const none = { date: '2026-03-08', spend: null, hours: 23, gaps: 23 };
  const plain = { date: '2026-11-02', spend: '1', hours: 24, gaps: 0 };
  assert.equal(dayState(full), 'complete');
  assert.equal(dayState(holey), 'incomplete');
  assert.equal(dayState(none), 'no_reading');
  assert.deepEqual(dayNotes(full), ['25 hours (DST)']);
  assert.deepEqual(dayNotes(holey), ['25 hours (DST)', 'incomplete: 1 of 25 hours without a reading']);
  assert.deepEqual(dayNotes(none), ['23 hours (DST)', 'no reading: all 23 hours are gaps']);
  assert.deepEqual(dayNotes(plain), []);
  assert.equal(dayAxisLabel(plain, '2026-11-03'), 'Nov 2');
  assert.equal(dayAxisLabel(holey, '2026-11-03'), 'Nov 1*');
  assert.equal(dayAxisLabel(plain, '2026-11-02'), 'Nov 2 (partial)');
});

test('exact sums skip gaps; all gaps is null, not zero', () => {
  assert.equal(sumFigures(['0.1', null, '0.2', '0.0000000001']), '0.3000000001');
  assert.equal(sumFigures([null, null]), null);
  assert.equal(sumFigures(['0']), '0');
});

test('zones: today in a zone, the default range, names', () => {
  const now = new Date('2026-11-02T05:00:00Z');
  assert.equal(zoneToday('UTC', now), '2026-11-02');
  assert.equal(zoneToday('America/Los_Angeles', now), '2026-11-01');
  assert.equal(zoneToday('Asia/Kolkata', new Date('2026-11-01T18:30:00Z')), '2026-11-02');
  assert.deepEqual(defaultLocalRange('America/Los_Angeles', now), { start: '2026-10-31', end: '2026-11-01' });
  assert.equal(zoneKnownHere('Europe/Rome'), true);
  assert.equal(zoneKnownHere('Mars/Olympus_Mons'), false);
  const names = zoneNames();
  assert.equal(names[0], 'UTC');
  assert.ok(names.includes('America/Los_Angeles') && names.includes('Asia/Kolkata'));
  assert.equal(zoneCaption('UTC'), 'UTC');
  assert.equal(zoneCaption('America/Los_Angeles', now), 'America/Los_Angeles (PST now)');
});

test('hourly ranges: local days, at most 31', () => {
  assert.equal(checkLocalRange('2026-11-01', '2026-12-01'), null);
  assert.match(checkLocalRange('2026-11-01', '2026-12-02') ?? '', /at most 31 days/);
  assert.match(checkLocalRange('2026-11-02', '2026-11-01') ?? '', /not be after/);
  assert.match(checkLocalRange('2026-13-01', '2026-11-01') ?? '', /valid start/);
});

test('the hourly route keeps its state in the hash', () => {
  const r = parseHash('#/hourly?key=12&start=2026-11-01&end=2026-11-02');
  assert.equal(r.name, 'hourly');
  assert.equal(r.params.get('key'), '12');
  assert.equal(r.params.get('start'), '2026-11-01');
});

test('overview local days by key: a key\'s gap stays null, the rest is summed exactly into Other', () => {
  const d = { key_status: [], keys: [1, 2, 3].map((id) => ({ api_key_id: id, name: `k${id}`, requests_count: 0, tokens_input: 0, tokens_output: 0, cost: '0' })) };
  const local = [
    { date: '2026-11-01', spend: '0.3', hours: 25, gaps: 1, by_key: [{ api_key_id: 1, spend: '0.1' }, { api_key_id: 2, spend: '0.2' }, { api_key_id: 3, spend: null }] },
    { date: '2026-11-02', spend: null, hours: 24, gaps: 24, by_key: [{ api_key_id: 1, spend: null }, { api_key_id: 2, spend: null }, { api_key_id: 3, spend: null }] },
    { date: '2026-11-03', spend: '0.6', hours: 24, gaps: 0, by_key: [{ api_key_id: 1, spend: '0.5' }, { api_key_id: 2, spend: '0' }, { api_key_id: 3, spend: '0.1' }] },
  ];
  const all = buildLocalSeries(d, local);
  assert.deepEqual(
    all.map((s) => [s.label, s.costs, s.values]),
    [
      ['k1', ['0.1', null, '0.5'], [0.1, null, 0.5]],
      ['k2', ['0.2', null, '0'], [0.2, null, 0]],
      ['k3', [null, null, '0.1'], [null, null, 0.1]],
    ],
  );
  const top1 = buildLocalSeries(d, local, 1);
  assert.deepEqual(
    top1.map((s) => [s.label, s.costs, s.other === true]),
    [
      ['k1', ['0.1', null, '0.5'], false],
      ['Other (2)', ['0.2', null, '0.1'], true],
    ],
  );
});
