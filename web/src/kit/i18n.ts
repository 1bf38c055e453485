import { signal } from '@preact/signals';
import i18next, { type TFunction } from 'i18next';
import resourcesToBackend from 'i18next-resources-to-backend';
import { languages, type Lang, type Namespace } from '../locales/resources';

// The one i18n layer: i18next, Russian by default. The language comes from ?lang=
// (for this visit), then the header toggle's saved choice, then Russian. Each
// language's namespaces are chunks of their own, loaded when first needed.

export type { Lang };

const STORAGE_KEY = 'lectern.lang';

function isLang(v: unknown): v is Lang {
  return (languages as readonly unknown[]).includes(v);
}

function initialLang(): Lang {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (isLang(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // Storage blocked (private mode, sandboxed frame): Russian.
  }
  return 'ru';
}

/** The current language; components that read it (through t) re-render when it changes. */
export const lang = signal<Lang>(initialLang());

// Each file is a chunk of its own (Vite splits the glob's dynamic imports).
const loaders = import.meta.glob<{ default: Record<string, unknown> }>('../locales/*/*.ts');

const ready = i18next
  .use(
    resourcesToBackend(async (language: string, namespace: string) => {
      const load = loaders[`../locales/${language}/${namespace}.ts`];
      if (!load) throw new Error(`no ${language}/${namespace} texts`);
      return (await load()).default;
    }),
  )
  .init({
    lng: lang.value,
    supportedLngs: [...languages],
    // The English files carry every key (their types say so): nothing to fall back to.
    fallbackLng: false,
    ns: ['common'],
    defaultNS: 'common',
    // Preact escapes text; i18next must not escape it a second time.
    interpolation: { escapeValue: false },
    returnNull: false,
  })
  .then(() => {
    document.documentElement.lang = lang.value;
  });

i18next.on('languageChanged', (next) => {
  if (!isLang(next)) return;
  document.documentElement.lang = next;
  lang.value = next;
});

/** Resolves when the common texts are in; the app renders after that. */
export function i18nReady(): Promise<void> {
  return ready;
}

/** Loads an area's texts (a route's namespace) in the current language. */
export async function loadNamespace(ns: Namespace): Promise<void> {
  await ready;
  await i18next.loadNamespaces(ns);
}

/** Switches the language (loading its texts first) and remembers the choice. */
export async function setLang(next: Lang): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembered, still switched.
  }
  // An explicit choice replaces a ?lang= in the address, so that a reload keeps it.
  const url = new URL(location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.delete('lang');
    history.replaceState(history.state, '', url);
  }
  await i18next.changeLanguage(next);
}

/**
 * i18next's t, typed by the Russian resources. Reading `lang` subscribes the calling
 * component to language changes, so nothing has to re-render by hand.
 */
export const t = ((...args: unknown[]) => {
  void lang.value;
  return (i18next.t as unknown as (...a: unknown[]) => string)(...args);
}) as unknown as TFunction<
  ['common', 'portal', 'room', 'learning', 'workspace', 'account', 'recordings', 'analytics', 'webhooks', 'people', 'knowledge']
>;

/** Whether a key exists in the current language (error codes without a text of their own). */
export function hasText(key: string): boolean {
  return i18next.exists(key);
}

/**
 * The locale for Intl: the reader's own regional variant of the page language when the
 * browser names one (en-GB, ru-RU), else the bare language.
 */
export function locale(): string {
  const current = lang.value;
  return navigator.languages.find((l) => l.split('-')[0] === current) ?? current;
}

/** t for a key computed at run time (an error code's text); check it with hasText first. */
export function tKey(key: string, options?: Record<string, unknown>): string {
  void lang.value;
  return (i18next.t as (k: string, o?: Record<string, unknown>) => string)(key, options);
}
