import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorMessage, queryString, type HourlyCurve, type Key } from '../api';
import { Amount } from '../components/Amount';
import { SelectField, TextField } from '../components/Field';
import { HourlyChart } from '../components/HourlyChart';
import { LocalDaysTable } from '../components/LocalDaysTable';
import { Busy, Notice } from '../components/Notice';
import { checkLocalRange, coversNote, dayState, hourLabels, hourlySeries, MAX_HOURLY_DAYS, UTC, zoneCaption, zoneToday } from '../hourly';
import { useResource, useTitle } from '../hooks';
import { displayUsd } from '../money';
import { href, updateParams } from '../router';

/** `#/hourly?key=&start=&end=`: the hourly spend curve of one key or all,
 *  over local days of the account's zone (default yesterday and today). */
export function Hourly({ params }: { params: URLSearchParams }) {
  useTitle('Hourly spend');
  const keyFilter = /^\d+$/.test(params.get('key') ?? '') ? (params.get('key') as string) : '';
  const start = params.get('start') ?? '';
  const end = params.get('end') ?? '';
  const rangeError = start || end ? checkLocalRange(start || end, end || start) : null;

  const query = { api_key_id: keyFilter || undefined, start_date: start || end || undefined, end_date: end || start || undefined };
  const res = useResource<HourlyCurve>(rangeError ? null : `hourly${queryString(query)}`, (signal) => api.hourly(query, signal));
  const keysRes = useResource<Key[]>('keys', (signal) => api.allKeys(signal));
  const curve = res.data;
  const keyName = (id: number | null) => (id === null ? 'All keys' : (keysRes.data ?? []).find((k) => k.id === id)?.name ?? `Key #${id}`);

  // The form edits a draft (the answer's range when the URL has none); Apply puts it in the URL.
  const shownStart = start || curve?.start_date || '';
  const shownEnd = end || curve?.end_date || '';
  const [draft, setDraft] = useState({ key: keyFilter, start: shownStart, end: shownEnd });
  useEffect(() => setDraft({ key: keyFilter, start: shownStart, end: shownEnd }), [keyFilter, shownStart, shownEnd]);
  const [draftError, setDraftError] = useState<string | null>(null);
  const today = curve ? zoneToday(curve.tz) : undefined;

  function apply(e: Event) {
    e.preventDefault();
    const err = checkLocalRange(draft.start, draft.end);
    setDraftError(err);
    if (err) {
      document.getElementById(err.includes('start') ? 'hourly-start' : 'hourly-end')?.focus();
      return;
    }
    updateParams({ key: draft.key, start: draft.start, end: draft.end });
  }

  const inference = (keysRes.data ?? []).filter((k) => k.kind === 'inference');
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Hourly spend
        </h1>
        <Busy active={res.loading} label={curve ? 'Updating…' : 'Loading…'} />
      </div>
      <p class="lede">
        Spend per hour, from OpenRouter's running total read at each hourly sync: an hour's figure is the difference between the readings at its start and its end. Days are local days of
        your time zone (<a href={href('settings')}>Settings</a>).
      </p>

      <form class="panel filters-form" onSubmit={apply} noValidate aria-label="Hourly filters">
        <div class="form-row">
          <SelectField
            id="hourly-key"
            label="Key"
            value={draft.key}
            onValue={(v) => setDraft({ ...draft, key: v })}
            options={[{ value: '', label: 'All keys (summed)' }, ...inference.map((k) => ({ value: String(k.id), label: k.name }))]}
            testId="hourly-key"
          />
          <TextField
            id="hourly-start"
            label="From (local day)"
            type="date"
            value={draft.start}
            max={today}
            onValue={(v) => setDraft({ ...draft, start: v })}
            error={draftError?.includes('start') ? draftError : undefined}
          />
          <TextField
            id="hourly-end"
            label="To (local day)"
            type="date"
            value={draft.end}
            max={today}
            onValue={(v) => setDraft({ ...draft, end: v })}
            error={draftError && !draftError.includes('start') ? draftError : undefined}
            hint={`At most ${MAX_HOURLY_DAYS} days; snapshots are kept 90 days.`}
          />
        </div>
        <div class="form-actions">
          <button type="submit" class="button primary" data-testid="hourly-apply">
            Show
          </button>
          {start || end ? (
            <a class="button" href={href('hourly', { key: keyFilter })}>
              Yesterday and today
            </a>
          ) : null}
        </div>
      </form>

      {rangeError ? <Notice tone="error">{rangeError}</Notice> : null}
      {res.error ? <Notice tone="error">Could not load the hourly curve: {errorMessage(res.error)}</Notice> : null}
      {curve ? <CurveBody curve={curve} keyName={keyName(curve.api_key_id)} today={today ?? ''} /> : null}
    </section>
  );
}

