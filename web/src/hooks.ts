import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

// Responses kept in memory while the page is open: going back to a view (or
// a range seen before) shows its numbers at once while they are refreshed.
const cache = new Map<string, unknown>();

export function cached<T>(key: string): T | undefined {
  return cache.get(key) as T | undefined;
}

export function clearCache(): void {
  cache.clear();
}

/** Forget every answer but `keep` (after a write that changes them). */
export function invalidateExcept(...keep: string[]): void {
  for (const k of [...cache.keys()]) if (!keep.includes(k)) cache.delete(k);
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Replace the data locally (after a write whose answer we already have). */
  mutate: (f: (old: T | undefined) => T | undefined) => void;
}

/** Fetches `load` whenever `key` changes; keeps the previous data while the
 *  next one loads (no blank screen), aborts answers that came too late.
 *  A null key fetches nothing. */
export function useResource<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Resource<T> {
  const [data, setData] = useState<T | undefined>(() => (key ? cached<T>(key) : undefined));
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(key !== null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) {
      setLoading(false);
      return;
    }
    const hit = cached<T>(key);
    if (hit !== undefined) setData(hit);
    const ctl = new AbortController();
    setLoading(true);
    loadRef
      .current(ctl.signal)
      .then((d) => {
        if (ctl.signal.aborted) return;
        cache.set(key, d);
        setData(d);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e);
        setLoading(false);
      });
    return () => ctl.abort();
  }, [key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const mutate = useCallback(
    (f: (old: T | undefined) => T | undefined) => {
      setData((old) => {
        const next = f(old);
        if (key && next !== undefined) cache.set(key, next);
        return next;
      });
    },
    [key],
  );
  return { data, error, loading, reload, mutate };
}

/** Sets document.title for a view. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · OpenRouter Watcher`;
  }, [title]);
}
