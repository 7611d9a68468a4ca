import { useEffect, useMemo, useState } from 'preact/hooks';
import { ACCOUNT_DELETED, api, ApiError, errorMessage, signedInThroughAccess, passwordFormErrors, setFlash, setToken, type Settings as AccountSettings, type User } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { TextField } from '../components/Field';
import { AccessConfirms } from '../components/Reauth';
import { Busy, Notice } from '../components/Notice';
import { EmailAndDigests } from '../components/SettingsEmail';
import { ago, formatTimestamp } from '../dates';
import { browserZone, UTC, zoneCaption, zoneNames } from '../hourly';
import { invalidateExcept, useResource, useTitle } from '../hooks';
import { useCurrentOrg } from '../role';
import { navigate } from '../router';
import { passwordChangedMessage, SPIKE_LEVELS } from '../format';
import { checkPasswordChange, checkPresent, PASSWORD_MAX, PASSWORD_MIN, type PasswordChangeErrors } from '../validate';

type Message = { tone: 'success' | 'error'; text: string } | null;

export function Settings() {
  useTitle('Settings');
  const me = useResource<User>('me', (signal) => api.me(signal));
  const user = me.data;
  const { manages } = useCurrentOrg();

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          Settings
        </h1>
        <Busy active={me.loading} label={user ? 'Updating…' : 'Loading…'} />
      </div>
      <p class="lede">Your account, its time zone, spend spikes, e-mail and digests, its password, and deleting it.</p>

      <section class="panel" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        {me.error ? <Notice tone="error">Could not load your account: {errorMessage(me.error)}</Notice> : null}
        {user ? (
          <dl class="facts" data-testid="account-facts">
            <dt>Email</dt>
            <dd data-testid="account-email">{user.email}</dd>
            <dt>Created</dt>
            <dd data-testid="account-created" data-created={user.created_at}>
              {formatTimestamp(user.created_at)} <span class="hint-inline">({ago(user.created_at)})</span>
            </dd>
          </dl>
        ) : null}
      </section>

      {manages ? (
        <>
          <TimeZone />
          <SpendSpikes />
          <EmailAndDigests />
        </>
      ) : (
        <p class="hint" data-testid="org-settings-hidden">
          The organisation’s time zone, spike alerts, e-mail and digests are its admins’ to set.
        </p>
      )}
      <ChangePassword email={user?.email ?? ''} />
      <DeleteAccount email={user?.email ?? ''} />
    </section>
  );
}

export const ZONE_SAVED = 'Time zone saved.';

/** The zone's error by the field: the Worker's reason for `tz` (422), or
 *  the message. */
export function zoneError(e: unknown): string {
  if (e instanceof ApiError) {
    const reason = e.fieldReason('tz');
    if (reason) return `Time zone ${reason.replace(/\.$/, '')}.`;
  }
  return errorMessage(e);
}

/** The account's zone: local day totals and the hourly curve follow it. */
type Level = (typeof SPIKE_LEVELS)[number]['value'];

/** How readily spend spikes are told (docs/alerts.md): saved on change. */
function SpendSpikes() {
  const res = useResource<AccountSettings>('settings', (signal) => api.settings(signal));
  const current = res.data?.spike_sensitivity ?? null;
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);

  async function save(level: Level) {
    setMessage(null);
    setBusy(true);
    try {
      const saved = await api.updateSettings({ spike_sensitivity: level });
      res.mutate(() => saved);
      setMessage({ tone: 'success', text: `Spend spikes: ${saved.spike_sensitivity}.` });
    } catch (ex) {
      setMessage({ tone: 'error', text: `Could not save: ${errorMessage(ex)}` });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="spikes-title" data-testid="spikes-section">
      <h2 id="spikes-title">Spend spikes</h2>
      <p class="hint">
        An hour of a key (or of the account) far above its usual, the median of its previous week of hours, raises one alert per episode.
      </p>
      <label for="spike-sensitivity">Sensitivity</label>
      <select
        id="spike-sensitivity"
        data-testid="spike-sensitivity"
        value={current ?? 'normal'}
        disabled={busy || current === null}
        onChange={(e) => void save((e.currentTarget as HTMLSelectElement).value as Level)}
      >
        {SPIKE_LEVELS.map((l) => (
          <option key={l.value} value={l.value}>
            {l.label}
          </option>
        ))}
      </select>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
    </section>
  );
}

