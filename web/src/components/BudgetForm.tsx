import { useState } from 'preact/hooks';
import { ApiError, api, fieldErrors, type Budget, type BudgetPeriod } from '../api';
import { periodLabel } from '../runway';
import { checkBudgetAmount, DEFAULT_THRESHOLDS, normalizeAmount, parseThresholds } from '../validate';
import { BudgetBar } from './BudgetBar';
import { SelectField, TextField } from './Field';
import { Notice } from './Notice';

const PERIODS: BudgetPeriod[] = ['daily', 'weekly', 'monthly'];

const LABELS = { amount: 'The amount', period: 'The period', thresholds: 'The thresholds', api_key_id: 'The key' };

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
}: {
  apiKeyId: number | null;
  existing?: Budget;
  idPrefix: string;
  onSaved: (b: Budget, created: boolean) => void;
  onCancel?: () => void;
  /** Periods this scope already has a budget for (a new one would be a 409). */
  taken?: BudgetPeriod[];
}) {
  const firstFree = PERIODS.find((p) => !taken.includes(p)) ?? 'monthly';
  const [amount, setAmount] = useState(existing?.amount ?? '');
  const [period, setPeriod] = useState<BudgetPeriod>(existing && existing.period !== 'lifetime' ? existing.period : firstFree);
  const [thresholds, setThresholds] = useState((existing?.thresholds ?? DEFAULT_THRESHOLDS).join(', '));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const a = checkBudgetAmount(amount);
    if (a) errs.amount = a;
    const t = parseThresholds(thresholds);
    if (t.error !== null) errs.thresholds = t.error;
    if (!existing && taken.includes(period)) errs.period = `There is already a ${period} budget here: edit it instead, or choose another period.`;
    setErrors(errs);
    setMessage(null);
    if (Object.keys(errs).length > 0 || t.value === null) return;
    setBusy(true);
    try {
      const body = { amount: normalizeAmount(amount), period, thresholds: t.value };
      const saved = existing && existing.id !== null ? await api.updateBudget(existing.id, body) : await api.createBudget({ api_key_id: apiKeyId, ...body });
      onSaved(saved, !existing);
      if (!existing) {
        setAmount('');
        setThresholds(DEFAULT_THRESHOLDS.join(', '));
      }
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 409) {
        setErrors({ period: `There is already a ${period} budget here: edit it instead, or choose another period.` });
      } else {
        const f = fieldErrors(ex, LABELS);
        setErrors(f.fields);
        setMessage(f.message);
      }
    } finally {
      setBusy(false);
    }
  }

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
}: {
  apiKeyId: number | null;
  budgets: Budget[];
  idPrefix: string;
  onChanged: () => void;
  onDelete: (b: Budget) => void;
  onMessage: (tone: 'success' | 'error', text: string) => void;
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
                onSaved={() => {
                  setEditing(null);
                  onMessage('success', `The ${b.period} budget was saved and re-armed.`);
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
            onSaved={(saved) => {
              onMessage('success', `A ${saved.period} budget of ${saved.amount} USD is set on ${scope}.`);
              onChanged();
            }}
          />
        </div>
      )}
    </div>
  );
}
