// The typed client of the web API (see /openapi.json). One request<T>() does
// JSON in and out, turns the error envelope into an ApiError and handles 401
// (the session ended): it clears the session and sends the page to #/login.
import { orgFromSearch, searchWithOrg } from './org';
import { formatWait } from './format';
import type { components } from './generated/openapi';

// Every shape below is generated from openapi.json (`cargo xtask build` runs
// openapi-typescript into ./generated/openapi.ts): a field renamed in the
// document breaks tsc here, not a user's screen. Only names are chosen here.
type Schemas = components['schemas'];

export type Money = Schemas['Money'];
export type FieldError = Schemas['FieldError'];

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

export type Pagination = Schemas['Pagination'];
export type User = Schemas['User'];
export type LoginResponse = Schemas['LoginResponse'];
/** A new session, and what other sessions had created that was revoked or paused. */
export type PasswordChanged = Schemas['PasswordChanged'];

export type KeyKind = Schemas['KeyKind'];
export type ValidationStatus = Schemas['ValidationStatus'];
export type KeySnapshot = Schemas['KeySnapshot'];
export type Key = Schemas['Key'];
export type CreatedKey = Schemas['CreatedKey'];
export type KeySyncResult = Schemas['KeySyncResult'];
export type UntrackedKey = Schemas['UntrackedKey'];
export type UntrackedKeyList = Schemas['UntrackedKeyList'];
/** `GET /api/keys/{id}`: the key with its budgets and the runway reached first. */
export type KeyDetail = Schemas['KeyDetail'];

export type Period = Schemas['Period'];
export type Totals = Schemas['Totals'];
export type DashboardDay = Schemas['DashboardDay'];
export type DashboardModel = Schemas['DashboardModel'];
export type DashboardKey = Schemas['DashboardKey'];
export type Dashboard = Schemas['Dashboard'];
export type MemberSpend = Schemas['MemberSpend'];
export type OpenRouterMemberSpend = Schemas['OpenRouterMemberSpend'];
export type UsageItem = Schemas['WebUsageItem'];
export type UsagePage = Schemas['WebUsagePage'];

// ---- time zones and the hourly curve (docs/integrations.md) ----------------

export type Settings = Schemas['Settings'];
export type HourPoint = Schemas['HourPoint'];
export type LocalDay = Schemas['LocalDay'];
export type HourlyCurve = Schemas['HourlyCurve'];
export type LocalDailyDay = Schemas['LocalDayTotal'];

export type ApiToken = Schemas['ApiToken'];
export type CreatedToken = Schemas['CreatedToken'];
export type TokenScope = Schemas['TokenScope'];
export type CreateTokenRequest = Schemas['CreateTokenRequest'];

// ---- budgets, alerts, webhooks (docs/alerts.md) ------------------------------

/** The periods a budget can be created with. */
export type BudgetPeriod = NewBudget['period'];
/** `lifetime` only for a key limit that never resets (implicit budgets). */
export type AnyBudgetPeriod = Schemas['BudgetPeriod'];
export type BudgetSource = Budget['source'];
export type BudgetStatus = Schemas['BudgetStatus'];
export type Runway = Schemas['Runway'];
export type RunwayStatus = Runway['status'];
export type Budget = Schemas['Budget'];
export type NewBudget = Schemas['CreateBudgetRequest'];
export type BudgetPatch = Schemas['UpdateBudgetRequest'];

/** What a budget does to its keys besides alerting (docs/policies.md). */
export type BudgetAction = Budget['action'];

/** What a policy did (or, in a dry run, would do) to one OpenRouter key. */
export type KeyAction = Schemas['KeyAction'];
export type KeyActionState = KeyAction['state'];
/** A key's settings on OpenRouter that a policy may change. */
export type KeySettings = Schemas['KeySettings'];
export type KeyActionPage = Schemas['KeyActionPage'];
/** `POST /api/keys/{id}/limit`: an OpenRouter limit for a key that has none. */
export type SetKeyLimit = Schemas['SetKeyLimitRequest'];