function CurveBody({ curve, keyName, today }: { curve: HourlyCurve; keyName: string; today: string }) {
  const labels = useMemo(() => hourLabels(curve.hours, curve.tz), [curve]);
  const series = useMemo(() => hourlySeries(curve.hours), [curve]);
  const axis = useMemo(() => labels.map((l) => l.label), [labels]);
  const titles = useMemo(() => labels.map((l) => l.title), [labels]);
  const zone = curve.tz === UTC ? 'UTC' : curve.tz;
  const n = curve.hours.length;
  // The Worker answers "0" when every hour is a gap: that is "no figure", not zero spend.
  const total = series.figureCount === 0 ? null : curve.total;
  const incomplete = curve.days.filter((d) => dayState(d) !== 'complete').length;
  const summary =
    `Hourly spend of ${keyName}, ${curve.start_date} to ${curve.end_date} (local days, ${zone}): ` +
    (total === null ? 'no figure yet' : `total ${displayUsd(total)}`) +
    `; ${series.figureCount} of ${n} hours have a figure, ${series.gapCount} ${series.gapCount === 1 ? 'is a gap' : 'are gaps'}` +
    (series.carriedCount ? `, ${series.carriedCount} ${series.carriedCount === 1 ? 'figure covers' : 'figures cover'} several hours.` : '.');

  return (
    <>
      <p class="period" data-testid="hourly-zone" data-tz={curve.tz} data-start={curve.start_date} data-end={curve.end_date}>
        <strong>
          {curve.start_date} to {curve.end_date}
        </strong>{' '}
        · local days in <strong>{zoneCaption(curve.tz)}</strong> · {keyName}
        {curve.end_date === today ? ' · today is partial' : ''}
      </p>

      <div class="cards">
        <div class="card card-main">
          <h2>Spend, these hours</h2>
          <p class="big" data-testid="hourly-total" data-cost={total ?? ''}>
            {total === null ? <span class="muted">No figure yet</span> : <Amount value={total} />}
          </p>
          <p class="sub">
            {series.figureCount} of {n} hours with a figure
            {incomplete ? ` · ${incomplete} ${incomplete === 1 ? 'day' : 'days'} incomplete` : ''}
          </p>
        </div>
      </div>

      <section class="panel" aria-labelledby="hourly-chart-title">
        <div class="panel-head">
          <h2 id="hourly-chart-title">Spend per hour ({zone})</h2>
        </div>
        <p id="hourly-summary" class="hint">
          {summary}
        </p>
        <HourlyChart labels={axis} titles={titles} series={series} ariaLabel={`Bar chart: spend per hour of ${keyName}, local hours of ${zone}`} describedBy="hourly-summary" yTitle="USD per hour" />
        <ul class="chart-key" data-testid="gap-note">
          <li>
            <span class="swatch swatch-gap" aria-hidden="true" />
            <strong>No reading: gap.</strong> {series.gapCount} of {n} {n === 1 ? 'hour has' : 'hours have'} no figure of their own: no bar there means “not measured”, not zero. A figure needs a
            reading at the start and at the end of its hour (two hourly syncs).
          </li>
          <li>
            <span class="swatch swatch-carried" aria-hidden="true" />
            <strong>Covers several hours</strong> (hatched): the first reading after a gap carries the whole difference since the previous one
            {series.carriedCount ? ` (${series.carriedCount} here)` : ' (none here)'}.
          </li>
        </ul>
        {series.figureCount === 0 ? (
          <Notice tone="info" testId="hourly-empty">
            No hour has a figure yet: {n === 0 ? 'this range has no hours.' : 'there are not two consecutive readings in this range. The next hourly syncs fill it in.'}
          </Notice>
        ) : null}
      </section>

      <section class="panel" aria-labelledby="hourly-days-title">
        <h2 id="hourly-days-title">Local days ({zone})</h2>
        <LocalDaysTable
          days={curve.days}
          zone={zone}
          today={today}
          ariaLabel="Local days (table, scrolls sideways)"
          tableTestId="hourly-days"
          rowTestId="hourly-day"
          foot={
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td class="num" data-testid="hourly-days-total">
                  {total === null ? <span class="muted">no reading</span> : <Amount value={total} align />}
                </td>
                <td class="num">{n}</td>
                <td class="num">{series.gapCount}</td>
                <td />
              </tr>
            </tfoot>
          }
        />
      </section>

      <details class="panel hour-list">
        <summary>Every hour ({n})</summary>
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Every hour (table, scrolls sideways)">
          <table data-testid="hourly-table">
            <thead>
              <tr>
                <th scope="col">Hour ({zone})</th>
                <th scope="col">Starts (UTC)</th>
                <th scope="col" class="num">
                  Spend
                </th>
                <th scope="col">Notes</th>
              </tr>
            </thead>
            <tbody>
              {curve.hours.map((h, i) => (
                <tr key={h.start} data-testid="hourly-hour" data-start={h.start} data-cost={h.spend ?? ''} data-hours={h.hours}>
                  <th scope="row" class="nowrap">
                    {labels[i]?.title.replace(/ \(UTC \d\d:\d\d\)$/, '')}
                  </th>
                  <td class="nowrap">{h.start.slice(0, 16).replace('T', ' ')}</td>
                  <td class="num">{h.spend === null ? <span class="muted">gap</span> : <Amount value={h.spend} align />}</td>
                  <td>{h.spend === null ? 'no reading' : coversNote(h.hours) ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
