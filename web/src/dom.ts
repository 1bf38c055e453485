// Small DOM helpers: elements are built with text nodes, never from HTML strings.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

export function param(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** A short message at the bottom of the page. */
export function toast(text: string): void {
  console.warn(`[toast] ${text}`);
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 6000);
}

/** Runs an action from a button: disabled while it runs, errors shown as a toast. */
export function action(button: HTMLButtonElement, run: () => Promise<void>, describe: (err: unknown) => string, after?: () => void): void {
  button.addEventListener('click', () => {
    if (button.disabled) return;
    button.disabled = true;
    run()
      .catch((err: unknown) => toast(describe(err)))
      .finally(() => {
        button.disabled = false;
        after?.();
      });
  });
}

/** "18:42" in the reader's zone and language. */
export function clock(iso: string, lang: string): string {
  return new Date(iso).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'ru-RU', { hour: '2-digit', minute: '2-digit' });
}
