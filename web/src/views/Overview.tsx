import { Amount } from '../components/Amount';
import { BudgetBar } from '../components/BudgetBar';
import { useMemo, useState } from 'preact/hooks';
import { api, errorMessage, queryString, type Budget, type Dashboard, type DashboardKey, type DashboardModel, type Key, type LocalDailyDay, type MemberSpend, type OpenRouterMemberSpend } from '../api';
import { CostChart, type ChartSeries } from '../components/CostChart';
import { SelectField } from '../components/Field';
import { Busy, Notice } from '../components/Notice';
import { Segmented, RangePicker } from '../components/RangePicker';
import { compareBy, SortHeader, type SortState } from '../components/SortHeader';
import { ago, formatTimestamp, isStale, resolveRange, shortDay, todayUtc } from '../dates';
import { ALL_MODELS, formatInt, formatPercent, modelLabel, statusText } from '../format';
import { keepTop, TOP_SERIES } from '../palette';
import { buildLocalSeries, dayAxisLabel, dayNotes, dayState, sumFigures, UTC, zoneToday } from '../hourly';
import { cached, useResource, useTitle } from '../hooks';
import { LocalDaysTable } from '../components/LocalDaysTable';
import { displayUsd, formatMoney, parseMoney, ratio, sumUnits } from '../money';
import { href, updateParams } from '../router';
import { sortBudgets } from '../runway';


type Group = 'model' | 'key';

export function Overview({ params }: { params: URLSearchParams }) {
  useTitle('Overview');
  const today = todayUtc();
  const range = resolveRange(params, today);
  const rawGroup = params.get('group');
  const groupParam: Group | null = rawGroup === 'key' || rawGroup === 'model' ? rawGroup : null;
  const keyFilter = /^\d+$/.test(params.get('key') ?? '') ? (params.get('key') as string) : '';
  const modelFilter = params.get('model') ?? '';

  const baseQuery = { ...range.query, api_key_id: keyFilter || undefined };
  const query = { ...baseQuery, model: modelFilter || undefined };
  const cacheKey = range.error ? null : `dashboard${queryString(query)}`;
  const res = useResource<Dashboard>(cacheKey, (signal) => api.dashboard(query, signal));
  const d = res.data;

  // Model options: from the same range without the model filter when known.
  const unfiltered = cached<Dashboard>(`dashboard${queryString(baseQuery)}`);
  const modelNames = useMemo(() => {
    const names = (unfiltered ?? d)?.models.map((m) => m.model) ?? [];
    if (modelFilter && !names.includes(modelFilter)) names.push(modelFilter);
    return names;
  }, [unfiltered, d, modelFilter]);

  const keysById = useMemo(() => new Map((d?.key_status ?? []).map((k) => [k.id, k])), [d]);

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Overview
        </h1>
        <Busy active={res.loading} label={d ? 'Updating…' : 'Loading…'} />
      </div>

      <div class="toolbar">
        <RangePicker range={range} today={today} legend={d && localDays(d) ? `Range (days in ${d.tz ?? UTC})` : 'Range (UTC days)'} />
        <div class="filters">
          <SelectField
            id="filter-key"
            label="Key"
            value={keyFilter}
            onValue={(v) => updateParams({ key: v })}
            options={[
              { value: '', label: 'All keys' },
              ...(d?.key_status ?? [])
                .filter((k) => k.kind === 'inference')
                .map((k) => ({ value: String(k.id), label: k.name })),
            ]}
          />
          <SelectField
            id="filter-model"
            label="Model"
            value={modelFilter}
            onValue={(v) => updateParams({ model: v })}
            options={[{ value: '', label: 'All models' }, ...modelNames.map((m) => ({ value: m, label: modelLabel(m) }))]}
          />
        </div>
      </div>

      {res.error ? <Notice tone="error">Could not load the overview: {errorMessage(res.error)}</Notice> : null}
      {range.error ? <Notice tone="error">{range.error}</Notice> : null}

      {d ? <OverviewBody d={d} groupParam={groupParam} today={today} keysById={keysById} modelFilter={modelFilter} /> : !res.error ? <Skeleton /> : null}
    </section>
  );
}

function Skeleton() {
  return (
    <div class="cards" aria-hidden="true">
      {[0, 1, 2, 3].map((i) => (
        <div key={i} class="card skeleton" />
      ))}
    </div>
  );
}

