import { useEffect, useRef, useState } from 'preact/hooks';
import { Amount } from '../components/Amount';
import { ApiError, api, errorMessage, fieldErrors, type Budget, type CreatedKey, type Key, type KeyAction, type KeyActionPage, type KeyKind } from '../api';
import { BudgetBar } from '../components/BudgetBar';
import { BudgetManager } from '../components/BudgetForm';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { UndoBody, undoTitle } from '../components/KeyActions';
import { KeyLimitPanel, LimitBody, limitTitle, type LimitRequest } from '../components/KeyLimit';
import { SelectField, TextField } from '../components/Field';
import { Busy, Notice } from '../components/Notice';
import { UntrackedKeys } from '../components/UntrackedKeys';
import { ago, formatTimestamp, isStale } from '../dates';
import { driftText, statusSentence, statusText } from '../format';
import { invalidateExcept, useResource, useTitle } from '../hooks';
import { useCurrentOrg } from '../role';
import { keyActionSentence, limitText, undoMessage, usableManagementKey } from '../policy';
import { updateParams } from '../router';
import { sortBudgets } from '../runway';
import { checkName, checkOpenRouterKey } from '../validate';

type Msg = { tone: 'success' | 'error' | 'warning' | 'info'; text: string } | null;

export function Keys({ params }: { params: URLSearchParams }) {
  useTitle('Keys');
  const res = useResource<Key[]>('keys', (signal) => api.allKeys(signal));
  const keys = res.data;
  const [msg, setMsg] = useState<Msg>(null);
  const { mayChange } = useCurrentOrg();
  const [pendingDelete, setPendingDelete] = useState<Key | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [busyIds, setBusyIds] = useState<Set<number>>(new Set());
  const budgetsRes = useResource<Budget[]>('budgets', (signal) => api.budgets(signal));
  const [pendingBudget, setPendingBudget] = useState<Budget | null>(null);
  const [budgetMsg, setBudgetMsg] = useState<Msg>(null);
  const budgetKeyId = /^\d+$/.test(params.get('budget') ?? '') ? Number(params.get('budget')) : null;
  const budgetKey = keys?.find((k) => k.id === budgetKeyId) ?? null;
  const canAct = keys ? usableManagementKey(keys) !== null : null;
  // What policies did to the keys: in force, and this period's dry runs.
  const applied = useResource<KeyActionPage>('actions?state=applied', (signal) => api.actions(1, 100, 'applied', signal));
  const dryRuns = useResource<KeyActionPage>('actions?state=dry_run', (signal) => api.actions(1, 50, 'dry_run', signal));
  const [pendingUndo, setPendingUndo] = useState<KeyAction | null>(null);
  const [undoing, setUndoing] = useState<number | null>(null);
  // "Set an OpenRouter limit" (`#/keys?limit=<id>`), confirmed by the dialog.
  const limitKeyId = /^\d+$/.test(params.get('limit') ?? '') ? Number(params.get('limit')) : null;
  const limitKey = keys?.find((k) => k.id === limitKeyId) ?? null;
  const [pendingLimit, setPendingLimit] = useState<LimitRequest | null>(null);
  const [limitBusy, setLimitBusy] = useState(false);
  const [limitErrors, setLimitErrors] = useState<Record<string, string>>({});
  const [limitMessage, setLimitMessage] = useState<string | null>(null);
  /** Limits set here that the key's snapshot does not show yet (until its next sync). */
  const [limitsSet, setLimitsSet] = useState<Map<number, string>>(new Map());
  const setLimits = useResource<KeyActionPage>('actions?state=set', (signal) => api.actions(1, 100, 'set', signal));

  /** A limit set here since the key's snapshot was taken ("25 USD monthly"). */
  function limitSetOf(k: Key): string | null {
    const local = limitsSet.get(k.id);
    if (local) return local;
    const taken = k.snapshot ? Date.parse(k.snapshot.taken_at) : 0;
    const a = (setLimits.data?.items ?? []).find((x) => x.api_key_id === k.id && Date.parse(x.created_at) > taken && x.after?.limit != null);
    return a?.after?.limit != null ? limitText(a.after.limit, a.after.limit_reset) : null;
  }

  function mayLimit(k: Key): boolean {
    return canAct === true && k.kind === 'inference' && k.is_active && k.snapshot !== null && k.snapshot.limit === null && limitSetOf(k) === null;
  }

  async function confirmLimit() {
    const r = pendingLimit;
    if (!r) return;
    setPendingLimit(null);
    setLimitBusy(true);
    setLimitErrors({});
    setLimitMessage(null);
    try {
      const a = await api.setKeyLimit(r.k.id, { limit: r.limit, limit_reset: r.limit_reset });
      const text = limitText(a.after?.limit ?? r.limit, a.after?.limit_reset ?? r.limit_reset);
      setLimitsSet((m) => new Map(m).set(r.k.id, text));
      updateParams({ limit: undefined });
      setMsg({ tone: 'success', text: `“${r.k.name}” now has an OpenRouter limit of ${text}: OpenRouter refuses its requests past it.` });
      setLimits.reload();
      // The row shows the limit from the key's snapshot: take a fresh one.
      try {
        replace((await api.syncKey(r.k.id)).key);
      } catch {
        // Synced a moment ago (429) or OpenRouter busy: the next sync shows it.
      }
    } catch (e) {
      const f = fieldErrors(e, { limit: 'The limit', limit_reset: 'The reset window' });
      setLimitErrors(f.fields);
      setLimitMessage(e instanceof ApiError && e.status === 422 && Object.keys(f.fields).length > 0 ? null : f.message);
    } finally {
      setLimitBusy(false);
    }
  }

  function actionsOf(id: number): KeyAction[] {
    const now = Date.now();
    const inForce = (applied.data?.items ?? []).filter((a) => a.api_key_id === id);
    const dry = (dryRuns.data?.items ?? []).filter((a) => a.api_key_id === id && Date.parse(a.restore_at) > now);
    return [...inForce, ...dry];
  }

  async function confirmUndo() {
    const a = pendingUndo;
    if (!a) return;
    setPendingUndo(null);
    setUndoing(a.id);
    try {
      setMsg(undoMessage(await api.undoAction(a.id)));
    } catch (e) {
      setMsg({ tone: 'error', text: `Could not undo the action on “${a.api_key_name}”: ${errorMessage(e)}` });
    } finally {
      setUndoing(null);
      applied.reload();
      dryRuns.reload();
      res.reload();
      invalidateExcept('keys', 'budgets');
    }
  }

  function budgetsOf(id: number): Budget[] {
    return sortBudgets((budgetsRes.data ?? []).filter((b) => b.scope === 'key' && b.api_key_id === id));
  }

  function budgetsChanged() {
    budgetsRes.reload();
    invalidateExcept('keys', 'budgets');
  }

  async function confirmBudgetDelete() {
    const b = pendingBudget;
    if (!b || b.id === null) return;
    setDeleting(true);
    try {
      await api.deleteBudget(b.id);
      budgetsChanged();
      setBudgetMsg({ tone: 'success', text: `The ${b.period} budget of “${b.api_key_name ?? ''}” was deleted.` });
    } catch (e) {
      setBudgetMsg({ tone: 'error', text: `Could not delete the budget: ${errorMessage(e)}` });
    } finally {
      setDeleting(false);
      setPendingBudget(null);
    }
  }

  function replace(k: Key) {
    res.mutate((old) => old?.map((x) => (x.id === k.id ? k : x)));
    clearCacheExceptKeys();
  }

  function clearCacheExceptKeys() {
    // Dashboard and usage answers change with keys; the keys list is fresh.
    invalidateExcept('keys');
    budgetsRes.reload();
  }

  async function withBusy(id: number, f: () => Promise<void>) {
    setBusyIds((s) => new Set(s).add(id));
    try {
      await f();
    } finally {
      setBusyIds((s) => {
        const n = new Set(s);
        n.delete(id);
        return n;
      });
    }
  }

  async function toggle(k: Key) {
    await withBusy(k.id, async () => {
      try {
        const updated = await api.updateKey(k.id, { is_active: !k.is_active });
        replace(updated);
        setMsg({ tone: 'success', text: `“${updated.name}” is now ${updated.is_active ? 'enabled: it is synced every hour' : 'disabled: it is kept but no longer synced'}.` });
      } catch (e) {
        setMsg({ tone: 'error', text: `Could not change “${k.name}”: ${errorMessage(e)}` });
      }
    });
  }

  async function sync(k: Key) {
    await withBusy(k.id, async () => {
      try {
        const r = await api.syncKey(k.id);
        replace(r.key);
        if (r.sync.status === 'ok') setMsg({ tone: 'success', text: `“${k.name}” synced: its numbers are up to date.` });
        else if (r.sync.status === 'deferred') setMsg({ tone: 'warning', text: `“${k.name}” was not synced now: ${r.sync.error ?? 'deferred'}. The hourly sync will finish it.` });
        else setMsg({ tone: 'error', text: `Syncing “${k.name}” failed: ${r.sync.error ?? 'OpenRouter refused or failed'}.` });
      } catch (e) {
        if (e instanceof ApiError && e.status === 429) {
          setMsg({ tone: 'warning', text: `“${k.name}” was synced less than a minute ago.${e.retryAfter !== null ? ` Try again in ${e.retryAfter} s.` : ''}` });
        } else {
          setMsg({ tone: 'error', text: `Could not sync “${k.name}”: ${errorMessage(e)}` });
        }
      }
    });
  }

  async function confirmDelete() {
    const k = pendingDelete;
    if (!k) return;
    setDeleting(true);
    try {
      await api.deleteKey(k.id);
      res.mutate((old) => old?.filter((x) => x.id !== k.id));
      clearCacheExceptKeys();
      setMsg({ tone: 'success', text: `“${k.name}” was deleted, with its usage history.` });
    } catch (e) {
      setMsg({ tone: 'error', text: `Could not delete “${k.name}”: ${errorMessage(e)}` });
    } finally {
      setDeleting(false);
      setPendingDelete(null);
    }
  }

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Keys
        </h1>
        <Busy active={res.loading} label={keys ? 'Updating…' : 'Loading…'} />
      </div>
      {params.get('welcome') && keys?.length === 0 ? (
        <Notice tone="info">Welcome! Add your OpenRouter keys below. Add a management key too if you want spend per model: it reads your account's activity.</Notice>
      ) : null}

      {mayChange ? (
        <AddKeyForm
          management={params.get('add') === 'management'}
          onCreated={(k) => {
            res.mutate((old) => [...(old ?? []), k]);
            clearCacheExceptKeys();
          }}
        />
      ) : null}

      <section class="panel" aria-labelledby="list-title">
        <h2 id="list-title">Your keys</h2>
        {msg ? (
          <Notice tone={msg.tone} testId="key-action-result">
            {msg.text}
          </Notice>
        ) : null}
        {res.error ? <Notice tone="error">Could not load your keys: {errorMessage(res.error)}</Notice> : null}
        {keys && keys.length === 0 ? <p class="empty">No keys yet.</p> : null}
        {keys && keys.length > 0 ? (
          <div class="table-scroll" tabIndex={0} role="region" aria-label="Your keys (table, scrolls sideways)">
            <table class="keys-list" data-testid="keys-list">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Limit / remaining
                  </th>
                  <th scope="col" class="num">
                    Spend (OpenRouter)
                  </th>
                  <th scope="col">Budget</th>
                  <th scope="col">Last sync</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <KeyItem
                    key={k.id}
                    k={k}
                    budgets={budgetsOf(k.id)}
                    actions={actionsOf(k.id)}
                    undoing={undoing}
                    onUndo={setPendingUndo}
                    watchedThrough={k.watched_via === null ? null : (keys.find((m) => m.id === k.watched_via)?.name ?? `key ${k.watched_via}`)}
                    budgetOpen={budgetKeyId === k.id}
                    mayLimit={mayLimit(k)}
                    limitOpen={limitKeyId === k.id}
                    limitSet={limitSetOf(k)}
                    busy={busyIds.has(k.id)}
                    onRenamed={(u) => {
                      replace(u);
                      setMsg({ tone: 'success', text: `Renamed to “${u.name}”.` });
                    }}
                    onToggle={() => void toggle(k)}
                    onSync={() => void sync(k)}
                    onDelete={() => setPendingDelete(k)}
                    readOnly={!mayChange}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {keys && mayChange ? (
        <UntrackedKeys
          keys={keys}
          onImported={(imported) => {
            res.mutate((old) => [...(old ?? []), ...imported]);
            clearCacheExceptKeys();
          }}
        />
      ) : null}

      {budgetKey && mayChange ? (
        <KeyBudgets
          k={budgetKey}
          budgets={budgetsOf(budgetKey.id)}
          canAct={canAct ?? true}
          loaded={budgetsRes.data !== undefined}
          error={budgetsRes.error}
          msg={budgetMsg}
          onMessage={setBudgetMsg}
          onChanged={budgetsChanged}
          onDelete={setPendingBudget}
        />
      ) : null}

      {limitKey && mayChange && mayLimit(limitKey) ? (
        <KeyLimitPanel
          k={limitKey}
          budgets={budgetsOf(limitKey.id)}
          errors={limitErrors}
          message={limitMessage}
          busy={limitBusy}
          onRequest={(r) => {
            setLimitErrors({});
            setLimitMessage(null);
            setPendingLimit(r);
          }}
        />
      ) : null}

      <ConfirmDialog
        open={pendingDelete !== null || pendingBudget !== null || pendingUndo !== null || pendingLimit !== null}
        title={
          pendingLimit
            ? limitTitle(pendingLimit)
            : pendingUndo
            ? undoTitle(pendingUndo)
            : pendingBudget
              ? `Delete the ${pendingBudget.period} budget of “${pendingBudget.api_key_name ?? ''}”?`
              : `Delete “${pendingDelete?.name ?? ''}”?`
        }
        confirmLabel={pendingLimit ? 'Set the limit' : pendingUndo ? 'Put it back' : deleting ? 'Deleting…' : pendingBudget ? 'Delete budget' : 'Delete key'}
        busy={deleting}
        onConfirm={() => void (pendingLimit ? confirmLimit() : pendingUndo ? confirmUndo() : pendingBudget ? confirmBudgetDelete() : confirmDelete())}
        onCancel={() => {
          setPendingDelete(null);
          setPendingBudget(null);
          setPendingUndo(null);
          setPendingLimit(null);
        }}
      >
        {pendingLimit ? (
          <LimitBody r={pendingLimit} />
        ) : pendingUndo ? (
          <UndoBody a={pendingUndo} />
        ) : pendingBudget ? (
          <p>No more alerts for this budget. Past alerts stay listed. If the key has a limit on OpenRouter, that limit is tracked again instead.</p>
        ) : (
          <p>The key and all the usage recorded for it are removed from OpenRouter Watcher. The key itself keeps working at OpenRouter.</p>
        )}
      </ConfirmDialog>
    </section>
  );
}

/** `management`: opened from "Add a management key" (`#/keys?add=management`):
 *  the kind is preset and the form takes the focus. */
function AddKeyForm({ onCreated, management }: { onCreated: (k: CreatedKey) => void; management: boolean }) {
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [kind, setKind] = useState<KeyKind>(management ? 'management' : 'inference');
  useEffect(() => {
    if (!management) return;
    setKind('management');
    // After the view's own focus on its heading.
    const frame = requestAnimationFrame(() => {
      const input = document.getElementById('key-name');
      input?.focus();
      input?.scrollIntoView({ block: 'center' });
    });
    return () => cancelAnimationFrame(frame);
  }, [management]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const n = checkName(name);
    const k = checkOpenRouterKey(key);
    if (n) errs.name = n;
    if (k) errs.key = k;
    setErrors(errs);
    setMessage(null);
    if (n || k) return;
    setBusy(true);
    setCreated(null);
    try {
      const c = await api.createKey(name.trim(), key.trim(), kind);
      setKey('');
      setName('');
      setCreated(c);
      onCreated(c);
    } catch (err) {
      const f = fieldErrors(err, { name: 'The name', key: 'The key', kind: 'The kind' });
      if (err instanceof ApiError && err.code === 'conflict') {
        setMessage(err.message);
      } else {
        setErrors(f.fields);
        setMessage(f.message);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="add-title">
      <h2 id="add-title">Add a key</h2>
      <form class="add-key" onSubmit={submit} noValidate data-testid="add-key-form">
        <div class="form-row">
          <TextField id="key-name" label="Name" value={name} onValue={setName} error={errors.name} maxLength={200} hint="For example “production” or “laptop”." />
          <TextField
            id="key-value"
            label="OpenRouter key"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={key}
            onValue={setKey}
            error={errors.key}
            hint="Starts with sk-or-. Stored encrypted; shown afterwards only as its last 4 characters."
          />
          <SelectField
            id="key-kind"
            label="Kind"
            value={kind}
            onValue={(v) => setKind(v === 'management' ? 'management' : 'inference')}
            options={[
              { value: 'inference', label: 'Inference key (track its spend)' },
              { value: 'management', label: 'Management key (read per-model activity)' },
            ]}
            error={errors.kind}
          />
        </div>
        {kind === 'management' ? (
          <Notice tone="warning" testId="management-warning">
            A management key is powerful: whoever holds it can create, change and delete your OpenRouter keys and read your account's activity. OpenRouter Watcher only uses it to read activity (spend
            per model and per day); it is stored encrypted and never shown again.
          </Notice>
        ) : null}
        {message ? (
          <Notice tone="error" testId="add-key-error">
            {message}
          </Notice>
        ) : null}
        <button class="button primary" type="submit" disabled={busy} data-testid="add-key-submit">
          {busy ? 'Adding and checking with OpenRouter…' : 'Add key'}
        </button>
      </form>
      {created ? (
        <Notice tone={created.validation_status === 'valid' ? 'success' : created.validation_status === 'invalid' ? 'error' : 'warning'} testId="create-result">
          <span data-status={created.validation_status} data-testid="create-status">
            “{created.name}” ({created.key_preview}) was added. {statusSentence(created.validation_status)}
          </span>
          {created.validation_detail ? <> {created.validation_detail}</> : null}
        </Notice>
      ) : null}
    </section>
  );
}

/** The budgets of one key (`#/keys?budget=<id>`): bars, edit, delete, a new one. */
function KeyBudgets({
  k,
  budgets,
  canAct,
  loaded,
  error,
  msg,
  onMessage,
  onChanged,
  onDelete,
}: {
  k: Key;
  budgets: Budget[];
  canAct: boolean;
  loaded: boolean;
  error: unknown;
  msg: Msg;
  onMessage: (m: Msg) => void;
  onChanged: () => void;
  onDelete: (b: Budget) => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: 'start' });
  }, [k.id]);
  return (
    <section class="panel" id="key-budget-panel" aria-labelledby="key-budget-title" data-testid="key-budgets" data-key-id={k.id}>
      <div class="panel-head">
        <h2 id="key-budget-title" ref={heading} tabIndex={-1}>
          Budget of “{k.name}”
        </h2>
        <button type="button" class="button small" onClick={() => updateParams({ budget: undefined })} data-testid="close-budget">
          Close
        </button>
      </div>
      <p class="panel-hint">
        Spend as OpenRouter counts it for this key, per UTC day, week (from Monday) or month. Alerts go to the webhooks on the <a href="#/alerts">Alerts</a> screen.
      </p>
      {msg ? (
        <Notice tone={msg.tone === 'success' ? 'success' : 'error'} testId="budget-result">
          {msg.text}
        </Notice>
      ) : null}
      {error ? <Notice tone="error">Could not load the budgets: {errorMessage(error)}</Notice> : null}
      {loaded ? (
        <BudgetManager
          apiKeyId={k.id}
          canAct={canAct}
          budgets={budgets}
          idPrefix={`key-${k.id}-budget`}
          onChanged={onChanged}
          onDelete={onDelete}
          onMessage={(tone, text) => onMessage({ tone, text })}
        />
      ) : null}
    </section>
  );
}

