import { useEffect, useState } from 'preact/hooks';
import { ApiError, type SignIn, api, fieldErrors, setToken, staysSignedOut, takeFlash } from '../api';
import { TextField } from '../components/Field';
import { Notice } from '../components/Notice';
import { useTitle } from '../hooks';
import { href } from '../router';
import { checkEmail, checkPassword, checkPresent, PASSWORD_MAX, PASSWORD_MIN } from '../validate';

type Errors = Partial<Record<'email' | 'password', string>>;

function serverErrors(e: unknown): { errors: Errors; message: string } {
  const { fields, message } = fieldErrors(e, { email: 'The email', password: 'The password' });
  return { errors: fields, message };
}

/** Where to go after signing in: the page the user asked for, if any. */
function nextHash(next: string | null): string {
  if (next && /^\/(overview|keys|usage|tokens|settings)(\?|$)/.test(next)) return `#${next}`;
  return href('overview');
}

/** Stores the session and moves to `target` in one render (no detour
 *  through the signed-in redirect of the public routes). */
function enter(token: string, target: string, via: SignIn): void {
  history.replaceState(history.state, '', target);
  setToken(token, via);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function Login({ next }: { next: string | null }) {
  useTitle('Log in');
  const [flash] = useState(() => takeFlash());
  // Behind Cloudflare Access every request carries its assertion: one call
  // turns it into a session. Where Access is off, or this request had no
  // assertion (401), the password form below is the way in.
  useEffect(() => {
    if (staysSignedOut(flash)) return;
    let live = true;
    api
      .accessStatus()
      .then((status) => (status.enabled && live ? api.accessSignIn() : null))
      .then(
        (res) => {
          if (res && live) enter(res.access_token, nextHash(next), 'access');
        },
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, []);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Errors = {};
    const em = checkPresent(email.trim(), 'email address') ?? checkEmail(email);
    const pw = checkPresent(password, 'password');
    if (em) errs.email = em;
    if (pw) errs.password = pw;
    setErrors(errs);
    setMessage(null);
    if (em || pw) return;
    setBusy(true);
    try {
      const res = await api.login(email.trim(), password);
      setPassword('');
      enter(res.access_token, nextHash(next), 'password');
    } catch (err) {
      const s = serverErrors(err);
      setErrors(s.errors);
      setMessage(s.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="auth-card" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Log in
      </h1>
      {flash ? (
        <Notice tone="info" testId="flash">
          {flash}
        </Notice>
      ) : null}
      {message ? (
        <Notice tone="error" testId="form-error">
          {message}
        </Notice>
      ) : null}
      <form onSubmit={submit} noValidate data-testid="login-form">
        <TextField id="login-email" label="Email" type="email" autoComplete="email" value={email} onValue={setEmail} error={errors.email} required spellcheck={false} />
        <TextField id="login-password" label="Password" type="password" autoComplete="current-password" value={password} onValue={setPassword} error={errors.password} required />
        <button class="button primary wide" type="submit" disabled={busy} data-testid="login-submit">
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p class="switch">
        No account yet? <a href={href('register')}>Create one</a>
      </p>
    </section>
  );
}

export function Register() {
  useTitle('Create an account');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Errors = {};
    const em = checkEmail(email);
    const pw = checkPassword(password);
    if (em) errs.email = em;
    if (pw) errs.password = pw;
    setErrors(errs);
    setMessage(null);
    if (em || pw) return;
    setBusy(true);
    try {
      await api.register(email.trim(), password);
      const res = await api.login(email.trim(), password);
      setPassword('');
      enter(res.access_token, href('keys', { welcome: 1 }), 'password');
    } catch (err) {
      const s = serverErrors(err);
      setErrors(s.errors);
      setMessage(err instanceof ApiError && err.code === 'conflict' ? 'An account with this email already exists. Log in instead.' : s.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="auth-card" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Create an account
      </h1>
      {message ? (
        <Notice tone="error" testId="form-error">
          {message}
        </Notice>
      ) : null}
      <form onSubmit={submit} noValidate data-testid="register-form">
        <TextField id="register-email" label="Email" type="email" autoComplete="email" value={email} onValue={setEmail} error={errors.email} required spellcheck={false} />
        <TextField
          id="register-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onValue={setPassword}
          error={errors.password}
          hint={`${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A passphrase of a few words works well.`}
          required
        />
        <button class="button primary wide" type="submit" disabled={busy} data-testid="register-submit">
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p class="switch">
        Already registered? <a href={href('login')}>Log in</a>
      </p>
    </section>
  );
}