/** The local days of the answer, or null when its days are UTC days. */
function localDays(d: Dashboard): LocalDailyDay[] | null {
  return d.local_daily && d.tz && d.tz !== UTC ? d.local_daily : null;
}

function OverviewBody({
  d,
  groupParam,
  today,
  keysById,
  modelFilter,
}: {
  d: Dashboard;
  groupParam: Group | null;
  today: string;
  keysById: Map<number, Key>;
  modelFilter: string;
}) {
  const local = localDays(d);
  const tz = d.tz ?? UTC;
  // In a zone, the chart's default is by key on local days (models are by UTC day only).
  const defaultGroup: Group = local ? 'key' : 'model';
  const group = groupParam ?? defaultGroup;
  const lastSync = d.key_status.reduce<string | null>((m, k) => (k.last_synced_at && (!m || k.last_synced_at > m) ? k.last_synced_at : m), null);
  const staleKeys = d.key_status.filter(tracked).filter((k) => isStale(k.last_synced_at));
  const includesToday = d.period.end_date === today;

  return (
    <>
      <p class="period" data-testid="period" data-start={d.period.start_date} data-end={d.period.end_date} data-days={d.period.days} data-tz={tz} data-local={local ? 'true' : 'false'}>
        <strong>
          {d.period.start_date} to {d.period.end_date}
        </strong>{' '}
        {local ? (
          <>
            (local days in <strong data-testid="period-zone">{tz}</strong> for the daily totals, per-model figures by UTC day; {d.period.days} {d.period.days === 1 ? 'day' : 'days'}
            {local.some((x) => x.date === zoneToday(tz)) ? '; today is partial' : ''}) ·{' '}
          </>
        ) : (
          <>
            (UTC days, {d.period.days} {d.period.days === 1 ? 'day' : 'days'}
            {includesToday ? '; today is partial' : ''}) ·{' '}
          </>
        )}
        <span data-testid="last-sync">
          Last sync:{' '}
          {lastSync ? (
            <>
              <span class="nowrap">{formatTimestamp(lastSync)}</span> ({ago(lastSync)})
            </>
          ) : (
            'never'
          )}
        </span>
      </p>

      {d.key_status.length === 0 ? (
        <Notice tone="info">
          No keys yet. <a href={href('keys')}>Add an OpenRouter key</a> to start tracking its spend; the first sync runs within the hour (or use “Sync now”).
        </Notice>
      ) : null}
      {staleKeys.length > 0 ? (
        <Notice tone="warning" testId="stale-warning">
          Stale data: {staleKeys.map((k) => k.name).join(', ')} {staleKeys.length === 1 ? 'has' : 'have'} not synced for over 2 hours. Recent spend may be missing.
        </Notice>
      ) : null}

      <Cards d={d} modelFilter={modelFilter} local={local} tz={tz} />
      <Reconciliation d={d} local={local} tz={tz} />
      <BudgetsSection budgets={d.budgets ?? []} />
      <ChartSection d={d} group={group} defaultGroup={defaultGroup} today={today} local={local} tz={tz} />

      <div class="tables">
        <ModelsTable d={d} utcNote={local !== null} />
        <KeysTable d={d} keysById={keysById} utcNote={local !== null} />
      </div>
      <MembersSection d={d} />
    </>
  );
}

/** Every budget of the account (its own first, then each key's), whatever
 *  the range and filters: budgets are about the current period. */
