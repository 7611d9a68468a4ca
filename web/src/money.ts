// Exact money arithmetic. The API sends amounts as decimal strings with up to
// 10 decimals ("12.0153", "0"); we never add them as JS numbers. Values are
// BigInt counts of 1e-10 USD, the same fixed point the Worker uses.
// Dependency-free so web/tests/money.test.ts can bundle it for `node --test`.

export const DECIMALS = 10;
const SCALE = 10n ** BigInt(DECIMALS);
const MONEY = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

export type Units = bigint;

/** Parses an API money string into 1e-10 units. Throws on anything else
 *  (more than 10 decimals, exponents, spaces, empty string). */
export function parseMoney(text: string): Units {
  const m = MONEY.exec(text);
  if (!m) throw new RangeError(`not a money amount: ${JSON.stringify(text)}`);
  const sign = m[1] === '-' ? -1n : 1n;
  const whole = BigInt(m[2] ?? '0');
  const frac = m[3] ?? '';
  if (frac.length > DECIMALS) throw new RangeError(`more than ${DECIMALS} decimals: ${text}`);
  const fracUnits = frac === '' ? 0n : BigInt(frac.padEnd(DECIMALS, '0'));
  return sign * (whole * SCALE + fracUnits);
}

/** Formats units the way the API does: trailing zeros dropped, "0" for zero. */
export function formatMoney(units: Units): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / SCALE;
  const frac = (abs % SCALE).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  const body = frac === '' ? whole.toString() : `${whole}.${frac}`;
  return negative && abs !== 0n ? `-${body}` : body;
}

/** Exact sum of money strings, returned as a money string. */
export function sumMoney(values: Iterable<string>): string {
  return formatMoney(sumUnits(values));
}

export function sumUnits(values: Iterable<string>): Units {
  let total = 0n;
  for (const v of values) total += parseMoney(v);
  return total;
}

export function addMoney(a: string, b: string): string {
  return formatMoney(parseMoney(a) + parseMoney(b));
}

/** -1, 0 or 1, comparing the exact amounts ("1.50" equals "1.5"). */
export function compareMoney(a: string, b: string): -1 | 0 | 1 {
  const x = parseMoney(a);
  const y = parseMoney(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function moneyEquals(a: string, b: string): boolean {
  return compareMoney(a, b) === 0;
}

export function isZero(a: string): boolean {
  return parseMoney(a) === 0n;
}

/** For display: "$12.0153", "$12.50", "$0.00", "-$1.25". All decimals are
 *  kept (nothing is rounded away), padded to at least two. */
export function displayUsd(text: string): string {
  const canonical = formatMoney(parseMoney(text));
  const negative = canonical.startsWith('-');
  const abs = negative ? canonical.slice(1) : canonical;
  const [whole = '0', frac = ''] = abs.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}.${frac.padEnd(2, '0')}`;
}

/** Approximate number for plotting only (never for sums). */
export function toChartNumber(text: string): number {
  return Number(formatMoney(parseMoney(text)));
}

/** a / b as a ratio in [0, ∞) for display (meters); null when b is zero. */
export function ratio(a: string, b: string): number | null {
  const y = parseMoney(b);
  if (y === 0n) return null;
  const x = parseMoney(a);
  // Four decimals of precision are plenty for a meter.
  return Number((x * 10000n) / y) / 10000;
}