export type AlertEvent = Schemas['AlertEvent'];
export type EventType = AlertEvent['type'];
export type AlertEventPage = Schemas['AlertEventPage'];

export type Webhook = Schemas['Webhook'];
export type WebhookFormat = Webhook['format'];
export type NewWebhook = Schemas['CreateWebhookRequest'];
export type WebhookPatch = Schemas['UpdateWebhookRequest'];
/** The answer to a create: the signing secret, shown this once. */
export type CreatedWebhook = Schemas['CreatedWebhook'];
export type Delivery = Schemas['Delivery'];
export type DeliveryStatus = Delivery['status'];
export type DeliveryAttempt = Schemas['DeliveryAttempt'];
export type DeliveryPage = Schemas['DeliveryPage'];

// ---- organisations (README, "Teams") ------------------------------------------

export type Role = Schemas['Role'];
export type Organisation = Schemas['Organisation'];
export type Member = Schemas['Member'];
export type Invitation = Schemas['Invitation'];
export type PendingInvitation = Schemas['PendingInvitation'];
export type JoinedOrganisation = Schemas['JoinedOrganisation'];

// ---- the audit log -------------------------------------------------------------

export type AuditEntry = Schemas['AuditEntry'];
export type AuditKind = Schemas['AuditKind'];
export type AuditPage = Schemas['AuditPage'];

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

/** How the session was made: a password login, or Cloudflare Access. */
export type SignIn = 'password' | 'access';
const SIGN_IN_KEY = 'orw.sign-in';

/** Whether this session came from Cloudflare Access: its account may have no
 *  password, and a recent sign-in confirms what a password would. */
export function signedInThroughAccess(): boolean {
  try {
    return sessionStorage.getItem(SIGN_IN_KEY) === 'access';
  } catch {
    return false;
  }
}