function BudgetsSection({ budgets }: { budgets: Budget[] }) {
  const list = sortBudgets(budgets);
  return (
    <section class="panel" aria-labelledby="budgets-title" data-testid="budgets-section">
      <div class="panel-head">
        <h2 id="budgets-title">Budgets</h2>
        <a href={href('alerts')} class="button small" data-testid="manage-budgets">
          Budgets and alerts
        </a>
      </div>
      {list.length === 0 ? (
        <p class="hint">
          No budgets yet. Set one for the whole account on <a href={href('alerts')}>Alerts</a>, or per key on <a href={href('keys')}>Keys</a>; keys with a limit on OpenRouter show it here
          after their first sync.
        </p>
      ) : (
        <ul class="budget-grid">
          {list.map((b) => (
            <li key={`${b.scope}-${b.api_key_id ?? 'account'}-${b.id ?? 'limit'}-${b.period}`}>
              <BudgetBar b={b} />
              <p class="hint">
                <a href={b.scope === 'account' ? href('alerts') : href('keys', { budget: b.api_key_id })}>
                  {b.source === 'budget' ? 'Edit' : 'Set a budget'}
                  <span class="sr-only"> ({b.scope === 'account' ? 'account' : b.api_key_name ?? 'key'}, {b.period})</span>
                </a>
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Active inference keys that are expected to sync. */
function tracked(k: Key): boolean {
  return k.kind === 'inference' && k.is_active && k.validation_status !== 'invalid';
}

function Cards({ d, modelFilter, local, tz }: { d: Dashboard; modelFilter: string; local: LocalDailyDay[] | null; tz: string }) {
  const localToday = local ? local.find((x) => x.date === zoneToday(tz)) : undefined;
  const t = d.totals;
  const note = modelFilter ? ' (all models)' : '';
  return (
    <div class="cards">
      <div class="card card-main">
        <h2>Spend, {d.period.days} days</h2>
        <p class="big" data-testid="total-cost" data-cost={t.total_cost}>
          <Amount value={t.total_cost} />
        </p>
        <p class="sub">
          <span data-testid="total-requests">{formatInt(t.total_requests)}</span> requests · {formatInt(t.total_tokens_input)} tokens in · {formatInt(t.total_tokens_output)} tokens out
        </p>
      </div>
      <div class="card">
        <h2>Today so far{note}</h2>
        <p class="big" data-testid="spend-today" data-cost={d.spend.today}>
          <Amount value={d.spend.today} />
        </p>
        <p class="sub">
          UTC day {d.today.date} · {d.spend.keys_reporting} {d.spend.keys_reporting === 1 ? 'key' : 'keys'} reporting
        </p>
        {localToday ? (
          <p class="sub" data-testid="spend-today-local" data-cost={localToday.spend ?? ''}>
            Local day {localToday.date} ({tz}): {localToday.spend === null ? 'no reading yet' : displayUsd(localToday.spend)}
            {localToday.spend !== null && localToday.gaps > 0 ? `, ${localToday.gaps} ${localToday.gaps === 1 ? 'hour' : 'hours'} without a reading` : ''}
          </p>
        ) : null}
      </div>
      <div class="card">
        <h2>This week{note}</h2>
        <p class="big" data-testid="spend-week" data-cost={d.spend.this_week}>
          <Amount value={d.spend.this_week} />
        </p>
        <p class="sub">since Monday {d.spend.week_start}</p>
      </div>
      <div class="card">
        <h2>This month{note}</h2>
        <p class="big" data-testid="spend-month" data-cost={d.spend.this_month}>
          <Amount value={d.spend.this_month} />
        </p>
        <p class="sub">since {d.spend.month_start}</p>
      </div>
    </div>
  );
}

function Reconciliation({ d, local, tz }: { d: Dashboard; local: LocalDailyDay[] | null; tz: string }) {
  const total = parseMoney(d.totals.total_cost);
  const byKey = sumUnits(d.keys.map((k) => k.cost));
  const byModel = sumUnits(d.models.map((m) => m.cost));
  const byDay = sumUnits(d.daily.map((x) => x.cost));
  if (total === byKey && total === byModel && total === byDay) {
    return (
      <p class="reconcile" data-testid="reconciliation" data-ok="true">
        <span aria-hidden="true">✓ </span>Totals reconcile: per-key rows, per-model rows and {local ? 'the UTC daily figures' : 'daily bars'} each sum to {displayUsd(d.totals.total_cost)} exactly.
        {local ? <LocalNote local={local} tz={tz} /> : null}
      </p>
    );
  }
  return (
    <Notice tone="warning" testId="reconciliation">
      Totals do not reconcile: total {displayUsd(d.totals.total_cost)}, per-key rows {displayUsd(formatMoney(byKey))}, per-model rows {displayUsd(formatMoney(byModel))}, daily bars{' '}
      {displayUsd(formatMoney(byDay))}. Please report this.
    </Notice>
  );
}

/** What the local-day bars add up to, and why it may differ from the total. */
function LocalNote({ local, tz }: { local: LocalDailyDay[]; tz: string }) {
  const sum = sumFigures(local.map((x) => x.spend));
  const gaps = local.reduce((n, x) => n + x.gaps, 0);
  return (
    <span data-testid="local-total" data-cost={sum ?? ''}>
      {' '}
      The local-day bars ({tz}) come from the hourly readings and {sum === null ? 'have no figure yet' : `sum to ${displayUsd(sum)}`}
      {gaps > 0 ? `, with ${gaps} ${gaps === 1 ? 'hour' : 'hours'} without a reading` : ''}: they cover other hours than UTC days, so they can differ.
    </span>
  );
}

function ChartSection({
  d,
  group,
  defaultGroup,
  today,
  local,
  tz,
}: {
  d: Dashboard;
  group: Group;
  defaultGroup: Group;
  today: string;
  local: LocalDailyDay[] | null;
  tz: string;
}) {
  // Local days only for keys: OpenRouter reports models per UTC day only.
  const byLocal = local !== null && group === 'key';
  const localToday = local ? zoneToday(tz) : today;
  const series = useMemo(() => (byLocal && local ? buildLocalSeries(d, local) : buildSeries(d, group)), [d, group, byLocal, local]);
  const labels = useMemo(
    () => (byLocal && local ? local.map((x) => dayAxisLabel(x, localToday)) : d.daily.map((x) => (x.date === today ? `${shortDay(x.date)} (partial)` : shortDay(x.date)))),
    [d, today, byLocal, local, localToday],
  );
  const gaps = useMemo(() => (byLocal && local ? local.map((x) => x.spend === null) : undefined), [byLocal, local]);
  const footers = useMemo(() => (byLocal && local ? local.map((x) => dayNotes(x).join('; ')) : undefined), [byLocal, local]);
  const what = group === 'model' ? 'model' : 'key';
  const dayKind = byLocal ? `local day (${tz})` : 'UTC day';
  const rows: { date: string; total: string | null; day?: LocalDailyDay }[] = byLocal && local ? local.map((x) => ({ date: x.date, total: x.spend, day: x })) : d.daily.map((x) => ({ date: x.date, total: x.cost }));
  const peak = rows.reduce<{ date: string; cost: bigint } | null>((m, x) => {
    if (x.total === null) return m;
    const c = parseMoney(x.total);
    return !m || c > m.cost ? { date: x.date, cost: c } : m;
  }, null);
  const shownTotal = byLocal && local ? sumFigures(local.map((x) => x.spend)) : d.totals.total_cost;
  const incomplete = byLocal && local ? local.filter((x) => dayState(x) === 'incomplete').length : 0;
  const unread = byLocal && local ? local.filter((x) => dayState(x) === 'no_reading').length : 0;
  const summary =
    `Daily cost by ${what}, ${d.period.start_date} to ${d.period.end_date} (${byLocal ? `local days, ${tz}` : 'UTC'}), ` +
    (shownTotal === null
      ? 'no figure yet.'
      : `total ${displayUsd(shownTotal)}` + (peak && peak.cost > 0n ? `; highest day ${peak.date} at ${displayUsd(formatMoney(peak.cost))}.` : '; no spend in this range.')) +
    (incomplete ? ` ${incomplete} ${incomplete === 1 ? 'day is' : 'days are'} incomplete (*): some hours have no reading.` : '') +
    (unread ? ` ${unread} ${unread === 1 ? 'day has' : 'days have'} no reading at all (*, hatched: a gap, not zero).` : '');

  return (
    <section class="panel" aria-labelledby="chart-title" data-testid="chart-section" data-days-in={byLocal ? tz : 'UTC'}>
      <div class="panel-head">
        <h2 id="chart-title">Cost per {byLocal ? 'local day' : local ? 'UTC day' : 'day'}</h2>
        <Segmented
          legend="Group by"
          name="group"
          value={group}
          options={[
            { value: 'model', label: 'Model' },
            { value: 'key', label: 'Key' },
          ]}
          onChange={(v) => updateParams({ group: v === defaultGroup ? undefined : v })}
        />
      </div>
      {local && !byLocal ? (
        <p class="notice notice-info utc-note" data-testid="utc-model-note">
          Per-model figures are by UTC day: OpenRouter reports activity per model per UTC day only. Group by key for local days in {tz}.
        </p>
      ) : null}
      <p id="chart-summary" class="hint">
        {summary} Top {TOP_SERIES} {what}s are shown; the rest are summed into “Other”.
      </p>
      {(byLocal ? shownTotal === null || parseMoney(shownTotal) === 0n : parseMoney(d.totals.total_cost) === 0n) ? (
        <p class="chart-empty">{byLocal && shownTotal === null ? 'No hourly readings in this range yet: local days need two hourly syncs in a row.' : `No spend in this range${d.key_status.length ? '' : ' yet'}.`}</p>
      ) : null}
      <CostChart
        labels={labels}
        series={series}
        ariaLabel={`Stacked bar chart: cost per ${dayKind} by ${what}`}
        describedBy="chart-summary"
        yTitle={`USD per ${byLocal ? 'local day' : 'UTC day'}`}
        gaps={gaps}
        footers={footers}
      />
      <div class="sr-only">
        <table data-testid="chart-table">
          <caption>
            Cost per {dayKind} by {what}
          </caption>
          <thead>
            <tr>
              <th scope="col">Day ({byLocal ? tz : 'UTC'})</th>
              {series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((day, i) => (
              <tr key={day.date}>
                <th scope="row">
                  {day.date}
                  {day.date === localToday ? ' (partial)' : ''}
                  {day.day ? dayNotes(day.day).map((n) => `; ${n}`).join('') : ''}
                </th>
                {series.map((s) => {
                  const v = s.costs[i];
                  const c = v === undefined ? '0' : v;
                  return (
                    <td key={s.label} data-cost={c ?? ''}>
                      {c === null ? 'no reading' : <Amount value={c} />}
                    </td>
                  );
                })}
                <td data-cost={day.total ?? ''}>{day.total === null ? 'no reading' : <Amount value={day.total} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {local ? <LocalDays local={local} tz={tz} today={localToday} /> : null}
    </section>
  );
}

/** Every local day with its total, hours and gaps: a DST day and an
 *  incomplete day say so. */
function LocalDays({ local, tz, today }: { local: LocalDailyDay[]; tz: string; today: string }) {
  const incomplete = local.filter((x) => dayState(x) === 'incomplete').length;
  const unread = local.filter((x) => dayState(x) === 'no_reading').length;
  const dst = local.filter((x) => x.hours !== 24).length;
  return (
    <details class="local-days" data-testid="local-days" open={local.length <= 7}>
      <summary>
        Local day totals in {tz}: {local.length} {local.length === 1 ? 'day' : 'days'}
        {incomplete ? `, ${incomplete} incomplete` : ''}
        {unread ? `, ${unread} without any reading` : ''}
        {dst ? `, ${dst} with a daylight-saving switch` : ''}
      </summary>
      <LocalDaysTable days={local} zone={tz} today={today} ariaLabel="Local day totals (table, scrolls sideways)" rowTestId="local-day" />
    </details>
  );
}

/** Top series by total cost, the rest summed exactly into "Other". */
export function buildSeries(d: Dashboard, group: Group): ChartSeries[] {
  const raw =
    group === 'model'
      ? d.series.by_model.map((s) => ({ label: modelLabel(s.model), costs: s.costs }))
      : d.series.by_key.map((s) => ({ label: s.name, costs: s.costs }));
  const withTotals = raw
    .map((s, i) => ({ ...s, i, total: sumUnits(s.costs) }))
    .filter((s) => s.total !== 0n)
    .sort((a, b) => (a.total > b.total ? -1 : a.total < b.total ? 1 : a.i - b.i));
  const { keep, rest } = keepTop(withTotals);
  const out: ChartSeries[] = keep.map((s) => ({ label: s.label, costs: s.costs, values: s.costs.map(Number) }));
  if (rest.length > 0) {
    const costs = d.daily.map((_, day) => formatMoney(rest.reduce((acc, s) => acc + parseMoney(s.costs[day] ?? '0'), 0n)));
    out.push({ label: `Other (${rest.length})`, costs, values: costs.map(Number), other: true });
  }
  return out;
}

type ModelSort = 'model' | 'requests' | 'tokens_in' | 'tokens_out' | 'cost';

function ModelsTable({ d, utcNote }: { d: Dashboard; utcNote: boolean }) {
  const [sort, setSort] = useState<SortState<ModelSort>>({ key: 'cost', dir: 'desc' });
  const get = (m: DashboardModel): string | number | bigint =>
    sort.key === 'model' ? m.model : sort.key === 'requests' ? m.requests_count : sort.key === 'tokens_in' ? m.tokens_input : sort.key === 'tokens_out' ? m.tokens_output : parseMoney(m.cost);
  const rows = [...d.models].sort(compareBy(get, sort.dir));
  const total = d.totals.total_cost;
  return (
    <section class="panel" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      {utcNote ? (
        <p class="hint" data-testid="models-utc-note">
          Per-model figures are by UTC day (OpenRouter reports models per UTC day only).
        </p>
      ) : null}
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Models (table, scrolls sideways)">
        <table data-testid="models-table">
          <thead>
            <tr>
              <SortHeader label="Model" column="model" sort={sort} onSort={setSort} />
              <SortHeader label="Requests" column="requests" sort={sort} onSort={setSort} numeric />
              <SortHeader label="Tokens in" column="tokens_in" sort={sort} onSort={setSort} numeric />
              <SortHeader label="Tokens out" column="tokens_out" sort={sort} onSort={setSort} numeric />
              <SortHeader label="Cost" column="cost" sort={sort} onSort={setSort} numeric />
              <th scope="col" class="num">
                Share
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={6} class="empty">
                  No usage in this range.
                </td>
              </tr>
            ) : (
              rows.map((m) => {
                const r = ratio(m.cost, total);
                return (
                  <tr key={m.model} data-testid="model-row" data-model={m.model} data-cost={m.cost}>
                    <th scope="row" class="model-name">
                      {modelLabel(m.model)}
                    </th>
                    <td class="num">{formatInt(m.requests_count)}</td>
                    <td class="num">{formatInt(m.tokens_input)}</td>
                    <td class="num">{formatInt(m.tokens_output)}</td>
                    <td class="num"><Amount value={m.cost} align /></td>
                    <td class="num">{r === null ? '—' : formatPercent(r)}</td>
                  </tr>
                );
              })
            )}
          </tbody>
          {rows.length > 0 ? (
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td class="num">{formatInt(d.totals.total_requests)}</td>
                <td class="num">{formatInt(d.totals.total_tokens_input)}</td>
                <td class="num">{formatInt(d.totals.total_tokens_output)}</td>
                <td class="num"><Amount value={total} align /></td>
                <td class="num">100%</td>
              </tr>
            </tfoot>
          ) : null}
        </table>
      </div>
      {d.models.some((m) => m.model === ALL_MODELS) ? (
        <p class="hint">“All models (from key totals)”: days known only from a key's totals, because no management key could read per-model activity for them.</p>
      ) : null}
    </section>
  );
}

/** One row of a spend-by-member table, whichever way the spend is attributed. */
type Share = { who: string; known: boolean; requests: number; cost: string };

const fromPeople = (m: MemberSpend): Share => ({
  who: m.email ?? 'A former member',
  known: m.user_id !== null,
  requests: m.total_requests,
  cost: m.total_cost,
});

const fromOpenRouter = (m: OpenRouterMemberSpend): Share => ({
  who: m.creator_user_id ?? 'Not synced yet',
  known: m.creator_user_id !== null,
  requests: m.total_requests,
  cost: m.total_cost,
});

/**
 * The range's spend by who added each key here and by who created it on
 * OpenRouter: shown once there is more than one of either, since a single
 * row would only repeat the total.
 */
function MembersSection({ d }: { d: Dashboard }) {
  const people = d.by_member.map(fromPeople);
  const creators = d.by_openrouter_member.map(fromOpenRouter);
  if (people.length < 2 && creators.length < 2) return null;
  return (
    <section class="panel" aria-labelledby="members-title" data-testid="members-section">
      <h2 id="members-title">Spend by member</h2>
      <p class="hint">The same total, attributed two ways: to the person who added each key here, and to the OpenRouter member who created it.</p>
      <div class="tables">
        <MembersTable title="Added here by" testId="members-added" rows={people} total={d.totals.total_cost} />
        <MembersTable title="Created on OpenRouter by" testId="members-created" rows={creators} total={d.totals.total_cost} />
      </div>
    </section>
  );
}

function MembersTable({ title, testId, rows, total }: { title: string; testId: string; rows: Share[]; total: string }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={`${title} (table, scrolls sideways)`}>
      <table data-testid={testId}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col" class="num">
              Requests
            </th>
            <th scope="col" class="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => {
            const r = ratio(m.cost, total);
            return (
              <tr key={m.who} data-testid="member-row" data-cost={m.cost}>
                <th scope="row" class={m.known ? undefined : 'muted'}>
                  {m.who}
                </th>
                <td class="num"><Amount value={m.cost} align /></td>
                <td class="num">{formatInt(m.requests)}</td>
                <td class="num">{r === null ? '—' : formatPercent(r)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

type KeySort = 'name' | 'cost' | 'requests';

function KeysTable({ d, keysById, utcNote }: { d: Dashboard; keysById: Map<number, Key>; utcNote: boolean }) {
  const [sort, setSort] = useState<SortState<KeySort>>({ key: 'cost', dir: 'desc' });
  const get = (k: DashboardKey): string | number | bigint => (sort.key === 'name' ? k.name : sort.key === 'requests' ? k.requests_count : parseMoney(k.cost));
  const rows = [...d.keys].sort(compareBy(get, sort.dir));
  return (
    <section class="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      {utcNote ? <p class="hint">Costs by UTC day, like the total and the models.</p> : null}
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Keys (table, scrolls sideways)">
        <table data-testid="keys-table">
          <thead>
            <tr>
              <SortHeader label="Key" column="name" sort={sort} onSort={setSort} />
              <th scope="col">Status</th>
              <SortHeader label="Cost" column="cost" sort={sort} onSort={setSort} numeric />
              <SortHeader label="Requests" column="requests" sort={sort} onSort={setSort} numeric />
              <th scope="col" class="num">
                Limit
              </th>
              <th scope="col" class="num">
                Remaining
              </th>
              <th scope="col">Resets</th>
              <th scope="col">Limit used</th>
              <th scope="col">Last sync</th>
              <th scope="col">Sync error</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={10} class="empty">
                  No keys.
                </td>
              </tr>
            ) : (
              rows.map((row) => <KeyRow key={row.api_key_id} row={row} k={keysById.get(row.api_key_id)} />)
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function KeyRow({ row, k }: { row: DashboardKey; k: Key | undefined }) {
  const snap = k?.snapshot ?? null;
  const used = snap && snap.limit !== null && snap.limit_remaining !== null ? formatMoney(parseMoney(snap.limit) - parseMoney(snap.limit_remaining)) : null;
  const share = used !== null && snap?.limit ? ratio(used, snap.limit) : null;
  const stale = k ? tracked(k) && isStale(k.last_synced_at) : false;
  return (
    <tr data-testid="key-row" data-key-id={row.api_key_id} data-cost={row.cost}>
      <th scope="row">
        <span class="key-name">{row.name}</span>
        {k ? <span class="preview">{k.key_preview}</span> : null}
      </th>
      <td>
        {k ? (
          <span class="badges">
            <span class={`badge status-${k.validation_status}`}>{statusText(k)}</span>
            {k.kind === 'management' ? <span class="badge">Management</span> : null}
            {!k.is_active ? <span class="badge muted">Disabled</span> : null}
            {stale ? (
              <span class="badge stale" title="No sync for over 2 hours" data-testid="stale-flag">
                Stale
              </span>
            ) : null}
          </span>
        ) : null}
      </td>
      <td class="num"><Amount value={row.cost} align /></td>
      <td class="num">{formatInt(row.requests_count)}</td>
      <td class="num">{snap ? snap.limit === null ? 'No limit' : <Amount value={snap.limit} /> : '—'}</td>
      <td class="num">{snap?.limit_remaining != null ? <Amount value={snap.limit_remaining} /> : '—'}</td>
      <td>{snap?.limit_reset ?? (snap?.limit ? 'never' : '—')}</td>
      <td>
        {share !== null ? (
          <span class="meter-cell">
            <meter min={0} max={1} low={0.8} high={0.95} optimum={0} value={Math.min(share, 1)} aria-label={`${row.name}: ${formatPercent(share)} of the limit used`} />
            <span>{formatPercent(share)}</span>
          </span>
        ) : (
          '—'
        )}
      </td>
      <td class="nowrap">{k && k.kind === 'inference' ? <span title={formatTimestamp(k.last_synced_at)}>{ago(k.last_synced_at)}</span> : '—'}</td>
      <td class="error-cell">{k?.last_sync_error ?? ''}</td>
    </tr>
  );
}
