import { useState } from 'preact/hooks';
import {
  api,
  errorMessage,
  type Budget,
  type CreatedWebhook,
  type Delivery,
  type AlertEventPage,
  type DeliveryPage,
  type Key,
  type KeyAction,
  type KeyActionPage,
  type Webhook,
} from '../api';
import { BudgetManager } from '../components/BudgetForm';
import { ActionsPanel, UndoBody, undoTitle } from '../components/KeyActions';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { NewerOlder } from '../components/NewerOlder';
import { Busy, Notice } from '../components/Notice';
import { CreateWebhook, EditFilters } from '../components/WebhookForm';
import { filtersSummary, formatShort } from '../channels';
import { ago, formatTimestamp } from '../dates';
import { attemptOutcome, deliverySummary, eventTypeLabel, formatInt, formatSeconds } from '../format';
import { invalidateExcept, useResource, useTitle } from '../hooks';
import { undoMessage, usableManagementKey, type Message } from '../policy';
import { href, updateParams } from '../router';
import { useCurrentOrg } from '../role';
import { sortBudgets } from '../runway';
import { BudgetBar } from '../components/BudgetBar';

type Msg = { tone: 'success' | 'error'; text: string } | null;
type Pending = { kind: 'webhook'; w: Webhook } | { kind: 'budget'; b: Budget } | { kind: 'undo'; a: KeyAction } | null;

const EVENTS_PER_PAGE = 20;
const ACTIONS_PER_PAGE = 20;
const DELIVERIES_PER_PAGE = 10;

