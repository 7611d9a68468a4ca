import { useState } from 'preact/hooks';
import { api, errorMessage, type JoinedOrganisation } from '../api';
import { Notice } from '../components/Notice';
import { useTitle } from '../hooks';
import { invitationToken, searchWithOrg } from '../org';

/** `#/join?token=…`: an invitation's link, opened signed in (a visitor
 *  signs in first and comes back here). Joining is a click, never a page
 *  load: a link previewed by a mail client must not accept anything. */
export function Join({ params }: { params: URLSearchParams }) {
  useTitle('Join an organisation');
  const token = invitationToken(params);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [joined, setJoined] = useState<JoinedOrganisation | null>(null);

  async function accept() {
    if (!token) return;
    setBusy(true);
    setError(null);
    try {
      setJoined(await api.acceptInvitation(token));
    } catch (ex) {
      setError(errorMessage(ex));
    } finally {
      setBusy(false);
    }
  }

  const open = joined ? `${location.pathname}${searchWithOrg(location.search, joined.id)}#/overview` : '';
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Join an organisation
      </h1>
      {!token ? (
        <Notice tone="error" testId="join-message">
          This link holds no invitation. Ask whoever invited you for a new one.
        </Notice>
      ) : joined ? (
        <Notice tone="success" testId="join-message">
          You joined <strong>{joined.name}</strong> as {joined.role}.{' '}
          <a href={open} data-testid="open-joined">
            Open it
          </a>
        </Notice>
      ) : (
        <>
          <p class="lede">You were invited to an organisation. Accepting joins it with the role the invitation gives, as the person you are signed in as; it must be the address the invitation was sent to.</p>
          {error ? (
            <Notice tone="error" testId="join-message">
              {error}
            </Notice>
          ) : null}
          <button type="button" class="button primary" onClick={() => void accept()} disabled={busy} data-testid="accept-invitation">
            {busy ? 'Joining…' : 'Accept the invitation'}
          </button>
          <p class="hint">No account yet? Register with the invited address, then open the link again.</p>
        </>
      )}
    </section>
  );
}
