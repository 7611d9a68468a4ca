import type { Budget } from '../api';
import { policyText } from '../policy';
import { budgetTitle, budgetTone, burnRateText, barPercent, percentText, periodLabel, runwaySentence, scopeLabel, shortDate, sourceLabel, usd } from '../runway';
import { Amount } from './Amount';

/** Where the threshold's label sits under its tick (kept inside the bar). */
function anchor(t: number): 'start' | 'middle' | 'end' {
  return t <= 4 ? 'start' : t >= 96 ? 'end' : 'middle';
}

/**
 * One budget: spent of amount, a bar with a tick at each threshold, the
 * percentage in words (never colour alone) and the runway sentence. The bar
 * is a `role="meter"` with a name and a value text; the SVG inside only draws
 * (attributes, no inline style: the page's CSP forbids it). `compact` drops
 * the heading line for table cells (and the policy line: what the budget
 * does to its keys besides alerting).
 */
export function BudgetBar({ b, compact = false, now }: { b: Budget; compact?: boolean; now?: Date }) {
  const pct = barPercent(b);
  const tone = budgetTone(b);
  const line = runwaySentence(b, now);
  const st = b.status;
  const fired = new Set(st?.fired ?? []);
  const idBase = `budget-${b.id ?? `limit-${b.api_key_id ?? 'x'}`}-${b.period}${compact ? '-c' : ''}`;
  const rate = compact ? null : burnRateText(b.runway);
  const used = st ? percentText(st.percent_used) : null;
  const policy = policyText(b);
  return (
    <div
      class={`budget budget-${tone}${compact ? ' budget-compact' : ''}`}
      data-testid="budget-bar"
      data-budget-id={b.id ?? ''}
      data-scope={b.scope}
      data-source={b.source}
      data-period={b.period}
      data-api-key-id={b.api_key_id ?? ''}
      data-amount={b.amount}
      data-percent={st?.percent_used ?? ''}
    >
      {!compact ? (
        <div class="budget-head">
          <span class="budget-title">{scopeLabel(b)}</span>
          <span class="badges">
            <span class={`badge ${b.source === 'budget' ? 'source-own' : 'source-limit'}`}>{sourceLabel(b.source)}</span>
            <span class="badge">{periodLabel(b.period)}</span>
          </span>
        </div>
      ) : (
        <span class="budget-period">
          {periodLabel(b.period)} {b.source === 'openrouter_limit' ? '(OpenRouter limit)' : ''}
        </span>
      )}
      <p class="budget-figures">
        {st ? (
          <>
            <Amount value={st.spent} /> of <Amount value={b.amount} /> · <strong class="budget-used">{used} used</strong>
            {tone === 'over' ? <span class="badge over"> Over</span> : null}
          </>
        ) : (
          <>
            <Amount value={b.amount} /> · <span class="muted">no data yet</span>
          </>
        )}
      </p>
      <div
        class="budget-meter"
        role="meter"
        aria-label={budgetTitle(b)}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={st ? `${used} used: ${usd(st.spent)} of ${usd(b.amount)} USD` : 'no data yet'}
        aria-describedby={`${idBase}-runway`}
      >
        <svg class="budget-svg" width="100%" height={compact ? 14 : 28} aria-hidden="true" focusable="false">
          <rect class="budget-track" x="0" y="2" width="100%" height="10" rx="3" />
          {pct > 0 ? <rect class="budget-fill" x="0" y="2" width={`${pct}%`} height="10" rx="3" /> : null}
          {b.thresholds.map((t) => (
            <line
              key={t}
              class={`budget-tick${fired.has(t) ? ' fired' : ''}`}
              x1={`${t}%`}
              x2={`${t}%`}
              y1="0"
              y2="14"
              data-testid="budget-threshold"
              data-threshold={t}
              data-fired={String(fired.has(t))}
            />
          ))}
          {!compact
            ? b.thresholds.map((t) => (
                <text key={`l${t}`} class="budget-tick-label" x={`${t}%`} y="26" text-anchor={anchor(t)}>
                  {t}%
                </text>
              ))
            : null}
        </svg>
      </div>
      <p class="budget-runway" id={`${idBase}-runway`} data-testid="budget-runway" data-status={line.kind}>
        {line.text}
        {rate ? <span class="hint-inline"> {rate}</span> : null}
      </p>
      {!compact && policy ? (
        <p class="budget-policy" data-testid="budget-policy" data-action={b.action} data-dry-run={String(b.dry_run)}>
          {policy}
        </p>
      ) : null}
      {!compact ? (
        <p class="hint budget-meta">
          Alerts at {b.thresholds.map((t) => `${t}%${fired.has(t) ? ' (sent)' : ''}`).join(', ')}
          {st?.period_end ? ` · resets ${shortDate(st.period_end, now)}` : ''}
          {st ? ` · as of ${st.as_of.slice(0, 16).replace('T', ' ')} UTC` : ''}
        </p>
      ) : null}
    </div>
  );
}
