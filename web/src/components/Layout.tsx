import type { ComponentChildren } from 'preact';
import { href, type RouteName } from '../router';
import { useCurrentOrg } from '../role';
import { OrgSwitcher } from './OrgSwitcher';

const NAV: { name: RouteName; label: string }[] = [
  { name: 'overview', label: 'Overview' },
  { name: 'keys', label: 'Keys' },
  { name: 'usage', label: 'Usage' },
  { name: 'hourly', label: 'Hourly' },
  { name: 'alerts', label: 'Alerts' },
  { name: 'tokens', label: 'API tokens' },
  { name: 'audit', label: 'Audit' },
  { name: 'team', label: 'Team' },
];

function skipToMain(e: Event) {
  // The hash holds the route, so the skip link moves focus itself.
  e.preventDefault();
  const main = document.getElementById('main');
  main?.focus();
  main?.scrollIntoView();
}

interface Props {
  route: RouteName;
  signedIn: boolean;
  email: string | null;
  onLogout: () => void;
  loggingOut: boolean;
  children: ComponentChildren;
}

export function Layout({ route, signedIn, email, onLogout, loggingOut, children }: Props) {
  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="site-header">
        <div class="header-inner">
          <a class="brand" href={signedIn ? href('overview') : href('login')}>
            <span class="brand-mark" aria-hidden="true">
              ◔
            </span>{' '}
            OpenRouter Watcher
          </a>
          {signedIn ? (
            <nav aria-label="Main">
              <ul>
                {NAV.map((n) => (
                  <li key={n.name}>
                    <a href={href(n.name)} aria-current={route === n.name ? 'page' : undefined} data-testid={`nav-${n.name}`}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {signedIn ? (
            <div class="account">
              <OrgSwitcher />
              {email ? <span class="email" title={email}>{email}</span> : null}
              <a class="button small" href={href('settings')} aria-current={route === 'settings' ? 'page' : undefined} data-testid="nav-settings">
                Settings
              </a>
              <button type="button" class="button small" onClick={onLogout} disabled={loggingOut} data-testid="logout">
                {loggingOut ? 'Logging out…' : 'Log out'}
              </button>
            </div>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {signedIn ? <ReadOnly /> : null}
        {children}
      </main>
      <footer class="site-footer">
        <p>
          Days are UTC days unless labelled with your time zone (Settings). Amounts are exact USD as reported by OpenRouter.{' '}
          <a href="/openapi.json">API reference (OpenAPI)</a>
        </p>
      </footer>
    </>
  );
}

/** A viewer reads everything and changes nothing: said once, above every
 *  screen, rather than found out form by form. */
function ReadOnly() {
  const { org, mayChange } = useCurrentOrg();
  if (!org || mayChange) return null;
  return (
    <p class="read-only" role="note" data-testid="read-only">
      You are a viewer in <strong>{org.name}</strong>: you see its keys and spend, and change nothing.
    </p>
  );
}
