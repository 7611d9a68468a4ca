// The typed client of the web API (see /openapi.json). One request<T>() does
// JSON in and out, turns the error envelope into an ApiError and handles 401
// (the session ended): it clears the session and sends the page to #/login.
import { formatWait } from './format';

export type Money = string;

export interface FieldError {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The reason the server gave for one field, if any. */
  fieldReason(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.reason;
  }
}

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  pages: number;
}

export interface User {
  id: number;
  email: string;
  created_at: string;
}

export interface LoginResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/** A new session, and what other sessions had created that was revoked or paused. */
export interface PasswordChanged extends LoginResponse {
  revoked_tokens: number;
  paused_webhooks: number;
}

export type KeyKind = 'inference' | 'management';
export type ValidationStatus = 'unknown' | 'valid' | 'invalid';

export interface KeySnapshot {
  taken_at: string;
  limit: Money | null;
  limit_remaining: Money | null;
  limit_reset: string | null;
  usage: Money;
  usage_daily: Money;
  usage_weekly: Money;
  usage_monthly: Money;
  is_free_tier: boolean;
}

export interface Key {
  id: number;
  name: string;
  kind: KeyKind;
  key_preview: string;
  is_active: boolean;
  validation_status: ValidationStatus;
  last_validated_at: string | null;
  last_synced_at: string | null;
  last_sync_error: string | null;
  created_at: string;
  updated_at: string;
  snapshot: KeySnapshot | null;
}

export interface CreatedKey extends Key {
  validation_detail: string | null;
}

export interface KeySyncResult {
  key: Key;
  sync: { status: 'ok' | 'failed' | 'deferred'; error: string | null };
}

export interface Period {
  start_date: string;
  end_date: string;
  days: number;
}

export interface Totals {
  total_requests: number;
  total_cost: Money;
  total_tokens_input: number;
  total_tokens_output: number;
}

export interface DashboardDay {
  date: string;
  requests_count: number;
  tokens_input: number;
  tokens_output: number;
  cost: Money;
}

export interface DashboardModel {
  model: string;
  requests_count: number;
  tokens_input: number;
  tokens_output: number;
  cost: Money;
}

export interface DashboardKey {
  api_key_id: number;
  name: string;
  requests_count: number;
  cost: Money;
}

export interface Dashboard {
  period: Period;
  totals: Totals;
  daily: DashboardDay[];
  top_models: DashboardModel[];
  models: DashboardModel[];
  keys: DashboardKey[];
  series: {
    by_model: { model: string; costs: Money[] }[];
    by_key: { api_key_id: number; name: string; costs: Money[] }[];
  };
  today: { date: string; spend: Money; keys_reporting: number };
  spend: {
    today: Money;
    this_week: Money;
    this_month: Money;
    keys_reporting: number;
    week_start: string;
    month_start: string;
  };
  key_status: Key[];
  /** Every budget of the account, as GET /api/budgets lists them. */
  budgets: Budget[];
  /** The zone the local days are in (the account's, or `?tz=`). */
  tz?: string;
  /** null in UTC (`daily` is then by local day already), else one entry per
   *  local day of the range, from the hourly curve of every key. */
  local_daily?: LocalDailyDay[] | null;
}

// ---- time zones and the hourly curve (docs/integrations.md) ----------------

export interface Settings {
  /** An IANA zone name; `UTC` until set. */
  tz: string;
}

/** One hour of the curve: a gap is `spend: null` (never a zero); `hours` > 1
 *  when the figure carries the hours before it that had no reading. */
export interface HourPoint {
  start: string;
  spend: Money | null;
  hours: number;
}

/** A local day: the sum of its hours' figures (null when every hour is a
 *  gap); `hours` 24, or 23/25 on a daylight-saving switch; `gaps` hours
 *  without a figure of their own. */
export interface LocalDay {
  date: string;
  spend: Money | null;
  hours: number;
  gaps: number;
}

export interface HourlyCurve {
  tz: string;
  /** null: all the account's keys summed. */
  api_key_id: number | null;
  start_date: string;
  end_date: string;
  hours: HourPoint[];
  days: LocalDay[];
  total: Money | null;
}

export interface LocalDailyDay extends LocalDay {
  by_key: { api_key_id: number; spend: Money | null }[];
}

export interface UsageItem {
  date: string;
  model: string;
  api_key_id: number;
  requests_count: number;
  tokens_input: number;
  tokens_output: number;
  cost: Money;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  is_active: boolean;
}

export interface CreatedToken {
  id: number;
  name: string;
  token: string;
  created_at: string;
}


// ---- budgets, alerts, webhooks (docs/alerts.md) ------------------------------

