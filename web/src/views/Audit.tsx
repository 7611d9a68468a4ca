import { useMemo, useState } from 'preact/hooks';
import { api, errorMessage, queryString, type AuditEntry, type AuditPage, type Key } from '../api';
import { actorLabel, changeLines, kindLabel, kindOptions } from '../audit';
import { SelectField } from '../components/Field';
import { NewerOlder } from '../components/NewerOlder';
import { Busy, Notice } from '../components/Notice';
import { formatTimestamp } from '../dates';
import { formatInt } from '../format';
import { useResource, useTitle } from '../hooks';
import { updateParams } from '../router';

const PER_PAGE = 50;
const KINDS = kindOptions();

function Change({ entry }: { entry: AuditEntry }) {
  const lines = changeLines(entry);
  if (lines.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="audit-change">
      {lines.map((l) => (
        <li key={l.field}>
          <span class="audit-field">{l.field}:</span> {l.before !== null ? <del>{l.before}</del> : null}
          {l.before !== null && l.after !== null ? ' → ' : null}
          {l.after !== null ? <ins>{l.after}</ins> : null}
        </li>
      ))}
    </ul>
  );
}

export function Audit({ params }: { params: URLSearchParams }) {
  useTitle('Audit');
  const kind = KINDS.some((o) => o.value === params.get('kind')) ? (params.get('kind') as string) : '';
  const key = /^\d+$/.test(params.get('key') ?? '') ? (params.get('key') as string) : '';
  const page = /^\d+$/.test(params.get('page') ?? '') ? Math.max(1, Number(params.get('page'))) : 1;
  const filters = { kind: kind || undefined, api_key_id: key || undefined };
  const query = { ...filters, page, limit: PER_PAGE };
  const res = useResource<AuditPage>(`audit${queryString(query)}`, (signal) => api.audit(query, signal));
  const keys = useResource<Key[]>('keys', (signal) => api.allKeys(signal));
  const keyNames = useMemo(() => new Map((keys.data ?? []).map((k) => [k.id, k.name])), [keys.data]);
  const [csvBusy, setCsvBusy] = useState(false);
  const [csvError, setCsvError] = useState<string | null>(null);

  async function downloadCsv() {
    setCsvBusy(true);
    setCsvError(null);
    try {
      const url = URL.createObjectURL(await api.auditCsv(filters));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'openrouter-watcher-audit-log.csv';
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
  const filtered = kind !== '' || key !== '';
  const keyLabel = (id: number | null) => (id === null ? '—' : keyNames.get(id) ?? `#${id} (deleted)`);
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Audit
        </h1>
        <Busy active={res.loading} label={data ? 'Updating…' : 'Loading…'} />
      </div>
      <p class="lede">
        Every change to your account, newest first: who made it (you, or OpenRouter Watcher on its own), when, and the values before and after. Secrets never appear here: a new webhook
        secret or password is only said to have changed. Kept for one year.
      </p>

      <div class="panel filters-form" role="group" aria-label="Audit filters">
        <div class="form-row">
          <SelectField id="audit-kind" label="Change" value={kind} onValue={(v) => updateParams({ kind: v, page: undefined })} options={KINDS} testId="audit-kind" />
          <SelectField
            id="audit-key"
            label="Key"
            value={key}
            onValue={(v) => updateParams({ key: v, page: undefined })}
            options={[{ value: '', label: 'All keys' }, ...(keys.data ?? []).map((k) => ({ value: String(k.id), label: k.name }))]}
            testId="audit-key"
          />
        </div>
        <div class="form-actions">
          <button type="button" class="button" onClick={() => void downloadCsv()} disabled={csvBusy} data-testid="download-audit-csv">
            {csvBusy ? 'Preparing CSV…' : 'Download CSV'}
          </button>
        </div>
      </div>

      {res.error ? <Notice tone="error">Could not load the audit log: {errorMessage(res.error)}</Notice> : null}
      {csvError ? <Notice tone="error">{csvError}</Notice> : null}

      {data && p ? (
        <section class="panel" aria-labelledby="audit-table-title">
          <h2 id="audit-table-title">{p.total === 1 ? '1 change' : `${formatInt(p.total)} changes`}</h2>
          {data.items.length === 0 ? (
            <p class="empty" data-testid="audit-empty">
              {filtered ? 'No change matches these filters.' : 'No change recorded yet: what you do to keys, budgets, webhooks, API tokens and settings appears here.'}
            </p>
          ) : (
            <div class="table-scroll" tabIndex={0} role="region" aria-label="Audit log (table, scrolls sideways)">
              <table data-testid="audit-table">
                <thead>
                  <tr>
                    <th scope="col">When (UTC)</th>
                    <th scope="col">Who</th>
                    <th scope="col">What</th>
                    <th scope="col">Key</th>
                    <th scope="col">Before → after</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((e) => (
                    <tr key={e.id} data-testid="audit-row" data-kind={e.kind}>
                      <td class="nowrap">{formatTimestamp(e.at)}</td>
                      <td>{actorLabel(e)}</td>
                      <td>
                        <strong>{kindLabel(e.kind)}</strong>
                        <br />
                        <span class="muted">{e.subject}</span>
                      </td>
                      <td>{keyLabel(e.api_key_id)}</td>
                      <td>
                        <Change entry={e} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {p.pages > 1 ? <NewerOlder page={p.page} pages={p.pages} onPage={(n) => updateParams({ page: n })} /> : null}
        </section>
      ) : null}
    </section>
  );
}
