import { lang, setLang, t } from './i18n';

/** Switches between Russian and English, named in the other language. */
export function LanguageToggle() {
  const other = lang.value === 'ru' ? 'en' : 'ru';
  return (
    <button type="button" class="link lang-toggle" lang={other} data-testid="lang" onClick={() => void setLang(other)}>
      {t('lang.other')}
    </button>
  );
}