function KeyItem({
  k,
  budgets,
  actions,
  undoing,
  onUndo,
  watchedThrough,
  budgetOpen,
  mayLimit,
  limitOpen,
  limitSet,
  busy,
  onRenamed,
  onToggle,
  onSync,
  onDelete,
  readOnly,
}: {
  k: Key;
  budgets: Budget[];
  /** What policies did to this key: in force, or this period's dry runs. */
  actions: KeyAction[];
  undoing: number | null;
  onUndo: (a: KeyAction) => void;
  /** The management key's name, for a key watched through it (no secret). */
  watchedThrough: string | null;
  budgetOpen: boolean;
  /** Whether to offer "Set an OpenRouter limit" (no limit, a management key). */
  mayLimit: boolean;
  limitOpen: boolean;
  /** A limit just set here, not in the snapshot yet ("25 USD monthly"). */
  limitSet: string | null;
  busy: boolean;
  onRenamed: (k: Key) => void;
  onToggle: () => void;
  onSync: () => void;
  onDelete: () => void;
  /** A viewer's: the key's figures, no action. */
  readOnly: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(k.name);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const snap = k.snapshot;
  const stale = k.kind === 'inference' && k.is_active && k.validation_status !== 'invalid' && isStale(k.last_synced_at);

  async function save(e: Event) {
    e.preventDefault();
    const err = checkName(name);
    setError(err ?? undefined);
    if (err) return;
    if (name.trim() === k.name) {
      setEditing(false);
      return;
    }
    setSaving(true);
    try {
      const u = await api.updateKey(k.id, { name: name.trim() });
      setEditing(false);
      onRenamed(u);
    } catch (ex) {
      const f = fieldErrors(ex, { name: 'The name' });
      setError(f.fields.name ?? f.message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <tr class={actions.length > 0 ? 'has-policy' : undefined} data-testid="key-item" data-key-id={k.id} data-name={k.name} data-status={k.validation_status} data-active={String(k.is_active)} data-synced={k.last_synced_at ?? ''}>
        <th scope="row">
          {editing ? (
            <form class="inline-form" onSubmit={save} noValidate>
              <TextField id={`rename-${k.id}`} label={`New name for ${k.name}`} value={name} onValue={setName} error={error} />
              <div class="inline-actions">
                <button class="button small primary" type="submit" disabled={saving}>
                  Save
                </button>
                <button
                  class="button small"
                  type="button"
                  onClick={() => {
                    setEditing(false);
                    setName(k.name);
                    setError(undefined);
                  }}
                >
                  Cancel
                </button>
              </div>
            </form>
          ) : (
            <>
              <span class="key-name">{k.name}</span>
              <span class="preview">{k.key_preview}</span>
              {watchedThrough !== null ? (
                <span class="sub-line" data-testid="watched-note">
                  watched through “{watchedThrough}”; no secret stored
                </span>
              ) : null}
            </>
          )}
        </th>
        <td>{k.kind === 'management' ? 'Management' : 'Inference'}</td>
        <td>
          <span class="badges">
            <span class={`badge status-${k.validation_status}`} title={statusSentence(k.validation_status)}>
              {statusText(k)}
            </span>
            {!k.is_active ? <span class="badge muted">Disabled</span> : null}
            {stale ? <span class="badge stale">Stale</span> : null}
          </span>
          {k.last_sync_error ? <span class="error-text">{k.last_sync_error}</span> : null}
          {k.drift ? (
            <span class="error-text" data-testid="key-drift">
              {driftText(k.drift)}
            </span>
          ) : null}
        </td>
        <td class="num nowrap">
          {snap ? (
            <>
              {snap.limit !== null ? (
                <Amount value={snap.limit} />
              ) : limitSet ? (
                <span data-testid="limit-set">
                  Limit set: {limitSet}
                  <span class="sub-line">shown after the next sync</span>
                </span>
              ) : (
                'No limit'
              )}
              {mayLimit ? (
                <button
                  type="button"
                  class="button small limit-offer"
                  aria-expanded={limitOpen}
                  aria-controls={limitOpen ? 'key-limit-panel' : undefined}
                  onClick={() => updateParams({ limit: limitOpen ? undefined : k.id, budget: undefined })}
                  data-testid="offer-limit"
                >
                  Set an OpenRouter limit<span class="sr-only"> on {k.name}</span>
                </button>
              ) : null}
              {snap.limit_remaining !== null ? (
                <span class="sub-line">
                  <Amount value={snap.limit_remaining} /> left
                </span>
              ) : null}
              {snap.limit_reset ? <span class="sub-line">resets {snap.limit_reset}</span> : null}
            </>
          ) : (
            '—'
          )}
        </td>
        <td class="num nowrap">
          {snap ? (
            <>
              <span class="sub-line">
                today <Amount value={snap.usage_daily} />
              </span>
              <span class="sub-line">
                week <Amount value={snap.usage_weekly} />
              </span>
              <span class="sub-line">
                month <Amount value={snap.usage_monthly} />
              </span>
            </>
          ) : (
            '—'
          )}
        </td>
        <td class="budget-cell">
          {budgets.map((b) => (
            <BudgetBar key={`${b.id ?? 'limit'}-${b.period}`} b={b} compact />
          ))}
          {k.kind === 'inference' && !readOnly ? (
            <button
              type="button"
              class="button small"
              aria-expanded={budgetOpen}
              aria-controls={budgetOpen ? 'key-budget-panel' : undefined}
              onClick={() => updateParams({ budget: budgetOpen ? undefined : k.id, limit: undefined })}
              data-testid="manage-budget"
            >
              {budgets.some((b) => b.source === 'budget') ? 'Edit budget' : 'Set budget'}
              <span class="sr-only"> of {k.name}</span>
            </button>
          ) : (
            <span class="hint-inline">—</span>
          )}
        </td>
        <td class="nowrap">{k.kind === 'inference' ? <span title={formatTimestamp(k.last_synced_at)}>{ago(k.last_synced_at)}</span> : 'not synced itself'}</td>
        <td>
          {readOnly ? (
            <span class="hint-inline">—</span>
          ) : (
          <div class="row-actions">
            {!editing ? (
              <button type="button" class="button small" onClick={() => setEditing(true)}>
                Rename<span class="sr-only"> {k.name}</span>
              </button>
            ) : null}
            <button type="button" class="button small" onClick={onToggle} disabled={busy} data-testid="toggle-key">
              {k.is_active ? 'Disable' : 'Enable'}
              <span class="sr-only"> {k.name}</span>
            </button>
            {k.kind === 'inference' && k.is_active ? (
              <button type="button" class="button small" onClick={onSync} disabled={busy} data-testid="sync-key">
                {busy ? 'Syncing…' : 'Sync now'}
                <span class="sr-only"> {k.name}</span>
              </button>
            ) : null}
            <button type="button" class="button small danger-outline" onClick={onDelete} disabled={busy} data-testid="delete-key">
              Delete<span class="sr-only"> {k.name}</span>
            </button>
          </div>
          )}
        </td>
      </tr>
      {actions.length > 0 ? (
        <tr class="key-policy" data-testid="key-policy" data-key-id={k.id}>
          <td colSpan={8}>
            {actions.map((a) => (
              <p key={a.id} class="key-policy-note" data-testid="key-policy-note" data-action-id={a.id} data-state={a.state} data-action={a.action}>
                <span class={`badge action-${a.state}`}>{a.state === 'applied' ? (a.action === 'limit' ? 'Limited' : 'Disabled') : 'Dry run'}</span>
                <span data-testid="key-policy-text">{keyActionSentence(a)}</span>
                {a.state === 'applied' && !readOnly ? (
                  <button type="button" class="button small" onClick={() => onUndo(a)} disabled={undoing === a.id} data-testid="undo-action">
                    {undoing === a.id ? 'Undoing…' : 'Undo'}
                    <span class="sr-only"> the policy's action on {k.name}</span>
                  </button>
                ) : null}
              </p>
            ))}
          </td>
        </tr>
      ) : null}
    </>
  );
}