function TimeZone() {
  const res = useResource<AccountSettings>('settings', (signal) => api.settings(signal));
  const current = res.data?.tz ?? null;
  const browser = browserZone();
  const names = useMemo(() => zoneNames(), []);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (current !== null) setValue(current);
  }, [current]);

  async function save(tz: string) {
    setMessage(null);
    if (tz.trim() === '') {
      setError('Enter a time zone, like Europe/Rome or UTC.');
      document.getElementById('time-zone')?.focus();
      return;
    }
    setBusy(true);
    try {
      const saved = await api.updateSettings({ tz: tz.trim() });
      // Every answer built on the old zone is stale (overview, hourly).
      invalidateExcept('me', 'keys');
      res.mutate(() => saved);
      setValue(saved.tz);
      setError(undefined);
      setMessage(`${ZONE_SAVED} Local days now follow ${saved.tz}.`);
    } catch (ex) {
      setError(zoneError(ex));
      document.getElementById('time-zone')?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="tz-title" data-testid="tz-section">
      <h2 id="tz-title">Time zone</h2>
      <p class="hint intro">
        Local day totals on the overview and the hourly curve follow it. OpenRouter reports per-model activity by UTC day only, so per-model figures stay on UTC days.
      </p>
      {res.error ? <Notice tone="error">Could not load your time zone: {errorMessage(res.error)}</Notice> : null}
      <p data-testid="tz-current" data-tz={current ?? ''}>
        Current: <strong>{current === null ? '…' : zoneCaption(current)}</strong>
      </p>
      <form
        class="settings-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save(value);
        }}
        noValidate
        data-testid="tz-form"
      >
        <TextField
          id="time-zone"
          label="Time zone"
          value={value}
          onValue={(v) => {
            setValue(v);
            setError(undefined);
          }}
          list="time-zones"
          spellcheck={false}
          autoComplete="off"
          error={error}
          hint="An IANA name, like Europe/Rome, America/Los_Angeles or UTC; type to search."
          testId="time-zone"
        />
        <datalist id="time-zones">
          {names.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy || current === null} data-testid="tz-submit">
            {busy ? 'Saving…' : 'Save time zone'}
          </button>
          {current !== null && current !== browser ? (
            <button type="button" class="button" disabled={busy} onClick={() => void save(browser)} data-testid="tz-browser">
              Use my browser's zone ({browser})
            </button>
          ) : null}
          {current !== null && current !== UTC && browser !== UTC ? (
            <button type="button" class="button" disabled={busy} onClick={() => void save(UTC)} data-testid="tz-utc">
              Use UTC
            </button>
          ) : null}
        </div>
      </form>
      {message ? (
        <div class="form-message">
          <Notice tone="success" testId="tz-message">
            {message}
          </Notice>
        </div>
      ) : null}
    </section>
  );
}

/** Lets password managers tie the password fields to the account (never shown). */
function Username({ email }: { email: string }) {
  return <input type="email" name="username" autoComplete="username" value={email} readOnly hidden tabIndex={-1} />;
}

function ChangePassword({ email }: { email: string }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<PasswordChangeErrors>({});
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);
  const [revokeOthers, setRevokeOthers] = useState(true);

  async function submit(e: Event) {
    e.preventDefault();
    const errs = checkPasswordChange({ current, next, confirm });
    setErrors(errs);
    setMessage(null);
    if (Object.keys(errs).length > 0) {
      document.getElementById(errs.current ? 'current-password' : errs.next ? 'new-password' : 'new-password-confirm')?.focus();
      return;
    }
    setBusy(true);
    try {
      const session = await api.changePassword(current, next, revokeOthers);
      // Every older session (this page's too) has ended: this is the new one.
      setToken(session.access_token);
      setCurrent('');
      setNext('');
      setConfirm('');
      setMessage({ tone: 'success', text: passwordChangedMessage(session.revoked_tokens, session.paused_webhooks) });
    } catch (ex) {
      const f = passwordFormErrors(ex, { current_password: 'The current password', new_password: 'The new password' });
      setErrors({ current: f.fields.current_password, next: f.fields.new_password });
      if (f.message) setMessage({ tone: 'error', text: f.message });
      if (f.fields.current_password) document.getElementById('current-password')?.focus();
      else if (f.fields.new_password) document.getElementById('new-password')?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="password-title">
      <h2 id="password-title">Change your password</h2>
      <p class="hint intro">Every session of your account ends, on every device; this page stays signed in with a new one.</p>
      <form class="settings-form" onSubmit={submit} noValidate data-testid="password-form">
        <Username email={email} />
        <TextField id="current-password" label="Current password" type="password" autoComplete="current-password" value={current} onValue={setCurrent} error={errors.current} required />
        <TextField
          id="new-password"
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onValue={setNext}
          error={errors.next}
          hint={`${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A passphrase of a few words works well.`}
          required
        />
        <TextField id="new-password-confirm" label="New password, again" type="password" autoComplete="new-password" value={confirm} onValue={setConfirm} error={errors.confirm} required />
        <div class="check-field">
          <input
            id="revoke-other-access"
            type="checkbox"
            checked={revokeOthers}
            onChange={(e) => setRevokeOthers((e.currentTarget as HTMLInputElement).checked)}
            aria-describedby="revoke-other-access-hint"
            data-testid="revoke-other-access"
          />
          <div>
            <label for="revoke-other-access">Also revoke API tokens and pause webhooks that other sessions created</label>
            <p class="hint" id="revoke-other-access-hint">
              If someone else had your password, this removes the access they may have left behind. What you created in this session stays.
            </p>
          </div>
        </div>
        <button type="submit" class="button primary" disabled={busy} data-testid="password-submit">
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
      {message ? (
        <div class="form-message">
          <Notice tone={message.tone} testId="password-message">
            {message.text}
          </Notice>
        </div>
      ) : null}
    </section>
  );
}

