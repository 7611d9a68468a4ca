import './styles.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, getToken, LOGGED_OUT, onSessionChange, setFlash, setToken } from './api';
import { Layout } from './components/Layout';
import { clearCache } from './hooks';
import { navigate, PUBLIC_ROUTES, useRoute, type RouteName } from './router';
import { Alerts } from './views/Alerts';
import { Audit } from './views/Audit';
import { Login, Register } from './views/Auth';
import { Hourly } from './views/Hourly';
import { Keys } from './views/Keys';
import { Overview } from './views/Overview';
import { Join } from './views/Join';
import { Settings } from './views/Settings';
import { Team } from './views/Team';
import { Tokens } from './views/Tokens';
import { Usage } from './views/Usage';

function useSignedIn(): boolean {
  const [token, setTok] = useState(getToken());
  useEffect(() => onSessionChange(() => setTok(getToken())), []);
  return token !== null;
}

/** Where a visitor without a session lands: login, remembering the target. */
function loginTarget(): Record<string, string> | undefined {
  const raw = location.hash.slice(1);
  return raw && raw !== '/' && !raw.startsWith('/login') && !raw.startsWith('/register') ? { next: raw } : undefined;
}

function App() {
  const route = useRoute();
  const signedIn = useSignedIn();
  const [email, setEmail] = useState<string | null>(null);
  const [loggingOut, setLoggingOut] = useState(false);
  const first = useRef(true);

  const name = route.name;
  const isPublic = name !== null && PUBLIC_ROUTES.includes(name);
  const target: RouteName | null = name === null ? (signedIn ? 'overview' : 'login') : !signedIn && !isPublic ? 'login' : signedIn && isPublic ? 'overview' : null;

  useEffect(() => {
    if (target === 'login') navigate('login', loginTarget(), true);
    else if (target) navigate(target, undefined, true);
  }, [target]);

  useEffect(() => {
    if (!signedIn) {
      setEmail(null);
      clearCache();
      return;
    }
    let live = true;
    api
      .me()
      .then((u) => live && setEmail(u.email))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [signedIn]);

  // Moving to another view moves focus to its heading (screen readers hear it).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h = document.querySelector<HTMLElement>('main h1');
    h?.focus();
  }, [name]);

  async function logout() {
    setLoggingOut(true);
    try {
      await api.logout();
    } catch {
      // The session is dropped locally whatever the server said.
    }
    setLoggingOut(false);
    setFlash(LOGGED_OUT);
    setToken(null);
    navigate('login', undefined, true);
  }

  if (target !== null || name === null) return null;

  let view;
  switch (name) {
    case 'login':
      view = <Login next={route.params.get('next')} />;
      break;
    case 'register':
      view = <Register />;
      break;
    case 'overview':
      view = <Overview params={route.params} />;
      break;
    case 'keys':
      view = <Keys params={route.params} />;
      break;
    case 'usage':
      view = <Usage params={route.params} />;
      break;
    case 'hourly':
      view = <Hourly params={route.params} />;
      break;
    case 'alerts':
      view = <Alerts params={route.params} />;
      break;
    case 'tokens':
      view = <Tokens />;
      break;
    case 'audit':
      view = <Audit params={route.params} />;
      break;
    case 'team':
      view = <Team />;
      break;
    case 'join':
      view = <Join params={route.params} />;
      break;
    case 'settings':
      view = <Settings />;
      break;
  }

  return (
    <Layout route={name} signedIn={signedIn} email={email} onLogout={() => void logout()} loggingOut={loggingOut}>
      {view}
    </Layout>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
