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
