// Client-side checks that mirror the Worker's (src/domain): the page never
// sends what the API would refuse for a reason the page can see. Each returns
// null when fine, or the sentence to show next to the field.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const ALNUM = /^[\p{Alphabetic}\p{N}]$/u;
const LOCAL_EXTRA = "!#$%&'*+/=?^_`{|}~.-";
const utf8 = new TextEncoder();

function chars(s: string): number {
  return Array.from(s).length;
}

export function checkEmail(input: string): string | null {
  const email = input.trim().toLowerCase();
  if (email === '') return 'Enter your email address.';
  const bad = 'Enter a valid email address, like name@example.com.';
  if (utf8.encode(email).length > 254 || /\s/u.test(email) || CONTROL.test(email)) return bad;
  const at = email.indexOf('@');
  if (at < 0) return bad;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const localOk =
    local.length > 0 &&
    utf8.encode(local).length <= 64 &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..') &&
    Array.from(local).every((c) => ALNUM.test(c) || LOCAL_EXTRA.includes(c));
  const labels = domain.split('.');
  const domainOk =
    labels.length >= 2 &&
    labels.every(
      (l) =>
        l.length > 0 &&
        utf8.encode(l).length <= 63 &&
        !l.startsWith('-') &&
        !l.endsWith('-') &&
        Array.from(l).every((c) => ALNUM.test(c) || c === '-'),
    );
  return localOk && domainOk ? null : bad;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function checkPassword(input: string, what = 'The password'): string | null {
  const n = chars(input);
  if (n < PASSWORD_MIN) return `${what} must be at least ${PASSWORD_MIN} characters (it has ${n}).`;
  if (n > PASSWORD_MAX) return `${what} must be at most ${PASSWORD_MAX} characters (it has ${n}).`;
  return null;
}

export interface PasswordChange {
  current: string;
  next: string;
  /** The new password typed again: checked here, never sent. */
  confirm: string;
}

export type PasswordChangeErrors = Partial<Record<keyof PasswordChange, string>>;

/** The change-password form: the current password present, the new one
 *  within the API's bounds, and typed twice the same. Empty when fine. */
export function checkPasswordChange(p: PasswordChange): PasswordChangeErrors {
  const errors: PasswordChangeErrors = {};
  const current = checkPresent(p.current, 'current password');
  if (current) errors.current = current;
  const next = checkPassword(p.next, 'The new password');
  if (next) errors.next = next;
  if (p.confirm === '') errors.confirm = 'Type the new password again to confirm it.';
  else if (p.confirm !== p.next) errors.confirm = 'The two new passwords do not match: type the same password in both fields.';
  return errors;
}

/** For login: anything non-empty (the server says whether it is right). */
export function checkPresent(input: string, what: string): string | null {
  return input === '' ? `Enter your ${what}.` : null;
}

export const NAME_MAX = 100;

export function checkName(input: string): string | null {
  const name = input.trim();
  if (name === '') return 'Enter a name.';
  if (chars(name) > NAME_MAX) return `The name must be at most ${NAME_MAX} characters.`;
  if (CONTROL.test(name)) return 'The name must not contain control characters.';
  return null;
}

const KEY_REST = /^[A-Za-z0-9_-]{20,200}$/;

export function checkOpenRouterKey(input: string): string | null {
  const key = input.trim();
  if (key === '') return 'Paste your OpenRouter key.';
  if (!key.startsWith('sk-or-')) return 'An OpenRouter key starts with sk-or-.';
  if (!KEY_REST.test(key.slice('sk-or-'.length)))
    return 'This is not a well-formed OpenRouter key: after sk-or- it has 20 to 200 letters, digits, "-" or "_".';
  return null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

// ---- budgets and webhooks (docs/alerts.md) ------------------------------------

const AMOUNT = /^\d+(?:\.\d{1,10})?$/;

/** A budget's amount: an exact decimal in USD, more than zero, at most 10
 *  decimals (OpenRouter's 1e-10 USD). */
export function checkBudgetAmount(input: string): string | null {
  const a = input.trim().replace(/^\$/, '');
  if (a === '') return 'Enter an amount in USD, like 10 or 12.50.';
  if (!AMOUNT.test(a)) return 'Enter the amount as a plain number of USD, like 10 or 12.50 (a dot for decimals, at most 10 decimals).';
  if (/^0+(?:\.0+)?$/.test(a)) return 'The amount must be more than 0.';
  return null;
}

/** The amount as sent: the exact decimal typed, without a leading "$". */
export function normalizeAmount(input: string): string {
  return input.trim().replace(/^\$/, '');
}

export const THRESHOLDS_MAX = 10;
export const DEFAULT_THRESHOLDS = [50, 80, 100];

/** "50, 80, 100" → [50, 80, 100]: whole percentages 1..100, at most 10,
 *  sorted, each once. Empty means the default. */
export function parseThresholds(input: string): { value: number[]; error: null } | { value: null; error: string } {
  const parts = input
    .split(/[,\s;]+/)
    .map((p) => p.trim().replace(/%$/, ''))
    .filter((p) => p !== '');
  if (parts.length === 0) return { value: [...DEFAULT_THRESHOLDS], error: null };
  const out = new Set<number>();
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) < 1 || Number(p) > 100) {
      return { value: null, error: `“${p}” is not a whole percentage from 1 to 100. Write them like 50, 80, 100.` };
    }
    out.add(Number(p));
  }
  if (out.size > THRESHOLDS_MAX) return { value: null, error: `At most ${THRESHOLDS_MAX} thresholds (there are ${out.size}).` };
  return { value: [...out].sort((a, b) => a - b), error: null };
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** A webhook URL: https:// (http:// only to a local receiver, which the
 *  server allows under `wrangler dev` alone), at most 2,048 characters, no
 *  user or password. Private addresses are the server's to refuse. */
export function checkWebhookUrl(input: string): string | null {
  const raw = input.trim();
  if (raw === '') return 'Enter the URL that receives the alerts, like https://hooks.slack.com/services/….';
  if (raw.length > 2048) return `The URL must be at most 2,048 characters (it has ${raw.length}).`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'Enter a full URL starting with https://.';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK_HOSTS.includes(u.hostname))) return 'The URL must start with https://.';
  if (u.username !== '' || u.password !== '') return 'The URL must not contain a user name or password.';
  return null;
}

/** A URL as the API takes it: parsed as the browser parses it (WHATWG), so
 *  an internationalised host name goes in its xn-- (punycode) form, which is
 *  the only form the API accepts; left as typed when it does not parse (the
 *  API then says why). */
export function asciiUrl(input: string): string {
  const text = input.trim();
  try {
    return new URL(text).href;
  } catch {
    return text;
  }
}
