import { Amount } from '../components/Amount';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorMessage, queryString, type Dashboard, type Key, type UsagePage, type UsageItem } from '../api';
import { SelectField, TextField } from '../components/Field';
import { Busy, Notice } from '../components/Notice';
import { addDays, checkRange, todayUtc } from '../dates';
import { formatInt, modelLabel } from '../format';
import { cached, useResource, useTitle } from '../hooks';
import { displayUsd, sumMoney } from '../money';
import { updateParams } from '../router';

const LIMITS = [25, 50, 100, 500];

function positiveInt(s: string | null, fallback: number, max: number): number {
  if (!s || !/^\d+$/.test(s)) return fallback;
  const n = Number(s);
  return n >= 1 && n <= max ? n : fallback;
}

export function Usage({ params }: { params: URLSearchParams }) {
  useTitle('Usage');
  const today = todayUtc();
  const end = params.get('end') ?? today;
  const start = params.get('start') ?? addDays(end, -29);
  const keyFilter = /^\d+$/.test(params.get('key') ?? '') ? (params.get('key') as string) : '';
  const model = params.get('model') ?? '';
  const page = positiveInt(params.get('page'), 1, 1_000_000_000);
  const limit = positiveInt(params.get('limit'), 50, 1000);
  const rangeError = checkRange(start, end);

  const filters = { start_date: start, end_date: end, api_key_id: keyFilter || undefined, model: model || undefined };
  const query = { ...filters, page, limit };
  const res = useResource<UsagePage>(rangeError ? null : `usage${queryString(query)}`, (signal) => api.usage(query, signal));
  const keysRes = useResource<Key[]>('keys', (signal) => api.allKeys(signal));
  const keyNames = useMemo(() => new Map((keysRes.data ?? []).map((k) => [k.id, k.name])), [keysRes.data]);

  // The form edits a draft; Apply puts it in the URL.
  const [draft, setDraft] = useState({ start, end, key: keyFilter, model });
  useEffect(() => setDraft({ start, end, key: keyFilter, model }), [start, end, keyFilter, model]);
  const [draftError, setDraftError] = useState<string | null>(null);
  const [csvBusy, setCsvBusy] = useState(false);
  const [csvError, setCsvError] = useState<string | null>(null);

  // Model suggestions: this page's models and any overview seen in this session.
  const modelOptions = useMemo(() => {
    const s = new Set<string>();
    for (const it of res.data?.items ?? []) s.add(it.model);
    const dash = cached<Dashboard>(`dashboard${queryString({ days: 30 })}`);
    for (const m of dash?.models ?? []) s.add(m.model);
    return [...s].sort();
  }, [res.data]);

  function apply(e: Event) {
    e.preventDefault();
    const err = checkRange(draft.start, draft.end);
    setDraftError(err);
    if (err) return;
    updateParams({ start: draft.start, end: draft.end, key: draft.key, model: draft.model.trim(), page: undefined });
  }

  async function downloadCsv() {
    setCsvBusy(true);
    setCsvError(null);
    try {
      const blob = await api.usageCsv(filters);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `openrouter-usage-${start}-to-${end}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setCsvError(`Could not download the CSV: ${errorMessage(e)}`);
    } finally {
      setCsvBusy(false);
    }
  }

  const data = res.data;
  const p = data?.pagination;
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Usage
        </h1>
        <Busy active={res.loading} label={data ? 'Updating…' : 'Loading…'} />
      </div>

      <form class="panel filters-form" onSubmit={apply} noValidate aria-label="Usage filters">
        <div class="form-row">
          <TextField id="usage-start" label="From (UTC)" type="date" value={draft.start} max={today} onValue={(v) => setDraft({ ...draft, start: v })} error={draftError?.includes('start') ? draftError : undefined} />
          <TextField id="usage-end" label="To (UTC)" type="date" value={draft.end} max={today} onValue={(v) => setDraft({ ...draft, end: v })} error={draftError && !draftError.includes('start') ? draftError : undefined} />
          <SelectField
            id="usage-key"
            label="Key"
            value={draft.key}
            onValue={(v) => setDraft({ ...draft, key: v })}
            options={[{ value: '', label: 'All keys' }, ...(keysRes.data ?? []).filter((k) => k.kind === 'inference').map((k) => ({ value: String(k.id), label: k.name }))]}
          />
          <TextField id="usage-model" label="Model" value={draft.model} onValue={(v) => setDraft({ ...draft, model: v })} list="usage-models" spellcheck={false} hint="Exact model slug; empty for all." />
          <datalist id="usage-models">
            {modelOptions.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
        <div class="form-actions">
          <button type="submit" class="button primary">
            Apply filters
          </button>
          <button type="button" class="button" onClick={() => void downloadCsv()} disabled={csvBusy || rangeError !== null} data-testid="download-csv">
            {csvBusy ? 'Preparing CSV…' : 'Download CSV'}
          </button>
        </div>
      </form>

      {rangeError ? <Notice tone="error">{rangeError}</Notice> : null}
      {res.error ? <Notice tone="error">Could not load usage: {errorMessage(res.error)}</Notice> : null}
      {csvError ? <Notice tone="error">{csvError}</Notice> : null}

      {data && p ? (
        <section class="panel" aria-labelledby="usage-table-title">
          <h2 id="usage-table-title">
            Rows {p.total === 0 ? 0 : (p.page - 1) * p.limit + 1}–{Math.min(p.page * p.limit, p.total)} of {formatInt(p.total)}
          </h2>
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Usage rows (table, scrolls sideways)">
            <table data-testid="usage-table">
              <thead>
                <tr>
                  <th scope="col">Day (UTC)</th>
                  <th scope="col">Key</th>
                  <th scope="col">Model</th>
                  <th scope="col" class="num">
                    Requests
                  </th>
                  <th scope="col" class="num">
                    Tokens in
                  </th>
                  <th scope="col" class="num">
                    Tokens out
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.length === 0 ? (
                  <tr>
                    <td colSpan={7} class="empty">
                      No usage matches these filters.
                    </td>
                  </tr>
                ) : (
                  data.items.map((it) => (
                    <tr key={`${it.date}|${it.api_key_id}|${it.model}`} data-testid="usage-row" data-cost={it.cost}>
                      <td class="nowrap">{it.date}</td>
                      <td>{keyNames.get(it.api_key_id) ?? `#${it.api_key_id}`}</td>
                      <td class="model-name">{modelLabel(it.model)}</td>
                      <td class="num">{formatInt(it.requests_count)}</td>
                      <td class="num">{formatInt(it.tokens_input)}</td>
                      <td class="num">{formatInt(it.tokens_output)}</td>
                      <td class="num"><Amount value={it.cost} align /></td>
                    </tr>
                  ))
                )}
              </tbody>
              {data.items.length > 0 ? (
                <tfoot>
                  <tr>
                    <th scope="row" colSpan={6}>
                      Sum of this page
                    </th>
                    <td class="num"><Amount value={sumMoney(data.items.map((i) => i.cost))} align /></td>
                  </tr>
                </tfoot>
              ) : null}
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <button type="button" class="button small" disabled={p.page <= 1} onClick={() => updateParams({ page: p.page - 1 })}>
              ← Previous
            </button>
            <span data-testid="page-info">
              Page {p.page} of {Math.max(p.pages, 1)}
            </span>
            <button type="button" class="button small" disabled={p.page >= p.pages} onClick={() => updateParams({ page: p.page + 1 })}>
              Next →
            </button>
            <SelectField
              id="usage-limit"
              label="Rows per page"
              value={String(limit)}
              onValue={(v) => updateParams({ limit: v, page: undefined })}
              options={[...new Set([...LIMITS, limit])].sort((a, b) => a - b).map((n) => ({ value: String(n), label: String(n) }))}
            />
          </nav>
        </section>
      ) : null}
    </section>
  );
}