function DeleteAccount({ email }: { email: string }) {
  const [password, setPassword] = useState('');
  // A Cloudflare Access account has no password: its recent sign-in
  // confirms instead. The API asks for one if the account has it after all.
  const [askPassword, setAskPassword] = useState(() => !signedInThroughAccess());
  const [error, setError] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [deleting, setDeleting] = useState(false);
  // After a refusal, the field gets focus once the dialog has closed (a
  // modal dialog keeps it inside while open, and gives it back on close).
  const [focusField, setFocusField] = useState(false);

  useEffect(() => {
    if (asking || !focusField) return;
    setFocusField(false);
    document.getElementById('delete-password')?.focus();
  }, [asking, focusField]);

  function ask(e: Event) {
    e.preventDefault();
    const err = askPassword ? checkPresent(password, 'password') : null;
    setError(err ?? undefined);
    setMessage(null);
    if (err) {
      document.getElementById('delete-password')?.focus();
      return;
    }
    setAsking(true);
  }

  async function remove() {
    setDeleting(true);
    try {
      await api.deleteAccount(askPassword ? password : undefined);
      setAsking(false);
      setFlash(ACCOUNT_DELETED);
      setToken(null);
      navigate('login', undefined, true);
    } catch (ex) {
      const f = passwordFormErrors(ex, { password: 'The password' });
      setError(f.fields.password);
      setMessage(f.message);
      setDeleting(false);
      setAsking(false);
      if (f.fields.password !== undefined) setAskPassword(true);
      setFocusField(f.fields.password !== undefined);
    }
  }

  return (
    <section class="panel danger-zone" aria-labelledby="delete-title" data-testid="danger-zone">
      <h2 id="delete-title">Delete your account</h2>
      <p>
        <strong>This cannot be undone.</strong> Deleting the account removes, at once and for good:
      </p>
      <ul class="consequences">
        <li>your account and its email address,</li>
        <li>every OpenRouter key stored here, with its snapshots,</li>
        <li>all the usage history collected for them,</li>
        <li>your API tokens: anything using them gets 401 immediately,</li>
        <li>every session, on every device.</li>
      </ul>
      <p class="hint intro">Your keys at OpenRouter itself keep working: revoke them on openrouter.ai if you no longer need them.</p>
      <form class="settings-form" onSubmit={ask} noValidate data-testid="delete-form">
        <Username email={email} />
        {askPassword ? (
          <TextField
            id="delete-password"
            label="Your password"
            type="password"
            autoComplete="current-password"
            value={password}
            onValue={setPassword}
            error={error}
            hint="Needed to delete the account."
            required
          />
        ) : (
          <AccessConfirms />
        )}
        <button type="submit" class="button danger" disabled={deleting} data-testid="delete-account">
          {deleting ? 'Deleting…' : 'Delete my account…'}
        </button>
      </form>
      {message ? (
        <div class="form-message">
          <Notice tone="error" testId="delete-message">
            {message}
          </Notice>
        </div>
      ) : null}

      <ConfirmDialog
        open={asking}
        title="Delete your account for good?"
        confirmLabel={deleting ? 'Deleting…' : 'Delete account'}
        busy={deleting}
        onConfirm={() => void remove()}
        onCancel={() => {
          if (!deleting) setAsking(false);
        }}
      >
        <p>
          The account <strong class="wrap-anywhere">{email || 'you are signed in with'}</strong> is deleted with its OpenRouter keys, usage history and API tokens. Its API tokens stop working at once. There is
          no undo.
        </p>
      </ConfirmDialog>
    </section>
  );
}