export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';
/** `lifetime` only for a key limit that never resets (implicit budgets). */
export type AnyBudgetPeriod = BudgetPeriod | 'lifetime';
export type BudgetSource = 'budget' | 'openrouter_limit';

export interface BudgetStatus {
  as_of: string;
  period_start: string | null;
  period_end: string | null;
  spent: Money;
  remaining: Money;
  /** Exact, up to 2 decimals, rounded down; may exceed 100. */
  percent_used: string;
  fired: number[];
}

export type RunwayStatus = 'exceeded' | 'will_exceed' | 'on_track' | 'idle';

export interface Runway {
  status: RunwayStatus;
  burn_rate_per_day: Money;
  basis_from: string;
  basis_to: string;
  /** Absent (null) for lifetime budgets. */
  projected_period_spend: Money | null;
  projected_percent: string | null;
  reached_at: string | null;
  resets_at: string | null;
  days_before_reset: number | null;
}

export interface Budget {
  /** null for an implicit budget (a key's OpenRouter limit). */
  id: number | null;
  source: BudgetSource;
  scope: 'key' | 'account';
  api_key_id: number | null;
  api_key_name: string | null;
  amount: Money;
  period: AnyBudgetPeriod;
  thresholds: number[];
  created_at: string | null;
  updated_at: string | null;
  status: BudgetStatus | null;
  runway: Runway | null;
}

export interface NewBudget {
  api_key_id: number | null;
  amount: Money;
  period: BudgetPeriod;
  thresholds?: number[];
}

export type BudgetPatch = Partial<Pick<NewBudget, 'amount' | 'period' | 'thresholds'>>;

export type EventType = 'budget.threshold_reached' | 'budget.projected_exhaustion' | 'budget.recovered' | 'key.woke_up' | 'test';

export interface AlertEvent {
  id: number;
  type: EventType | string;
  created_at: string;
  message: string;
  api_key_id: number | null;
  api_key_name: string | null;
  budget_id: number | null;
  source: BudgetSource | null;
  period: AnyBudgetPeriod | null;
  period_start: string | null;
  threshold: number | null;
  amount: Money | null;
  spent: Money | null;
  percent_used: string | null;
  reached_at: string | null;
}

export type WebhookFormat = 'json' | 'slack';
export type DeliveryStatus = 'pending' | 'sending' | 'retrying' | 'delivered' | 'failed';

export interface Webhook {
  id: number;
  name: string;
  url: string;
  format: WebhookFormat;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  last_delivery: { status: DeliveryStatus; at: string } | null;
}

/** The answer to a create: the signing secret, shown this once. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export interface DeliveryAttempt {
  at: string;
  status_code: number | null;
  /** Why there was no HTTP answer: a category. */
  error: string | null;
  /** Only when the receiver answered. */
  duration_ms: number | null;
}

export interface Delivery {
  id: number;
  event: AlertEvent;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  created_at: string;
  delivered_at: string | null;
}

/** `GET /api/keys/{id}`: the key with its budgets and the runway reached first. */
export interface KeyDetail extends Key {
  budgets: Budget[];
  runway: Runway | null;
}

// ---- session ---------------------------------------------------------------

const SESSION_KEY = 'orw.session';
let sessionListeners: (() => void)[] = [];
let flash: string | null = null;

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(SESSION_KEY);
    else sessionStorage.setItem(SESSION_KEY, token);
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
  for (const l of sessionListeners) l();
}

export function onSessionChange(listener: () => void): () => void {
  sessionListeners.push(listener);
  return () => {
    sessionListeners = sessionListeners.filter((l) => l !== listener);
  };
}

/** A one-shot message for the login screen ("Your session ended…"). */
export function setFlash(message: string | null): void {
  flash = message;
}

export function takeFlash(): string | null {
  const m = flash;
  flash = null;
  return m;
}

export const SESSION_ENDED = 'Your session ended, please log in again.';

function sessionEnded(): void {
  setFlash(SESSION_ENDED);
  setToken(null);
  if (!location.hash.startsWith('#/login')) location.hash = '#/login';
}

// ---- requests --------------------------------------------------------------

