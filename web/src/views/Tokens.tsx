import { useState } from 'preact/hooks';
import { ApiError, api, errorMessage, fieldErrors, type ApiToken, type CreatedToken, type Key, type TokenScope } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CheckField, SelectField, TextField } from '../components/Field';
import { Busy, Notice } from '../components/Notice';
import { useReauth } from '../components/Reauth';
import { SecretOnce } from '../components/SecretOnce';
import { addDays, ago, formatTimestamp, todayUtc } from '../dates';
import { useResource, useTitle } from '../hooks';
import { useCurrentOrg } from '../role';
import { EXPIRIES, SCOPES, expiresAt, expiryText, parseExpiry, scopesText, type ExpiryChoice } from '../tokens';
import { checkName } from '../validate';

const LABELS = { name: 'The name', scopes: 'The scopes', api_key_ids: 'The keys', expires_at: 'The expiry' };

export function Tokens() {
  useTitle('API tokens');
  const res = useResource<ApiToken[]>('tokens', (signal) => api.tokens(signal));
  const keys = useResource<Key[]>('keys', (signal) => api.allKeys(signal));
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<TokenScope[]>(SCOPES.map((s) => s.value));
  const [limited, setLimited] = useState(false);
  const [keyIds, setKeyIds] = useState<number[]>([]);
  const [expiry, setExpiry] = useState<ExpiryChoice>('never');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<ApiToken | null>(null);
  const [revoking, setRevoking] = useState(false);
  const reauth = useReauth('token-password');
  const { manages } = useCurrentOrg();

  function check(): Record<string, string> {
    const found: Record<string, string> = {};
    const nameError = checkName(name);
    if (nameError) found.name = nameError;
    if (scopes.length === 0) found.scopes = 'Tick at least one thing the token may read.';
    if (limited && keyIds.length === 0) found.api_key_ids = 'Tick at least one key, or let it see every key.';
    return found;
  }

  async function create(e: Event) {
    e.preventDefault();
    const found = check();
    setErrors(found);
    setMessage(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const t = await api.createToken({
        name: name.trim(),
        scopes: SCOPES.map((s) => s.value).filter((v) => scopes.includes(v)),
        api_key_ids: limited ? keyIds : null,
        expires_at: expiresAt(expiry),
        password: reauth.password,
      });
      setCreated(t);
      setName('');
      reauth.reset();
      res.reload();
    } catch (ex) {
      if (reauth.handle(ex)) return;
      const f = fieldErrors(ex, LABELS);
      setErrors(f.fields);
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
        Tokens let your own scripts and tools read your usage through the public API (<code>/api/v1</code>), rate-limited per token. They can only read, never change anything; each can be limited to what it reads, to some keys and in time.
      </p>

      {manages ? (
      <section class="panel" aria-labelledby="create-title">
        <h2 id="create-title">Create a token</h2>
        <form class="inline-create" onSubmit={create} noValidate data-testid="create-token-form">
          <TextField id="token-name" label="Name" value={name} onValue={setName} error={errors.name} hint="What will use it, e.g. “Grafana”." />
          <ScopeFields scopes={scopes} setScopes={setScopes} error={errors.scopes} />
          <KeyFields keys={keys.data ?? []} limited={limited} setLimited={setLimited} keyIds={keyIds} setKeyIds={setKeyIds} error={errors.api_key_ids} />
          <SelectField
            id="token-expiry"
            label="Expires"
            value={expiry}
            onValue={(v) => setExpiry(parseExpiry(v))}
            options={EXPIRIES}
            error={errors.expires_at}
            hint="After that it answers 401, like a revoked token."
            testId="token-expiry"
          />
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
      ) : null}

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
                  <th scope="col">Can read</th>
                  <th scope="col">Keys</th>
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
                    <td data-testid="token-scopes">{scopesText(t.scopes)}</td>
                    <td data-testid="token-keys">{keysText(t.api_key_ids, keys.data)}</td>
                    <td data-testid="token-status">
                      {t.is_active ? (
                        t.expired ? (
                          <span class="badge muted">Expired</span>
                        ) : (
                          <span class="badge status-valid">Active</span>
                        )
                      ) : (
                        <span class="badge muted">Revoked</span>
                      )}
                      {t.is_active && !t.expired ? <span class="hint nowrap"> {expiryText(t)}</span> : null}
                    </td>
                    <td>
                      {manages && t.is_active && !t.expired ? (
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

function ScopeFields(p: { scopes: TokenScope[]; setScopes: (f: (s: TokenScope[]) => TokenScope[]) => void; error: string | undefined }) {
  const toggle = (v: TokenScope, on: boolean) => p.setScopes((s) => (on ? [...s.filter((x) => x !== v), v] : s.filter((x) => x !== v)));
  return (
    <fieldset class="policy-fields" data-testid="token-scopes-fields" aria-describedby={p.error ? 'token-scopes-error' : undefined}>
      <legend>What it can read</legend>
      <div class="form-row">
        {SCOPES.map((s) => (
          <CheckField key={s.value} id={`token-scope-${s.value.replace(':', '-')}`} label={s.label} checked={p.scopes.includes(s.value)} onChecked={(on) => toggle(s.value, on)} testId={`token-scope-${s.value.replace(':', '-')}`} />
        ))}
      </div>
      {p.error ? (
        <p class="field-error" id="token-scopes-error" data-testid="token-scopes-error">
          {p.error}
        </p>
      ) : null}
    </fieldset>
  );
}

function KeyFields(p: {
  keys: Key[];
  limited: boolean;
  setLimited: (on: boolean) => void;
  keyIds: number[];
  setKeyIds: (f: (ids: number[]) => number[]) => void;
  error: string | undefined;
}) {
  const toggle = (id: number, on: boolean) => p.setKeyIds((ids) => (on ? [...ids.filter((x) => x !== id), id] : ids.filter((x) => x !== id)));
  return (
    <fieldset class="policy-fields" data-testid="token-keys-fields" aria-describedby={p.error ? 'token-keys-error' : undefined}>
      <legend>Which keys it sees</legend>
      <CheckField id="token-limit-keys" label="Only some keys" checked={p.limited} onChecked={p.setLimited} hint="Unticked: every key, including keys added later." testId="token-limit-keys" />
      {p.limited ? (
        <div class="form-row">
          {p.keys.map((k) => (
            <CheckField key={k.id} id={`token-key-${k.id}`} label={k.name} checked={p.keyIds.includes(k.id)} onChecked={(on) => toggle(k.id, on)} testId={`token-only-key-${k.id}`} />
          ))}
          {p.keys.length === 0 ? <p class="empty">No keys yet.</p> : null}
        </div>
      ) : null}
      {p.error ? (
        <p class="field-error" id="token-keys-error" data-testid="token-keys-error">
          {p.error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** "all" or the keys' names (an id whose key is gone is left out). */
function keysText(ids: number[] | null, keys: Key[] | undefined): string {
  if (ids === null) return 'all';
  if (ids.length === 0) return 'none left';
  return ids.map((id) => keys?.find((k) => k.id === id)?.name ?? `#${id}`).join(', ');
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
