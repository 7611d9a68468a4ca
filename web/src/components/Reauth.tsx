import { useState } from 'preact/hooks';
import { needsPassword, signedInThroughAccess } from '../api';
import { TextField } from './Field';

/** The password a create form asks for once the server says the session is
 *  too old (a session older than 10 minutes may not create lasting access
 *  without it). `password` is what to send: undefined until asked. */
export function useReauth(id: string) {
  const [asked, setAsked] = useState(false);
  // A Cloudflare Access session: its account may have no password, and a
  // fresh sign-in through Access is what confirms it.
  const [signInAgain, setSignInAgain] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  return {
    password: asked ? password : undefined,
    /** True when `e` was about the password: the field shows (and says why). */
    handle(e: unknown): boolean {
      const need = needsPassword(e);
      if (!need) return false;
      if (need.kind === 'ask' && signedInThroughAccess()) {
        setSignInAgain(true);
        return true;
      }
      setAsked(true);
      setError(need.message);
      setTimeout(() => document.getElementById(id)?.focus(), 0);
      return true;
    },
    /** After a successful create. */
    reset() {
      setAsked(false);
      setSignInAgain(false);
      setPassword('');
      setError(undefined);
    },
    field: signInAgain ? (
      <p class="field-error" role="alert" data-testid="access-sign-in-again">
        You signed in through Cloudflare Access more than 10 minutes ago: log out and open the dashboard again to confirm it is you, then create it.
      </p>
    ) : asked ? (
      <TextField
        id={id}
        label="Your password"
        type="password"
        autoComplete="current-password"
        value={password}
        onValue={setPassword}
        error={error}
        hint="You signed in a while ago: confirm it is you to create lasting access."
        required
      />
    ) : null,
  };
}

/** In place of the password field for a session made by Cloudflare Access
 *  (its account may have none): what confirms the step instead. */
export function AccessConfirms() {
  return (
    <p class="hint" data-testid="access-confirms">
      You signed in through Cloudflare Access, so no password is asked: a sign-in within the last 10 minutes confirms it is you. After that, log out and open the dashboard again.
    </p>
  );
}
