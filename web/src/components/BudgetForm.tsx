import { useState } from 'preact/hooks';
import { ApiError, api, fieldErrors, type Budget, type BudgetAction, type BudgetPatch, type BudgetPeriod } from '../api';
import { parseActAt, policyText } from '../policy';
import { href } from '../router';
import { periodLabel } from '../runway';
import { checkBudgetAmount, DEFAULT_THRESHOLDS, normalizeAmount, parseThresholds } from '../validate';
import { BudgetBar } from './BudgetBar';
import { CheckField, SelectField, TextField } from './Field';
import { Notice } from './Notice';

const PERIODS: BudgetPeriod[] = ['daily', 'weekly', 'monthly'];

const LABELS = {
  amount: 'The amount',
  period: 'The period',
  thresholds: 'The thresholds',
  api_key_id: 'The key',
  action: 'The action',
  action_at: 'Act at',
  dry_run: 'Dry run',
  action_on_spike: 'Also on a spend spike',
};

/** When the action is taken: at a percentage of the amount, or on the projection. */
type ActWhen = 'percent' | 'projected';

/**
 * Creates a budget (`existing` absent) or edits one. `idPrefix` keeps the
 * inputs' ids unique on the page (`<prefix>-amount`, `-period`, `-thresholds`;
 * their messages are `<id>-error`).
 */
