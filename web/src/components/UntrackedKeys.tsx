import { useState } from 'preact/hooks';
import { api, errorMessage, type Key, type UntrackedKey, type UntrackedKeyList } from '../api';
import { useResource } from '../hooks';
import { Amount } from './Amount';
import { Busy, Notice } from './Notice';

type Msg = { tone: 'success' | 'error'; text: string } | null;

/** "In your OpenRouter account, not tracked yet": what the user's management
 *  keys list that no stored key matches, each importable without its secret
 *  (watched through the management key that lists it). Shown only when the
 *  user has a management key; each load reads the listings at OpenRouter. */
export function UntrackedKeys({ keys, onImported }: { keys: Key[]; onImported: (imported: Key[]) => void }) {
  const managers = keys.filter((k) => k.kind === 'management' && k.is_active && k.validation_status !== 'invalid');
  // Read again whenever the stored keys change (one added elsewhere on the
  // screen is no longer untracked).
  const res = useResource<UntrackedKeyList>(managers.length > 0 ? `untracked:${keys.length}` : null, (signal) => api.untrackedKeys(signal));
  const [busy, setBusy] = useState<string | null>(null);
  const [msg, setMsg] = useState<Msg>(null);
  if (managers.length === 0) return null;
  const items = res.data?.items ?? [];
  const nameOf = (id: number) => keys.find((k) => k.id === id)?.name ?? `key ${id}`;

  async function importKeys(which: UntrackedKey[], label: string) {
    setBusy(label);
    setMsg(null);
    try {
      const done = await api.importKeys(which.map((k) => k.hash));
      const hashes = new Set(which.map((k) => k.hash));
      res.mutate((old) => (old ? { ...old, items: old.items.filter((k) => !hashes.has(k.hash)) } : old));
      onImported(done.items);
      const names = done.items.map((k) => `“${k.name}”`).join(', ');
      setMsg({ tone: 'success', text: `Now tracking ${names}, watched through your management key (no secret stored).` });
    } catch (e) {
      setMsg({ tone: 'error', text: `Could not import: ${errorMessage(e)}` });
    } finally {
      setBusy(null);
    }
  }

  return (
    <section class="panel" aria-labelledby="untracked-title" data-testid="untracked-keys">
      <div class="panel-head">
        <h2 id="untracked-title">In your OpenRouter account, not tracked yet</h2>
        <Busy active={res.loading} label="Reading your OpenRouter account…" />
      </div>
      <p class="panel-hint">
        Keys your management key lists that OpenRouter Watcher does not track. Importing one stores no secret: it is watched through the management key, synced from its listing every hour, and
        shown by OpenRouter's masked label.
      </p>
      {msg ? (
        <Notice tone={msg.tone} testId="untracked-result">
          {msg.text}
        </Notice>
      ) : null}
      {res.error ? <Notice tone="error">Could not read your OpenRouter account: {errorMessage(res.error)}</Notice> : null}
      {(res.data?.incomplete ?? []).map((i) => (
        <Notice tone="warning" key={i.management_key_id}>
          “{nameOf(i.management_key_id)}”: {i.reason}.
        </Notice>
      ))}
      {res.data && items.length === 0 ? <p class="empty">Every key of your OpenRouter account is tracked.</p> : null}
      {items.length > 0 ? (
        <>
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Keys not tracked yet (table, scrolls sideways)">
            <table class="keys-list" data-testid="untracked-list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Limit
                  </th>
                  <th scope="col" class="num">
                    Spend (month / all time)
                  </th>
                  <th scope="col">Listed by</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((k) => (
                  <tr key={k.hash} data-testid="untracked-item" data-hash={k.hash} data-name={k.name}>
                    <th scope="row">
                      <span class="key-name">{k.name || 'unnamed'}</span>
                      <span class="preview">{k.label}</span>
                    </th>
                    <td>{k.disabled ? <span class="badge muted">Disabled on OpenRouter</span> : <span class="badge status-valid">Enabled</span>}</td>
                    <td class="num nowrap">
                      {k.limit === null ? 'No limit' : <Amount value={k.limit} />}
                      {k.limit_reset ? <span class="sub-line">resets {k.limit_reset}</span> : null}
                    </td>
                    <td class="num nowrap">
                      <span class="sub-line">
                        month <Amount value={k.usage_monthly} />
                      </span>
                      <span class="sub-line">
                        all time <Amount value={k.usage} />
                      </span>
                    </td>
                    <td>{nameOf(k.management_key_id)}</td>
                    <td>
                      <button type="button" class="button small" disabled={busy !== null} onClick={() => void importKeys([k], k.hash)} data-testid="import-key">
                        {busy === k.hash ? 'Importing…' : 'Import'}
                        <span class="sr-only"> {k.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="row-actions">
            <button type="button" class="button" disabled={busy !== null} onClick={() => void importKeys(items, 'all')} data-testid="import-all">
              {busy === 'all' ? 'Importing…' : `Import all (${items.length})`}
            </button>
            <button type="button" class="button" disabled={busy !== null || res.loading} onClick={res.reload} data-testid="untracked-refresh">
              Read again
            </button>
          </div>
        </>
      ) : null}
    </section>
  );
}