export function Alerts({ params }: { params: URLSearchParams }) {
  useTitle('Alerts');
  const page = Math.max(1, Number(/^\d+$/.test(params.get('page') ?? '') ? params.get('page') : 1));
  const budgets = useResource<Budget[]>('budgets', (signal) => api.budgets(signal));
  const hooks = useResource<Webhook[]>('webhooks', (signal) => api.webhooks(signal));
  const events = useResource<AlertEventPage>(`alerts?page=${page}`, (signal) => api.alerts(page, EVENTS_PER_PAGE, signal));
  const actionsPage = Math.max(1, Number(/^\d+$/.test(params.get('apage') ?? '') ? params.get('apage') : 1));
  const actions = useResource<KeyActionPage>(`actions?page=${actionsPage}`, (signal) => api.actions(actionsPage, ACTIONS_PER_PAGE, undefined, signal));
  const keys = useResource<Key[]>('keys', (signal) => api.allKeys(signal));
  // Without the keys (an error), the form offers policies and the API says why it cannot.
  const canAct = keys.data ? usableManagementKey(keys.data) !== null : keys.error ? true : null;
  const [actionMsg, setActionMsg] = useState<Message | null>(null);
  const [undoing, setUndoing] = useState<number | null>(null);
  const { manages } = useCurrentOrg();
  const [budgetMsg, setBudgetMsg] = useState<Msg>(null);
  const [hookMsg, setHookMsg] = useState<Msg>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [deleting, setDeleting] = useState(false);

  const account = sortBudgets((budgets.data ?? []).filter((b) => b.scope === 'account'));
  const keyBudgets = (budgets.data ?? []).filter((b) => b.scope === 'key');

  function budgetsChanged() {
    budgets.reload();
    invalidateExcept('budgets', 'webhooks');
  }

  async function undo(a: KeyAction) {
    setPending(null);
    setUndoing(a.id);
    try {
      const r = await api.undoAction(a.id);
      setActionMsg(undoMessage(r));
    } catch (e) {
      setActionMsg({ tone: 'error', text: `Could not undo the action on “${a.api_key_name}”: ${errorMessage(e)}` });
    } finally {
      setUndoing(null);
      actions.reload();
      events.reload();
      invalidateExcept('budgets', 'webhooks');
    }
  }

  async function confirm() {
    const p = pending;
    if (!p) return;
    if (p.kind === 'undo') return undo(p.a);
    setDeleting(true);
    try {
      if (p.kind === 'webhook') {
        await api.deleteWebhook(p.w.id);
        hooks.mutate((old) => old?.filter((x) => x.id !== p.w.id));
        setHookMsg({ tone: 'success', text: `Webhook “${p.w.name}” was deleted: it receives nothing from now on.` });
      } else if (p.b.id !== null) {
        await api.deleteBudget(p.b.id);
        budgetsChanged();
        setBudgetMsg({ tone: 'success', text: `The ${p.b.period} account budget was deleted.` });
      }
    } catch (e) {
      const text = `Could not delete: ${errorMessage(e)}`;
      if (p.kind === 'webhook') setHookMsg({ tone: 'error', text });
      else setBudgetMsg({ tone: 'error', text });
    } finally {
      setDeleting(false);
      setPending(null);
    }
  }

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Alerts
        </h1>
        <Busy active={budgets.loading || hooks.loading || events.loading || actions.loading} label="Updating…" />
      </div>
      <p class="lede">
        Warnings before the money runs out. At every hourly sync, each budget is checked: an alert when spend crosses one of its thresholds, when the current rate would use it up before it
        resets, and when a key quiet for 14 days spends again. Alerts are listed below and sent to your webhooks. A budget can also act: disable or limit its keys on OpenRouter through
        your management key, until the period resets.
      </p>

      <section class="panel" aria-labelledby="account-budget-title" data-testid="account-budgets">
        <h2 id="account-budget-title">Account budget</h2>
        <p class="hint intro">
          All your keys together, as OpenRouter counts them (UTC days; weeks start on Monday). Budgets of single keys are set on the <a href={href('keys')}>Keys</a> screen
          {keyBudgets.length > 0 ? ` (${keyBudgets.length} now, all shown on the Overview)` : ''}.
        </p>
        {budgetMsg ? (
          <Notice tone={budgetMsg.tone} testId="account-budget-message">
            {budgetMsg.text}
          </Notice>
        ) : null}
        {budgets.error ? <Notice tone="error">Could not load your budgets: {errorMessage(budgets.error)}</Notice> : null}
        {budgets.data && !manages ? (
          account.length > 0 ? (
            account.map((b) => <BudgetBar key={`${b.id ?? 'limit'}-${b.period}`} b={b} />)
          ) : (
            <p class="empty">No account budget.</p>
          )
        ) : null}
        {budgets.data && canAct !== null && manages ? (
          <BudgetManager
            apiKeyId={null}
            canAct={canAct}
            budgets={account}
            idPrefix="account-budget"
            onChanged={budgetsChanged}
            onDelete={(b) => setPending({ kind: 'budget', b })}
            onMessage={(tone, text) => setBudgetMsg({ tone, text })}
          />
        ) : null}
      </section>

      <section class="panel" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhooks</h2>
        <p class="hint intro">
          Each alert is sent as a POST to every active webhook whose filters take it: a JSON body (<code>{'{"event": …}'}</code>), a Slack-compatible one (<code>{'{"text": …}'}</code>), a
          Discord message, a Teams Adaptive Card, a PagerDuty Events v2 event or an ntfy notification, signed with the webhook's secret in <code>X-Watcher-Signature</code>.
        </p>
        {manages ? (
          <CreateWebhook
            onCreated={(w) => {
              hooks.mutate((old) => [...(old ?? []), stripSecret(w)]);
              setHookMsg(null);
            }}
          />
        ) : null}
        {hookMsg ? (
          <Notice tone={hookMsg.tone} testId="webhook-message">
            {hookMsg.text}
          </Notice>
        ) : null}
        {hooks.error ? <Notice tone="error">Could not load your webhooks: {errorMessage(hooks.error)}</Notice> : null}
        {hooks.data && hooks.data.length === 0 ? <p class="empty">No webhooks yet: alerts are only listed on this page.</p> : null}
        {hooks.data && hooks.data.length > 0 ? (
          <>
            <h3 id="webhook-list-title">Your webhooks</h3>
            <ul class="webhook-list" aria-labelledby="webhook-list-title">
              {hooks.data.map((w) => (
                <WebhookItem
                  key={w.id}
                  w={w}
                  onChanged={(u) => hooks.mutate((old) => old?.map((x) => (x.id === u.id ? u : x)))}
                  onTested={() => {
                    hooks.reload();
                    events.reload();
                  }}
                  onDelete={() => setPending({ kind: 'webhook', w })}
                  onMessage={setHookMsg}
                  readOnly={!manages}
                />
              ))}
            </ul>
          </>
        ) : null}
      </section>

      <section class="panel" aria-labelledby="actions-title" data-testid="key-actions">
        <h2 id="actions-title">Actions on keys</h2>
        <p class="hint intro">
          What budget policies did to your OpenRouter keys (or, in a dry run, would have done). An action in force is put back when its budget's period resets, unless someone changed the
          key on OpenRouter since; Undo puts it back now.
        </p>
        {actionMsg ? (
          <Notice tone={actionMsg.tone} testId="action-message">
            {actionMsg.text}
          </Notice>
        ) : null}
        <ActionsPanel
          res={actions.data}
          error={actions.error}
          page={actionsPage}
          onPage={(n) => updateParams({ apage: n > 1 ? n : undefined })}
          onUndo={(a) => setPending({ kind: 'undo', a })}
          busyId={undoing}
        />
      </section>

      <EventsPanel res={events.data} error={events.error} page={page} />

      <ConfirmDialog
        open={pending !== null}
        title={
          pending?.kind === 'undo'
            ? undoTitle(pending.a)
            : pending?.kind === 'webhook'
              ? `Delete the webhook “${pending.w.name}”?`
              : `Delete the ${pending?.kind === 'budget' ? pending.b.period : ''} account budget?`
        }
        confirmLabel={pending?.kind === 'undo' ? 'Put it back' : deleting ? 'Deleting…' : pending?.kind === 'webhook' ? 'Delete webhook' : 'Delete budget'}
        busy={deleting}
        onConfirm={() => void confirm()}
        onCancel={() => setPending(null)}
      >
        {pending?.kind === 'undo' ? (
          <UndoBody a={pending.a} />
        ) : pending?.kind === 'webhook' ? (
          <p>It stops receiving alerts at once, and its delivery log is removed. Its URL is not called again.</p>
        ) : (
          <p>No more alerts for this budget. Past alerts stay listed.</p>
        )}
      </ConfirmDialog>
    </section>
  );
}

