import { useState } from 'preact/hooks';
import { ApiError, api, errorMessage, fieldErrors, type ApiToken, type CreatedToken } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { TextField } from '../components/Field';
import { Busy, Notice } from '../components/Notice';
import { useReauth } from '../components/Reauth';
import { SecretOnce } from '../components/SecretOnce';
import { addDays, ago, formatTimestamp, todayUtc } from '../dates';
import { useResource, useTitle } from '../hooks';
import { checkName } from '../validate';

export function Tokens() {
  useTitle('API tokens');
  const res = useResource<ApiToken[]>('tokens', (signal) => api.tokens(signal));
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<ApiToken | null>(null);
  const [revoking, setRevoking] = useState(false);
  const reauth = useReauth('token-password');

  async function create(e: Event) {
    e.preventDefault();
    const err = checkName(name);
    setError(err ?? undefined);
    setMessage(null);
    if (err) return;
    setBusy(true);
    try {
      const t = await api.createToken(name.trim(), reauth.password);
      setCreated(t);
      setName('');
      reauth.reset();
      res.reload();
    } catch (ex) {
      if (reauth.handle(ex)) return;
      const f = fieldErrors(ex, { name: 'The name' });
      setError(f.fields.name);
      setMessage({ tone: 'error', text: ex instanceof ApiError && ex.code === 'conflict' ? ex.message : f.message });
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    const t = pending;
    if (!t) return;
    setRevoking(true);
    try {
      await api.revokeToken(t.id);
      res.mutate((old) => old?.map((x) => (x.id === t.id ? { ...x, is_active: false } : x)));
      if (created?.id === t.id) setCreated(null);
      setMessage({ tone: 'success', text: `“${t.name}” was revoked: it stops working immediately.` });
    } catch (ex) {
      setMessage({ tone: 'error', text: `Could not revoke “${t.name}”: ${errorMessage(ex)}` });
    } finally {
      setRevoking(false);
      setPending(null);
    }
  }

  const tokens = res.data;
  const end = todayUtc();
  const start = addDays(end, -29);
  const example = `curl -H "Authorization: Bearer ${created ? created.token : '<your token>'}" \\\n  "${location.origin}/api/v1/stats?start_date=${start}&end_date=${end}"`;

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          API tokens
        </h1>
        <Busy active={res.loading} label={tokens ? 'Updating…' : 'Loading…'} />
      </div>
      <p class="lede">
        Tokens let your own scripts and tools read your usage through the public API (<code>/api/v1</code>), rate-limited per token. They can only read, never change anything.
      </p>

      <section class="panel" aria-labelledby="create-title">
        <h2 id="create-title">Create a token</h2>
        <form class="inline-create" onSubmit={create} noValidate data-testid="create-token-form">
          <TextField id="token-name" label="Name" value={name} onValue={setName} error={error} hint="What will use it, e.g. “Grafana”." />
          {reauth.field}
          <button type="submit" class="button primary" disabled={busy} data-testid="create-token-submit">
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </form>
        {message ? (
          <Notice tone={message.tone} testId="token-message">
            {message.text}
          </Notice>
        ) : null}
        {created ? <NewToken token={created} onDone={() => setCreated(null)} /> : null}
      </section>

      <section class="panel" aria-labelledby="example-title">
        <h2 id="example-title">Use it</h2>
        <p>Spend over the last 30 days (UTC), ready to paste:</p>
        <pre class="code" data-testid="curl-example">
          <code>{example}</code>
        </pre>
        <CopyButton text={example} label="Copy command" />
        <p class="hint">
          Also <code>/api/v1/usage?start_date=…&amp;end_date=…</code> (per day and model) and <code>/api/v1/keys</code>. See the <a href="/openapi.json">OpenAPI document</a>.
        </p>
      </section>

      <section class="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">Your tokens</h2>
        {res.error ? <Notice tone="error">Could not load your tokens: {errorMessage(res.error)}</Notice> : null}
        {tokens && tokens.length === 0 ? <p class="empty">No tokens yet.</p> : null}
        {tokens && tokens.length > 0 ? (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Your tokens (table, scrolls sideways)">
            <table data-testid="tokens-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <tr key={t.id} data-testid="token-row" data-token-id={t.id} data-active={String(t.is_active)}>
                    <th scope="row">{t.name}</th>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td class="nowrap">{formatTimestamp(t.created_at)}</td>
                    <td class="nowrap" title={t.last_used_at ? formatTimestamp(t.last_used_at) : undefined}>
                      {t.last_used_at ? ago(t.last_used_at) : 'never'}
                    </td>
                    <td>{t.is_active ? <span class="badge status-valid">Active</span> : <span class="badge muted">Revoked</span>}</td>
                    <td>
                      {t.is_active ? (
                        <button type="button" class="button small danger-outline" onClick={() => setPending(t)} data-testid="revoke-token">
                          Revoke<span class="sr-only"> {t.name}</span>
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <p class="hint">“Last used” is updated at most once a minute.</p>
      </section>

      <ConfirmDialog
        open={pending !== null}
        title={`Revoke “${pending?.name ?? ''}”?`}
        confirmLabel={revoking ? 'Revoking…' : 'Revoke token'}
        busy={revoking}
        onConfirm={() => void revoke()}
        onCancel={() => setPending(null)}
      >
        <p>Anything using this token gets 401 from now on. This cannot be undone; create a new token if you need one.</p>
      </ConfirmDialog>
    </section>
  );
}

/** Copies `text`; says so, or how to copy by hand when the clipboard is not available. */
function CopyButton({ text, label, onFail, testId }: { text: string; label: string; onFail?: () => void; testId?: string }) {
  const [said, setSaid] = useState<string | null>(null);
  async function copy() {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setSaid('Copied to the clipboard.');
    } catch {
      onFail?.();
      setSaid('Copying is not available here: select the text and press Ctrl+C (⌘C on a Mac).');
    }
  }
  return (
    <span class="copy">
      <button type="button" class="button small" onClick={() => void copy()} data-testid={testId}>
        {label}
      </button>{' '}
      <span class="hint" role="status">
        {said}
      </span>
    </span>
  );
}

function NewToken({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  return (
    <SecretOnce
      value={token.token}
      noun="token"
      notice={
        <>
          Token “{token.name}” created. <strong>Copy it now: it will not be shown again.</strong> Only its first characters are kept for display.
        </>
      }
      label="Your new API token"
      inputId="new-token"
      boxTestId="new-token-box"
      inputTestId="new-token"
      copyTestId="copy-token"
      onDone={onDone}
    />
  );
}