/** Stores the session (null: drops it); `via` says how a new one was made. */
export function setToken(token: string | null, via?: SignIn): void {
  try {
    if (token === null) {
      sessionStorage.removeItem(SESSION_KEY);
      sessionStorage.removeItem(SIGN_IN_KEY);
    } else {
      sessionStorage.setItem(SESSION_KEY, token);
      if (via !== undefined) sessionStorage.setItem(SIGN_IN_KEY, via);
    }
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
  // The organisation chosen was this session's person's: the next person
  // starts in their own.
  if (token === null && orgFromSearch(location.search) !== null) {
    history.replaceState(history.state, '', location.pathname + searchWithOrg(location.search, null) + location.hash);
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
export const LOGGED_OUT = 'You are logged out.';
export const ACCOUNT_DELETED = 'Your account was deleted.';

/** After these the login screen does not sign in through Cloudflare Access
 *  by itself: the person has just asked to be out. After SESSION_ENDED it
 *  does, so a session that expires behind Access is renewed at once. */
export function staysSignedOut(flashed: string | null): boolean {
  return flashed === LOGGED_OUT || flashed === ACCOUNT_DELETED;
}

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
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
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
  // The organisation the page acts in (`?org=`); none: the personal one.
  const org = useAuth ? orgFromSearch(location.search) : null;
  if (org !== null) headers['X-Organisation'] = String(org);
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
  /** Whether this deployment signs people in through Cloudflare Access. */
  accessStatus: () => request<Schemas['AccessStatus']>('/api/auth/access', { auth: false }),
  /** Exchanges the assertion Cloudflare Access adds to every request it lets
   *  through for a session (no body): 401 when this request came without a
   *  valid one. */
  accessSignIn: () => request<LoginResponse>('/api/auth/access', { method: 'POST', auth: false }),
  logout: () => request<void>('/api/auth/logout', { method: 'POST' }),
  me: (signal?: AbortSignal) => request<User>('/api/auth/me', { signal }),
  /** Ends every session of the account (this one too); the answer is the
   *  caller's new session. `revoke_other_access`: also revoke the API tokens
   *  and pause the webhooks other sessions created. */
  changePassword: (current_password: string, new_password: string, revoke_other_access: boolean) =>
    request<PasswordChanged>('/api/auth/password', { method: 'POST', body: { current_password, new_password, revoke_other_access } }),
  /** Deletes the account and everything it owns (204). No password: an
   *  account made by Cloudflare Access, from a recent sign-in. */
  deleteAccount: (password: string | undefined) => request<void>('/api/auth/me', { method: 'DELETE', body: { password } }),

  /** The person's organisations, the personal one first. */
  organisations: (signal?: AbortSignal) => request<Schemas['OrganisationList']>('/api/organisations', { signal }),
  members: (signal?: AbortSignal) => request<Schemas['MemberList']>('/api/organisations/members', { signal }).then((r) => r.items),
  changeMember: (id: number, role: Role) => request<void>(`/api/organisations/members/${id}`, { method: 'PATCH', body: { role } }),
  removeMember: (id: number) => request<void>(`/api/organisations/members/${id}`, { method: 'DELETE' }),
  invitations: (signal?: AbortSignal) => request<Schemas['PendingInvitationList']>('/api/organisations/invitations', { signal }).then((r) => r.items),
  invite: (email: string, role: Role, sendEmail: boolean) =>
    request<Invitation>('/api/organisations/invitations', { method: 'POST', body: { email, role, send_email: sendEmail } }),
  deleteOrganisation: (name: string, password: string | undefined) => request<void>('/api/organisations', { method: 'DELETE', body: { name, password } }),
  revokeInvitation: (id: number) => request<void>(`/api/organisations/invitations/${id}`, { method: 'DELETE' }),
  acceptInvitation: (token: string) => request<JoinedOrganisation>('/api/invitations/accept', { method: 'POST', body: { token } }),

  keysPage: (page: number, limit: number, signal?: AbortSignal) =>
    request<Schemas['KeyList']>('/api/keys', { query: { page, limit }, signal }),
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
  updateKey: (id: number, patch: Schemas['UpdateKeyRequest']) =>
    request<Key>(`/api/keys/${id}`, { method: 'PATCH', body: patch }),
  deleteKey: (id: number) => request<void>(`/api/keys/${id}`, { method: 'DELETE' }),
  syncKey: (id: number) => request<KeySyncResult>(`/api/keys/${id}/sync`, { method: 'POST' }),
  /** Sets an OpenRouter limit on a key with none, through the management key
   *  (an action, state `set`); 409 when it has one or nothing can act. */
  setKeyLimit: (id: number, body: SetKeyLimit) => request<KeyAction>(`/api/keys/${id}/limit`, { method: 'POST', body }),
  /** What the management keys list that no stored key matches (reads OpenRouter). */
  untrackedKeys: (signal?: AbortSignal) => request<UntrackedKeyList>('/api/keys/untracked', { signal }),
  /** Tracks keys by hash without their secret, 100 per request. */
  async importKeys(hashes: string[]): Promise<Schemas['ImportedKeys']> {
    const items: Key[] = [];
    for (let i = 0; i < hashes.length; i += 100) {
      const done = await request<Schemas['ImportedKeys']>('/api/keys/import', { method: 'POST', body: { hashes: hashes.slice(i, i + 100) } });
      items.push(...done.items);
    }
    return { items };
  },

  key: (id: number, signal?: AbortSignal) => request<KeyDetail>(`/api/keys/${id}`, { signal }),

  budgets: (signal?: AbortSignal) => request<Schemas['BudgetList']>('/api/budgets', { signal }).then((r) => r.budgets),
  budget: (id: number, signal?: AbortSignal) => request<Budget>(`/api/budgets/${id}`, { signal }),
  createBudget: (b: NewBudget) => request<Budget>('/api/budgets', { method: 'POST', body: b }),
  /** Re-arms the budget: its thresholds fire again this period if crossed. */
  updateBudget: (id: number, patch: BudgetPatch) => request<Budget>(`/api/budgets/${id}`, { method: 'PATCH', body: patch }),
  deleteBudget: (id: number) => request<void>(`/api/budgets/${id}`, { method: 'DELETE' }),

  alerts: (page: number, limit: number, signal?: AbortSignal) =>
    request<AlertEventPage>('/api/alerts', { query: { page, limit }, signal }),

  /** What policies did to the account's keys, newest first; `state` filters. */
  actions: (page: number, limit: number, state?: KeyActionState, signal?: AbortSignal) =>
    request<KeyActionPage>('/api/actions', { query: { page, limit, state }, signal }),
  /** Puts the key back now: `undone`, `kept` (a person changed it on
   *  OpenRouter since) or still `applied` with a `detail` (OpenRouter was
   *  unreachable); 409 when the action is not in force. */
  undoAction: (id: number) => request<KeyAction>(`/api/actions/${id}/undo`, { method: 'POST' }),

  webhooks: (signal?: AbortSignal) => request<Schemas['WebhookList']>('/api/webhooks', { signal }).then((r) => r.webhooks),
  /** `password`: needed when the session signed in more than 10 minutes ago (see `needsPassword`). */
  createWebhook: (w: NewWebhook) =>
    request<CreatedWebhook>('/api/webhooks', { method: 'POST', body: w }),
  updateWebhook: (id: number, patch: WebhookPatch) =>
    request<Webhook>(`/api/webhooks/${id}`, { method: 'PATCH', body: patch }),
  deleteWebhook: (id: number) => request<void>(`/api/webhooks/${id}`, { method: 'DELETE' }),
  deliveries: (id: number, page: number, limit: number, signal?: AbortSignal) =>
    request<DeliveryPage>(`/api/webhooks/${id}/deliveries`, { query: { page, limit }, signal }),
  /** Sends a `test` event now (one try, final) and answers its delivery. */
  testWebhook: (id: number) => request<Delivery>(`/api/webhooks/${id}/test`, { method: 'POST' }),

  settings: (signal?: AbortSignal) => request<Settings>('/api/settings', { signal }),
  /** 422 (`field: "tz"`) for a zone the Worker does not know. */
  updateSettings: (patch: Schemas['UpdateSettingsRequest']) => request<Settings>('/api/settings', { method: 'PATCH', body: patch }),
  emailSettings: (signal?: AbortSignal) => request<Schemas['EmailSettings']>('/api/settings/email', { signal }),
  setEmail: (address: string) => request<Schemas['EmailAddressSet']>('/api/settings/email', { method: 'PUT', body: { address } }),
  digestSettings: (signal?: AbortSignal) => request<Schemas['DigestSettings']>('/api/settings/digest', { signal }),
  setDigestSettings: (body: Schemas['DigestSettings']) => request<Schemas['DigestSettings']>('/api/settings/digest', { method: 'PUT', body }),
  previewDigest: () => request<Schemas['DigestPreview']>('/api/digest/preview', { method: 'POST' }),
  /** `start_date`/`end_date` are local days of `tz` (default: the account's
   *  zone; yesterday and today); no `api_key_id`: every key summed. */
  hourly: (query: { api_key_id?: number | string; start_date?: string; end_date?: string; tz?: string }, signal?: AbortSignal) =>
    request<HourlyCurve>('/api/usage/hourly', { query, signal }),

  dashboard: (query: Query, signal?: AbortSignal) => request<Dashboard>('/api/stats/dashboard', { query, signal }),
  usage: (query: Query, signal?: AbortSignal) => request<UsagePage>('/api/usage', { query, signal }),
  async usageCsv(query: Query): Promise<Blob> {
    const res = await send('/api/usage.csv' + queryString(query), {}, 'text/csv');
    return res.blob();
  },

  /** `kind`: a kind (`key.updated`) or a family (`key`); newest first. */
  audit: (query: Query, signal?: AbortSignal) => request<AuditPage>('/api/audit', { query, signal }),
  async auditCsv(query: Query): Promise<Blob> {
    const res = await send('/api/audit.csv' + queryString(query), {}, 'text/csv');
    return res.blob();
  },

  tokens: (signal?: AbortSignal) => request<Schemas['ApiTokenList']>('/api/tokens', { signal }),
  /** `password`: needed when the session signed in more than 10 minutes ago (see `needsPassword`). */
  createToken: (body: CreateTokenRequest) => request<CreatedToken>('/api/tokens', { method: 'POST', body }),
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
