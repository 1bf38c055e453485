import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './errors';
import { toast } from './toast';

/**
 * Runs an async action once at a time: `busy` while it runs, its error as a toast.
 * For buttons that are not forms (forms use useForm, which shows errors in place).
 */
export function useAction(run: () => Promise<unknown>, after?: () => void): { busy: boolean; start: () => void } {
  const [busy, setBusy] = useState(false);
  const running = useRef(false);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const start = useCallback(() => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    run()
      .catch((err: unknown) => toast(errorText(err)))
      .finally(() => {
        running.current = false;
        if (mounted.current) setBusy(false);
        after?.();
      });
  }, [run, after]);
  return { busy, start };
}

type ButtonProps = Omit<JSX.HTMLAttributes<HTMLButtonElement>, 'onClick' | 'type' | 'disabled'> & {
  disabled?: boolean;
  /** What the button does; the button is disabled until it settles. */
  run: () => Promise<unknown>;
  children?: ComponentChildren;
};

/** A button for an action that talks to the server: disabled while it runs, errors shown as a toast. */
export function ActionButton({ run, disabled, children, ...rest }: ButtonProps) {
  const { busy, start } = useAction(run);
  return (
    <button type="button" {...rest} disabled={busy || disabled === true} aria-busy={busy || undefined} onClick={start}>
      {children}
    </button>
  );
}
