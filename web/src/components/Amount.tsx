import { displayUsd } from '../money';

const FIGURE_SPACE = '\u2007';
const EXTRA_DIGITS = 8; // cents + 8 = the API's 10 decimals

/** An exact amount, readable: the cents at full size, the further decimals
 *  (OpenRouter bills to 1e-10 USD) smaller and muted, nothing rounded away.
 *  `align` pads the small part with figure spaces so a right-aligned column
 *  lines up on the cents. */
export function Amount({ value, align = false }: { value: string; align?: boolean }) {
  const full = displayUsd(value);
  const m = /^(-?\$[\d,]+\.\d{2})(\d*)$/.exec(full);
  if (!m) return <span class="amount">{full}</span>;
  const extra = m[2] ?? '';
  const pad = align ? FIGURE_SPACE.repeat(Math.max(0, EXTRA_DIGITS - extra.length)) : '';
  if (!extra && !pad) return <span class="amount">{full}</span>;
  return (
    <span class="amount">
      {m[1]}
      <span class="amount-extra">
        {extra}
        {pad}
      </span>
    </span>
  );
}
