// Hash routes: `#/overview?range=30d&group=model`. The Worker answers every
// non-file path itself, so the view and its state (range, grouping, filters,
// page) live in the hash: bookmarkable, shareable, kept on reload.
import { useEffect, useState } from 'preact/hooks';

export type RouteName = 'overview' | 'keys' | 'usage' | 'hourly' | 'alerts' | 'tokens' | 'audit' | 'team' | 'join' | 'settings' | 'login' | 'register';

export const ROUTES: readonly RouteName[] = ['overview', 'keys', 'usage', 'hourly', 'alerts', 'tokens', 'audit', 'team', 'join', 'settings', 'login', 'register'];
export const PUBLIC_ROUTES: readonly RouteName[] = ['login', 'register'];

export interface Route {
  name: RouteName | null;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const [path = '', qs = ''] = raw.split('?', 2);
  const segment = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const name = (ROUTES as readonly string[]).includes(segment) ? (segment as RouteName) : null;
  return { name, params: new URLSearchParams(qs) };
}

export function href(name: RouteName, params?: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
    }
  }
  const qs = p.toString();
  return `#/${name}${qs ? `?${qs}` : ''}`;
}

export function navigate(name: RouteName, params?: Record<string, string | number | undefined | null>, replace = false): void {
  const target = href(name, params);
  if (location.hash === target) return;
  if (replace) {
    history.replaceState(history.state, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

/** Merges `changes` into the current route's params (undefined/'' removes). */
export function updateParams(changes: Record<string, string | number | undefined | null>, replace = false): void {
  const { name, params } = parseHash(location.hash);
  if (!name) return;
  const next: Record<string, string> = {};
  params.forEach((v, k) => {
    next[k] = v;
  });
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '') delete next[k];
    else next[k] = String(v);
  }
  navigate(name, next, replace);
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parseHash(hash);
}