export function BudgetForm({
  apiKeyId,
  existing,
  idPrefix,
  onSaved,
  onCancel,
  taken = [],
  canAct,
}: {
  apiKeyId: number | null;
  existing?: Budget;
  idPrefix: string;
  onSaved: (b: Budget, created: boolean) => void;
  onCancel?: () => void;
  /** Periods this scope already has a budget for (a new one would be a 409). */
  taken?: BudgetPeriod[];
  /** Whether the account has a management key a policy can act through. */
  canAct: boolean;
}) {
  const firstFree = PERIODS.find((p) => !taken.includes(p)) ?? 'monthly';
  const [amount, setAmount] = useState(existing?.amount ?? '');
  const [period, setPeriod] = useState<BudgetPeriod>(existing && existing.period !== 'lifetime' ? existing.period : firstFree);
  const [thresholds, setThresholds] = useState((existing?.thresholds ?? DEFAULT_THRESHOLDS).join(', '));
  const [action, setAction] = useState<BudgetAction>(existing?.action ?? 'notify');
  const [actWhen, setActWhen] = useState<ActWhen>(existing && existing.action !== 'notify' && existing.action_at === null ? 'projected' : 'percent');
  const [actAt, setActAt] = useState(String(existing?.action_at ?? 100));
  const [dryRun, setDryRun] = useState(existing?.dry_run ?? false);
  const [onSpike, setOnSpike] = useState(existing?.action_on_spike ?? false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const keyScoped = apiKeyId !== null;
  const acts = action !== 'notify';

  /** The policy fields sent: only what the form shows (none without a management key). */
  function policyBody(errs: Record<string, string>): Pick<BudgetPatch, 'action' | 'action_at' | 'dry_run' | 'action_on_spike'> {
    if (!canAct) return {};
    if (!acts) return { action, action_on_spike: false };
    if (actWhen === 'projected') return { action, action_at: null, dry_run: dryRun, action_on_spike: onSpike };
    const at = parseActAt(actAt);
    if (at.error !== null) errs.action_at = at.error;
    return { action, action_at: at.value, dry_run: dryRun, action_on_spike: onSpike };
  }

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const a = checkBudgetAmount(amount);
    if (a) errs.amount = a;
    const t = parseThresholds(thresholds);
    if (t.error !== null) errs.thresholds = t.error;
    if (!existing && taken.includes(period)) errs.period = `There is already a ${period} budget here: edit it instead, or choose another period.`;
    const policy = policyBody(errs);
    setErrors(errs);
    setMessage(null);
    if (Object.keys(errs).length > 0 || t.value === null) return;
    setBusy(true);
    try {
      const body = { amount: normalizeAmount(amount), period, thresholds: t.value, ...policy };
      const saved = existing && existing.id !== null ? await api.updateBudget(existing.id, body) : await api.createBudget({ api_key_id: apiKeyId, ...body });
      onSaved(saved, !existing);
      if (!existing) {
        setAmount('');
        setThresholds(DEFAULT_THRESHOLDS.join(', '));
        setAction('notify');
        setActWhen('percent');
        setActAt('100');
        setDryRun(false);
        setOnSpike(false);
      }
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 409) {
        setErrors({ period: `There is already a ${period} budget here: edit it instead, or choose another period.` });
      } else {
        const f = fieldErrors(ex, LABELS);
        // A reason about when to act belongs by the control that says it.
        if (f.fields.action_at && actWhen === 'projected') {
          f.fields.act_when = f.fields.action_at;
          delete f.fields.action_at;
        }
        // Fields the form does not show (no management key): in the message.
        const shown = canAct ? (acts ? ['amount', 'period', 'thresholds', 'action', 'action_at', 'act_when', 'dry_run', 'action_on_spike'] : ['amount', 'period', 'thresholds', 'action']) : ['amount', 'period', 'thresholds'];
        const hidden = Object.entries(f.fields).filter(([k]) => !shown.includes(k));
        for (const [k] of hidden) delete f.fields[k];
        setErrors(f.fields);
        setMessage([f.message, ...hidden.map(([, v]) => v)].join(' '));
      }
    } finally {
      setBusy(false);
    }
  }

  const actionOptions: { value: BudgetAction; label: string }[] = [
    { value: 'notify', label: 'Notify only' },
    { value: 'disable', label: keyScoped ? 'Disable the key on OpenRouter' : 'Disable the keys on OpenRouter' },
  ];
  if (keyScoped || action === 'limit') actionOptions.push({ value: 'limit', label: 'Limit the key on OpenRouter' });

  return (
    <form class="budget-form" onSubmit={submit} noValidate data-testid="budget-form" aria-label={existing ? 'Edit the budget' : 'New budget'}>
      <div class="form-row">
        <TextField
          id={`${idPrefix}-amount`}
          label="Amount (USD)"
          value={amount}
          onValue={setAmount}
          inputMode="decimal"
          autoComplete="off"
          error={errors.amount}
          hint="Exact, like 10 or 12.50."
          testId="budget-amount"
        />
        <SelectField
          id={`${idPrefix}-period`}
          label="Period (UTC)"
          value={period}
          onValue={(v) => setPeriod(PERIODS.find((p) => p === v) ?? 'monthly')}
          options={PERIODS.map((p) => ({ value: p, label: periodLabel(p) }))}
          error={errors.period}
          testId="budget-period"
        />
        <TextField
          id={`${idPrefix}-thresholds`}
          label="Alert at (% of the amount)"
          value={thresholds}
          onValue={setThresholds}
          autoComplete="off"
          error={errors.thresholds}
          hint="Whole percentages from 1 to 100, separated by commas (at most 10)."
          testId="budget-thresholds"
        />
      </div>
      {canAct ? (
        <fieldset class="policy-fields" data-testid="budget-policy-fields">
          <legend>What the budget does</legend>
          <div class="form-row">
            <SelectField
              id={`${idPrefix}-action`}
              label="Action"
              value={action}
              onValue={(v) => setAction(actionOptions.find((o) => o.value === v)?.value ?? 'notify')}
              options={actionOptions}
              error={errors.action}
              hint={
                keyScoped
                  ? 'Besides alerting: disable the key, or set its OpenRouter limit to what the budget has left. Put back when the period resets.'
                  : 'Besides alerting: disable every key of the account. Put back when the period resets.'
              }
              testId="budget-action"
            />
            {acts ? (
              <SelectField
                id={`${idPrefix}-act-when`}
                label="Act when"
                value={actWhen}
                onValue={(v) => setActWhen(v === 'projected' ? 'projected' : 'percent')}
                options={[
                  { value: 'percent', label: 'Spend reaches a share of the amount' },
                  { value: 'projected', label: 'Projected to run out before the reset' },
                ]}
                error={errors.act_when}
                testId="budget-act-when"
              />
            ) : null}
            {acts && actWhen === 'percent' ? (
              <TextField
                id={`${idPrefix}-action-at`}
                label="Act at (% of the amount)"
                value={actAt}
                onValue={setActAt}
                inputMode="numeric"
                autoComplete="off"
                error={errors.action_at}
                hint="A whole percentage from 1 to 100."
                testId="budget-action-at"
              />
            ) : null}
          </div>
          {acts ? (
            <CheckField
              id={`${idPrefix}-on-spike`}
              label={keyScoped ? 'Also when the key’s spend spikes' : 'Also on the key whose spend spikes'}
              checked={onSpike}
              onChecked={setOnSpike}
              error={errors.action_on_spike}
              hint="Acts on the runaway key as soon as a spend spike starts (Settings › Spend spikes), before the budget is reached; undone at the reset like the rest."
              testId="budget-on-spike"
            />
          ) : null}
          {acts ? (
            <CheckField
              id={`${idPrefix}-dry-run`}
              label="Dry run (record only)"
              checked={dryRun}
              onChecked={setDryRun}
              error={errors.dry_run}
              hint="Records what the policy would do, on the Alerts screen, and changes nothing on OpenRouter."
              testId="budget-dry-run"
            />
          ) : null}
        </fieldset>
      ) : (
        <NoManagementKey existing={existing} />
      )}
      {existing ? <p class="hint intro">Saving re-arms the budget: thresholds already crossed this period alert again.</p> : null}
      {message ? (
        <Notice tone="error" testId="budget-message">
          {message}
        </Notice>
      ) : null}
      <div class="form-actions">
        <button type="submit" class="button primary" disabled={busy} data-testid="budget-submit">
          {busy ? 'Saving…' : existing ? 'Save budget' : 'Set budget'}
        </button>
        {onCancel ? (
          <button type="button" class="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** In place of the policy controls when no management key can act. */
function NoManagementKey({ existing }: { existing: Budget | undefined }) {
  const waiting = existing ? policyText(existing) : null;
  return (
    <div class="policy-unavailable" data-testid="policy-unavailable">
      <p class="hint">
        <strong>Policies act through your OpenRouter management key.</strong> With one, a budget can also disable its key(s) or limit a key on OpenRouter when it is crossed, and put them back
        when the period resets. <a href={href('keys', { add: 'management' })}>Add a management key</a> to use them; until then budgets notify only.
      </p>
      {waiting ? <p class="hint">This budget's policy ({waiting.charAt(0).toLowerCase() + waiting.slice(1)}) cannot act until a management key is added.</p> : null}
    </div>
  );
}

/**
 * The budgets of one scope (a key, or the account): each bar, Edit and
 * Delete for the user's own, a note for OpenRouter's limit, and a form for
 * a new one. Deleting is confirmed by the page's dialog (`onDelete`).
 */
export function BudgetManager({
  apiKeyId,
  budgets,
  idPrefix,
  onChanged,
  onDelete,
  onMessage,
  canAct,
}: {
  apiKeyId: number | null;
  budgets: Budget[];
  idPrefix: string;
  onChanged: () => void;
  onDelete: (b: Budget) => void;
  onMessage: (tone: 'success' | 'error', text: string) => void;
  /** Whether the account has a management key a policy can act through. */
  canAct: boolean;
}) {
  const [editing, setEditing] = useState<number | null>(null);
  const own = budgets.filter((b) => b.source === 'budget');
  const taken = own.map((b) => b.period).filter((p): p is BudgetPeriod => p !== 'lifetime');
  const full = taken.length >= PERIODS.length;
  const scope = apiKeyId === null ? 'the account' : 'this key';
  return (
    <div class="budget-manager">
      {budgets.length === 0 ? <p class="empty-left">No budget on {scope} yet.</p> : null}
      <ul class="budget-list">
        {budgets.map((b) => (
          <li key={`${b.id ?? 'limit'}-${b.period}`} class="budget-item">
            <BudgetBar b={b} />
            {b.source === 'openrouter_limit' ? (
              <p class="hint">This is the key's limit on OpenRouter. Change it on OpenRouter, or set a budget of your own below (it replaces this one here).</p>
            ) : b.id !== null && editing === b.id ? (
              <BudgetForm
                apiKeyId={apiKeyId}
                existing={b}
                idPrefix={`${idPrefix}-edit-${b.id}`}
                canAct={canAct}
                onSaved={(saved) => {
                  setEditing(null);
                  const policy = policyText(saved);
                  onMessage('success', `The ${saved.period} budget was saved and re-armed.${policy ? ` ${policy}.` : ' It notifies only.'}`);
                  onChanged();
                }}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <div class="row-actions">
                <button type="button" class="button small" onClick={() => setEditing(b.id)} data-testid="edit-budget">
                  Edit<span class="sr-only"> the {b.period} budget</span>
                </button>
                <button type="button" class="button small danger-outline" onClick={() => onDelete(b)} data-testid="delete-budget">
                  Delete<span class="sr-only"> the {b.period} budget</span>
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {full ? (
        <p class="hint">Every period has a budget here; edit one above.</p>
      ) : (
        <div class="budget-new">
          <h3>{own.length === 0 ? `Set a budget on ${scope}` : 'Add a budget for another period'}</h3>
          <BudgetForm
            key={taken.join(',')}
            apiKeyId={apiKeyId}
            idPrefix={`${idPrefix}-new`}
            taken={taken}
            canAct={canAct}
            onSaved={(saved) => {
              const policy = policyText(saved);
              onMessage('success', `A ${saved.period} budget of ${saved.amount} USD is set on ${scope}.${policy ? ` ${policy}.` : ''}`);
              onChanged();
            }}
          />
        </div>
      )}
    </div>
  );
}