function stripSecret(w: CreatedWebhook): Webhook {
  const { secret: _secret, ...rest } = w;
  return rest;
}

function WebhookItem({
  w,
  onChanged,
  onTested,
  onDelete,
  onMessage,
  readOnly,
}: {
  w: Webhook;
  onChanged: (w: Webhook) => void;
  onTested: () => void;
  onDelete: () => void;
  onMessage: (m: Msg) => void;
  /** Below admin: the webhook and its deliveries, no change. */
  readOnly: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<Delivery | null>(null);
  const [testError, setTestError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [version, setVersion] = useState(0);
  const logId = `deliveries-${w.id}`;

  async function toggle() {
    setBusy(true);
    try {
      const u = await api.updateWebhook(w.id, { is_active: !w.is_active });
      onChanged(u);
      onMessage({ tone: 'success', text: `“${u.name}” is now ${u.is_active ? 'enabled: it receives alerts' : 'disabled: it receives no alerts until you enable it again'}.` });
    } catch (e) {
      onMessage({ tone: 'error', text: `Could not change “${w.name}”: ${errorMessage(e)}` });
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    setTesting(true);
    setResult(null);
    setTestError(null);
    try {
      const d = await api.testWebhook(w.id);
      setResult(d);
      setOpen(true);
      setVersion((v) => v + 1);
      onTested();
    } catch (e) {
      setTestError(errorMessage(e));
    } finally {
      setTesting(false);
    }
  }

  return (
    <li class="webhook" data-testid="webhook-row" data-webhook-id={w.id} data-name={w.name} data-active={String(w.is_active)}>
      <div class="webhook-head">
        <div class="webhook-id">
          <span class="key-name">{w.name}</span>
          <code class="webhook-url">{w.url}</code>
        </div>
        <span class="badges">
          <span class="badge">{formatShort(w.format)}</span>
          {w.is_active ? <span class="badge status-valid">Active</span> : <span class="badge muted">Disabled</span>}
        </span>
      </div>
      <p class="hint">
        Last delivery:{' '}
        {w.last_delivery ? (
          <>
            <span class={`delivery-status status-${w.last_delivery.status}`}>{w.last_delivery.status}</span> <span title={formatTimestamp(w.last_delivery.at)}>{ago(w.last_delivery.at)}</span>
          </>
        ) : (
          'none yet'
        )}{' '}
        · added {formatTimestamp(w.created_at)}
      </p>
      <p class="hint" data-testid="webhook-filters-summary">
        {filtersSummary(w)}
      </p>
      {readOnly ? null : <EditFilters w={w} onSaved={onChanged} onMessage={onMessage} />}
      <div class="row-actions wrap">
        {readOnly ? null : (
          <>
            <button type="button" class="button small primary" onClick={() => void test()} disabled={testing} data-testid="test-webhook">
              {testing ? 'Sending…' : 'Send test event'}
              <span class="sr-only"> to {w.name}</span>
            </button>
            <button type="button" class="button small" onClick={() => void toggle()} disabled={busy} data-testid="toggle-webhook">
              {w.is_active ? 'Disable' : 'Enable'}
              <span class="sr-only"> {w.name}</span>
            </button>
          </>
        )}
        <button type="button" class="button small" aria-expanded={open} aria-controls={logId} onClick={() => setOpen((o) => !o)} data-testid="show-deliveries">
          {open ? 'Hide deliveries' : 'Show deliveries'}
          <span class="sr-only"> of {w.name}</span>
        </button>
        {readOnly ? null : (
          <button type="button" class="button small danger-outline" onClick={onDelete} data-testid="delete-webhook">
            Delete<span class="sr-only"> {w.name}</span>
          </button>
        )}
      </div>
      {result ? (
        <Notice tone={result.status === 'delivered' ? 'success' : 'error'} testId="test-result">
          <span data-testid="test-status" data-status={result.status}>
            Test event to “{w.name}”: {deliverySummary(result)}
          </span>
        </Notice>
      ) : null}
      {testError ? (
        <Notice tone="error" testId="test-result">
          Could not send the test event: {testError}
        </Notice>
      ) : null}
      <div id={logId}>{open ? <DeliveryLog webhook={w} version={version} /> : null}</div>
    </li>
  );
}

function DeliveryLog({ webhook, version }: { webhook: Webhook; version: number }) {
  const [page, setPage] = useState(1);
  const res = useResource<DeliveryPage>(`deliveries/${webhook.id}?page=${page}&v=${version}`, (signal) => api.deliveries(webhook.id, page, DELIVERIES_PER_PAGE, signal));
  const d = res.data;
  const pages = d ? Math.max(1, d.pagination.pages) : 1;
  return (
    <div class="delivery-log" data-testid="delivery-log">
      <h4>
        Deliveries to “{webhook.name}” <Busy active={res.loading} />
      </h4>
      {res.error ? <Notice tone="error">Could not load the deliveries: {errorMessage(res.error)}</Notice> : null}
      {d && d.items.length === 0 ? <p class="hint">No deliveries yet. “Send test event” makes one.</p> : null}
      {d && d.items.length > 0 ? (
        <div class="table-scroll" tabIndex={0} role="region" aria-label={`Deliveries to ${webhook.name} (table, scrolls sideways)`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts (time, answer, duration)</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((x) => (
                <tr key={x.id} data-testid="delivery-row" data-delivery-id={x.id} data-status={x.status}>
                  <th scope="row">
                    <span class="key-name">{eventTypeLabel(x.event.type)}</span>
                    <span class="sub-line">{formatSeconds(x.created_at)}</span>
                  </th>
                  <td>
                    <span class={`delivery-status status-${x.status}`}>{x.status}</span>
                    {x.delivered_at ? <span class="sub-line">at {formatSeconds(x.delivered_at)}</span> : null}
                  </td>
                  <td>
                    {x.attempts.length === 0 ? (
                      'none yet'
                    ) : (
                      <ol class="attempts">
                        {x.attempts.map((a, i) => (
                          <li key={i} data-testid="delivery-attempt" data-status-code={a.status_code ?? ''}>
                            <span class="nowrap">{formatSeconds(a.at)}</span> · <span class={a.error || (a.status_code ?? 0) >= 300 ? 'error-inline' : undefined}>{attemptOutcome(a)}</span>
                            {a.duration_ms === null ? null : <span class="nowrap"> · {formatInt(a.duration_ms)} ms</span>}
                          </li>
                        ))}
                      </ol>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {d && pages > 1 ? <NewerOlder page={page} pages={pages} onPage={setPage} /> : null}
    </div>
  );
}

function EventsPanel({ res, error, page }: { res: AlertEventPage | undefined; error: unknown; page: number }) {
  const pages = res ? Math.max(1, res.pagination.pages) : 1;
  return (
    <section class="panel" aria-labelledby="events-title">
      <h2 id="events-title">Recent alerts</h2>
      {error ? <Notice tone="error">Could not load the alerts: {errorMessage(error)}</Notice> : null}
      {res && res.items.length === 0 ? <p class="empty">No alerts yet. They appear here after the hourly sync finds something to say (or after a test event).</p> : null}
      {res && res.items.length > 0 ? (
        <ol class="events" data-testid="events-list">
          {res.items.map((e) => (
            <li key={e.id} class="event" data-testid="event-row" data-type={e.type} data-event-id={e.id}>
              <div class="event-head">
                <span class={`badge event-${e.type.replace(/\./g, '-')}`}>{eventTypeLabel(e.type)}</span>
                <span class="hint-inline" title={formatTimestamp(e.created_at)}>
                  {formatTimestamp(e.created_at)} ({ago(e.created_at)})
                </span>
              </div>
              <p class="event-message">{e.message}</p>
            </li>
          ))}
        </ol>
      ) : null}
      {res && pages > 1 ? (
        <NewerOlder page={page} pages={pages} onPage={(n) => updateParams({ page: n > 1 ? n : undefined })}>
          {' '}
          · {formatInt(res.pagination.total)} alerts
        </NewerOlder>
      ) : null}
    </section>
  );
}
