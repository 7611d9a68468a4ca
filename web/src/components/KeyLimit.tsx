import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type Budget, type BudgetPeriod, type Dashboard, type Key } from '../api';
import { useResource } from '../hooks';
import { lastMonth, limitText, limitWindow, suggestedLimit, suggestionBasis } from '../policy';
import { updateParams } from '../router';
import { periodLabel, usd } from '../runway';
import { checkBudgetAmount, normalizeAmount } from '../validate';
import { SelectField, TextField } from './Field';
import { Notice } from './Notice';

/** What "Set the limit" sends, once confirmed. */
export interface LimitRequest {
  k: Key;
  limit: string;
  limit_reset: BudgetPeriod | null;
}

const RESETS: (BudgetPeriod | 'never')[] = ['monthly', 'weekly', 'daily', 'never'];

/** The confirmation dialog's title and body for a limit. */
export function limitTitle(r: LimitRequest): string {
  return `Set a limit of ${limitText(r.limit, r.limit_reset)} on “${r.k.name}”?`;
}

export function LimitBody({ r }: { r: LimitRequest }) {
  return (
    <>
      <p>
        OpenRouter Watcher sets it on OpenRouter now, through your management key.{' '}
        {`Once “${r.k.name}” has spent ${usd(r.limit)} USD ${limitWindow(r.limit_reset)}, OpenRouter refuses its requests${r.limit_reset ? ' until the window resets' : ''}.`}
      </p>
      <p>The limit stays until you change or remove it on OpenRouter: the product does not put it back.</p>
    </>
  );
}

/**
 * `#/keys?limit=<id>`: one click to a safer account. A key with no
 * OpenRouter limit gets one through the management key: the amount and
 * window suggested (the key's budget, else 1.5 × last month's spend),
 * editable, then confirmed by the page's dialog (`onRequest`). Reasons the
 * API gave for a field come back in `errors`.
 */
export function KeyLimitPanel({
  k,
  budgets,
  errors,
  message,
  busy,
  onRequest,
}: {
  k: Key;
  budgets: Budget[];
  errors: Record<string, string>;
  message: string | null;
  busy: boolean;
  onRequest: (r: LimitRequest) => void;
}) {
  const month = lastMonth();
  const spend = useResource<Dashboard>(`dashboard?start=${month.start}&end=${month.end}&tz=UTC`, (signal) =>
    api.dashboard({ start_date: month.start, end_date: month.end, tz: 'UTC' }, signal),
  );
  const spent = spend.data ? (spend.data.keys.find((x) => x.api_key_id === k.id)?.cost ?? '0') : null;
  const suggestion = suggestedLimit(budgets, spent);
  // Untouched fields follow the suggestion (it can arrive after the panel opens).
  const [amount, setAmount] = useState<string | null>(null);
  const [reset, setReset] = useState<BudgetPeriod | 'never' | null>(null);
  const [checked, setChecked] = useState<Record<string, string>>({});
  const shownAmount = amount ?? (suggestion.basis === 'spend' && spend.loading && !spend.data ? '' : suggestion.amount);
  const shownReset = reset ?? suggestion.period;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: 'start' });
  }, [k.id]);

  function submit(e: Event) {
    e.preventDefault();
    const a = checkBudgetAmount(shownAmount);
    setChecked(a ? { limit: a } : {});
    if (a) return;
    onRequest({ k, limit: normalizeAmount(shownAmount), limit_reset: shownReset === 'never' ? null : shownReset });
  }

  const fieldErrors = { ...errors, ...checked };
  return (
    <section class="panel" id="key-limit-panel" aria-labelledby="key-limit-title" data-testid="key-limit" data-key-id={k.id}>
      <div class="panel-head">
        <h2 id="key-limit-title" ref={heading} tabIndex={-1}>
          OpenRouter limit of “{k.name}”
        </h2>
        <button type="button" class="button small" onClick={() => updateParams({ limit: undefined })} data-testid="close-limit">
          Close
        </button>
      </div>
      <p class="panel-hint">
        “{k.name}” has no limit on OpenRouter: nothing stops it spending. A limit is OpenRouter's own brake: past it, OpenRouter refuses the key's requests. It is set through your management
        key, and you can change it on OpenRouter at any time.
      </p>
      {spend.error ? <Notice tone="warning">Last month's spend could not be read ({errorMessage(spend.error)}): the suggestion does not use it.</Notice> : null}
      <form class="budget-form" onSubmit={submit} noValidate data-testid="limit-form" aria-label={`OpenRouter limit of ${k.name}`}>
        <div class="form-row">
          <TextField
            id="key-limit-amount"
            label="Limit (USD)"
            value={shownAmount}
            onValue={(v) => {
              setAmount(v);
              setChecked({});
            }}
            inputMode="decimal"
            autoComplete="off"
            error={fieldErrors.limit}
            hint={spend.loading && !spend.data && suggestion.basis === 'spend' ? 'Reading last month’s spend for a suggestion…' : suggestionBasis(suggestion, spent)}
            testId="limit-amount"
          />
          <SelectField
            id="key-limit-reset"
            label="Resets"
            value={shownReset}
            onValue={(v) => setReset(RESETS.find((p) => p === v) ?? 'monthly')}
            options={RESETS.map((p) => ({ value: p, label: p === 'never' ? 'Never (a total)' : `${periodLabel(p)}, UTC` }))}
            error={fieldErrors.limit_reset}
            hint="How often OpenRouter starts counting again."
            testId="limit-reset"
          />
        </div>
        {message ? (
          <Notice tone="error" testId="limit-message">
            {message}
          </Notice>
        ) : null}
        <button type="submit" class="button primary" disabled={busy || shownAmount === ''} data-testid="limit-submit">
          {busy ? 'Setting…' : 'Set the limit…'}
        </button>
      </form>
    </section>
  );
}
