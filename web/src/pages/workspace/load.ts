import { useCallback, useEffect, useState } from 'preact/hooks';
import { who } from '../../session';

/**
 * Loads something for a page, again when `deps` or the signed-in user change; `reload`
 * repeats it (after an action). The error is kept for the page to show in place.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const userId = who.value?.userId;
  useEffect(() => {
    let current = true;
    setError(null);
    load().then(
      (d) => current && setData(d),
      (err: unknown) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [...deps, userId, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, reload };
}