export type Query = Record<string, string | number | undefined | null>;

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** Send the session JWT (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

async function send(path: string, opts: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  const useAuth = opts.auth ?? true;
  const token = useAuth ? getToken() : null;
  if (useAuth && !token) {
    sessionEnded();
    throw new ApiError(401, 'unauthorized', SESSION_ENDED);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path + queryString(opts.query), {
      method: opts.method ?? 'GET',
      headers,
      body,
      signal: opts.signal,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (res.ok) return res;
  const error = await readError(res);
  // Only the first 401 of a session ends it (several calls may be in flight).
  if (res.status === 401 && token && getToken() === token) sessionEnded();
  throw error;
}

async function readError(res: Response): Promise<ApiError> {
  const retry = res.headers.get('Retry-After');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : null;
  try {
    const data: unknown = await res.json();
    if (isEnvelope(data)) {
      const e = data.error;
      return new ApiError(res.status, e.code, e.message, e.details ?? [], retryAfter);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, 'http_' + res.status, `The server answered ${res.status} ${res.statusText}.`, [], retryAfter);
}

function isEnvelope(d: unknown): d is { error: { code: string; message: string; details?: FieldError[] } } {
  if (typeof d !== 'object' || d === null || !('error' in d)) return false;
  const e = (d as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' && typeof (e as { code?: unknown }).code === 'string';
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts, 'application/json');
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// ---- the routes --------------------------------------------------------------

export const api = {
  register: (email: string, password: string) =>
    request<User>('/api/auth/register', { method: 'POST', body: { email, password }, auth: false }),
  login: (email: string, password: string) =>
    request<LoginResponse>('/api/auth/login', { method: 'POST', body: { email, password }, auth: false }),
  logout: () => request<void>('/api/auth/logout', { method: 'POST' }),
  me: (signal?: AbortSignal) => request<User>('/api/auth/me', { signal }),
  /** Ends every session of the account (this one too); the answer is the
   *  caller's new session. `revoke_other_access`: also revoke the API tokens
   *  and pause the webhooks other sessions created. */
  changePassword: (current_password: string, new_password: string, revoke_other_access: boolean) =>
    request<PasswordChanged>('/api/auth/password', { method: 'POST', body: { current_password, new_password, revoke_other_access } }),
  /** Deletes the account and everything it owns (204). */
  deleteAccount: (password: string) => request<void>('/api/auth/me', { method: 'DELETE', body: { password } }),

  keysPage: (page: number, limit: number, signal?: AbortSignal) =>
    request<Page<Key>>('/api/keys', { query: { page, limit }, signal }),
  /** Every key, all pages (never only the first). */
  async allKeys(signal?: AbortSignal): Promise<Key[]> {
    const limit = 100;
    const first = await api.keysPage(1, limit, signal);
    const items = [...first.items];
    for (let p = 2; p <= first.pagination.pages; p++) {
      items.push(...(await api.keysPage(p, limit, signal)).items);
    }
    return items;
  },
  createKey: (name: string, key: string, kind: KeyKind) =>
    request<CreatedKey>('/api/keys', { method: 'POST', body: { name, key, kind } }),
  updateKey: (id: number, patch: { name?: string; is_active?: boolean }) =>
    request<Key>(`/api/keys/${id}`, { method: 'PATCH', body: patch }),
  deleteKey: (id: number) => request<void>(`/api/keys/${id}`, { method: 'DELETE' }),
  syncKey: (id: number) => request<KeySyncResult>(`/api/keys/${id}/sync`, { method: 'POST' }),

  key: (id: number, signal?: AbortSignal) => request<KeyDetail>(`/api/keys/${id}`, { signal }),

  budgets: (signal?: AbortSignal) => request<{ budgets: Budget[] }>('/api/budgets', { signal }).then((r) => r.budgets),
  budget: (id: number, signal?: AbortSignal) => request<Budget>(`/api/budgets/${id}`, { signal }),
  createBudget: (b: NewBudget) => request<Budget>('/api/budgets', { method: 'POST', body: b }),
  /** Re-arms the budget: its thresholds fire again this period if crossed. */
  updateBudget: (id: number, patch: BudgetPatch) => request<Budget>(`/api/budgets/${id}`, { method: 'PATCH', body: patch }),
  deleteBudget: (id: number) => request<void>(`/api/budgets/${id}`, { method: 'DELETE' }),

  alerts: (page: number, limit: number, signal?: AbortSignal) =>
    request<Page<AlertEvent>>('/api/alerts', { query: { page, limit }, signal }),

  webhooks: (signal?: AbortSignal) => request<{ webhooks: Webhook[] }>('/api/webhooks', { signal }).then((r) => r.webhooks),
  /** `password`: needed when the session signed in more than 10 minutes ago (see `needsPassword`). */
  createWebhook: (w: { name: string; url: string; format: WebhookFormat; password?: string }) =>
    request<CreatedWebhook>('/api/webhooks', { method: 'POST', body: w }),
  updateWebhook: (id: number, patch: Partial<Pick<Webhook, 'name' | 'url' | 'format' | 'is_active'>>) =>
    request<Webhook>(`/api/webhooks/${id}`, { method: 'PATCH', body: patch }),
  deleteWebhook: (id: number) => request<void>(`/api/webhooks/${id}`, { method: 'DELETE' }),
  deliveries: (id: number, page: number, limit: number, signal?: AbortSignal) =>
    request<Page<Delivery>>(`/api/webhooks/${id}/deliveries`, { query: { page, limit }, signal }),
  /** Sends a `test` event now (one try, final) and answers its delivery. */
  testWebhook: (id: number) => request<Delivery>(`/api/webhooks/${id}/test`, { method: 'POST' }),

  settings: (signal?: AbortSignal) => request<Settings>('/api/settings', { signal }),
  /** 422 (`field: "tz"`) for a zone the Worker does not know. */
  updateSettings: (patch: Partial<Settings>) => request<Settings>('/api/settings', { method: 'PATCH', body: patch }),
  /** `start_date`/`end_date` are local days of `tz` (default: the account's
   *  zone; yesterday and today); no `api_key_id`: every key summed. */
  hourly: (query: { api_key_id?: number | string; start_date?: string; end_date?: string; tz?: string }, signal?: AbortSignal) =>
    request<HourlyCurve>('/api/usage/hourly', { query, signal }),

  dashboard: (query: Query, signal?: AbortSignal) => request<Dashboard>('/api/stats/dashboard', { query, signal }),
  usage: (query: Query, signal?: AbortSignal) => request<Page<UsageItem>>('/api/usage', { query, signal }),
  async usageCsv(query: Query): Promise<Blob> {
    const res = await send('/api/usage.csv' + queryString(query), {}, 'text/csv');
    return res.blob();
  },

  tokens: (signal?: AbortSignal) => request<ApiToken[]>('/api/tokens', { signal }),
  /** `password`: needed when the session signed in more than 10 minutes ago (see `needsPassword`). */
  createToken: (name: string, password?: string) => request<CreatedToken>('/api/tokens', { method: 'POST', body: { name, password } }),
  revokeToken: (id: number) => request<void>(`/api/tokens/${id}`, { method: 'DELETE' }),
};

/** A readable sentence for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429 && e.retryAfter !== null) return `${e.message} Try again in ${e.retryAfter} s.`;
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

/** Server-side field reasons, as sentences keyed by field ("Name must not be
 *  empty."), for the fields a form shows; the rest stay in `message`. */
export function fieldErrors(e: unknown, labels: Record<string, string>): { fields: Record<string, string>; message: string } {
  const fields: Record<string, string> = {};
  let message = errorMessage(e);
  if (e instanceof ApiError) {
    const extra: string[] = [];
    for (const d of e.details) {
      const label = labels[d.field];
      const reason = d.reason.replace(/\.$/, '');
      if (label) fields[d.field] = `${label} ${reason}.`;
      else extra.push(`${d.field} ${reason}.`);
    }
    if (extra.length) message = `${message} ${extra.join(' ')}`;
  }
  return { fields, message };
}

const WRONG_PASSWORD = "is not the account's password";

/** Errors of the forms that send the account's password (change it, delete
 *  the account): field reasons as sentences by their field ("The current
 *  password is wrong."), too many wrong passwords as a sentence with the wait.
 *  `message` is null when every reason has its field on the form. */
export function passwordFormErrors(e: unknown, labels: Record<string, string>): { fields: Record<string, string>; message: string | null } {
  if (e instanceof ApiError && e.status === 429) {
    const wait = e.retryAfter !== null ? `Wait ${formatWait(e.retryAfter)}` : 'Wait a few minutes';
    return { fields: {}, message: `Too many wrong passwords for this account or from your network. ${wait} before trying again.` };
  }
  if (e instanceof ApiError && e.status === 422 && e.details.length > 0 && e.details.every((d) => labels[d.field] !== undefined)) {
    const fields: Record<string, string> = {};
    for (const d of e.details) {
      const label = labels[d.field] ?? d.field;
      fields[d.field] = d.reason === WRONG_PASSWORD ? `${label} is wrong.` : `${label} ${d.reason.replace(/\.$/, '')}.`;
    }
    return { fields, message: null };
  }
  return fieldErrors(e, labels);
}

/** What a create answered about re-authentication: `ask` when the session is
 *  too old and the password must be sent, `wrong` when the password sent was
 *  not the account's (with the reason), null for anything else. */
export function needsPassword(e: unknown): { kind: 'ask'; message: string } | { kind: 'wrong'; message: string } | null {
  if (!(e instanceof ApiError)) return null;
  if (e.code === 'reauthentication_required') return { kind: 'ask', message: e.message };
  const reason = e.status === 422 ? e.fieldReason('password') : undefined;
  if (reason !== undefined) return { kind: 'wrong', message: reason === WRONG_PASSWORD ? 'That is not your password.' : `The password ${reason.replace(/\.$/, '')}.` };
  if (e.status === 429 && e.retryAfter !== null) return { kind: 'wrong', message: `Too many wrong passwords. Wait ${formatWait(e.retryAfter)}.` };
  return null;
}
