import { useRef, useState } from 'preact/hooks';
import type { SeminarPageView } from '../../../server/protocol/seminars';
import { t } from '../kit/i18n';
import '../styles/embed.css';

// The seminar page's "Embed on a site" disclosure, for those who run the seminar:
// the <iframe> codes of its embed pages (live broadcast and recording) with a copy
// button each. Which sites may show them is the server's EMBED_ORIGINS.

/** Text made safe for a double-quoted HTML attribute. */
function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The <iframe> a portal page pastes: the full width of its column, autoplay and fullscreen delegated to the player. */
export function iframeCode(src: string, title: string): string {
  return `<iframe src="${attribute(src)}" title="${attribute(title)}" width="100%" height="640" style="border:0" allow="autoplay; fullscreen" loading="lazy"></iframe>`;
}

/** Copies through the Clipboard API where the page may (a secure origin), else through the selected text. */
async function copy(area: HTMLTextAreaElement): Promise<boolean> {
  area.select();
  try {
    await navigator.clipboard.writeText(area.value);
    return true;
  } catch {
    // execCommand is deprecated but the only way left on a plain-HTTP origin.
    return document.execCommand('copy');
  }
}

function Snippet({ kind, s }: { kind: 'watch' | 'replay'; s: SeminarPageView }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [outcome, setOutcome] = useState<'copied' | 'copyFailed' | null>(null);
  const id = `embed-${kind}`;
  const code = iframeCode(`${location.origin}/embed/${kind}/${s.id}`, t('portal:embed.frameTitle', { title: s.title }));
  return (
    <div class="embed-code">
      <label for={id}>{t(`portal:embed.${kind}`)}</label>
      <textarea ref={area} id={id} readOnly rows={4} value={code} spellcheck={false} data-testid={`${id}-code`} />
      <div class="controls">
        <button
          type="button"
          data-testid={`${id}-copy`}
          onClick={() => void copy(area.current!).then((ok) => setOutcome(ok ? 'copied' : 'copyFailed'))}
        >
          {t('portal:embed.copy')}
        </button>
        <span role="status" class="muted" data-testid={`${id}-outcome`}>
          {outcome ? t(`portal:embed.${outcome}`) : ''}
        </span>
      </div>
    </div>
  );
}

export function EmbedSnippet({ s }: { s: SeminarPageView }) {
  if (s.status === 'draft' || s.status === 'cancelled') return null;
  return (
    <details class="seminar-section embed-snippet" data-testid="embed">
      <summary>{t('portal:embed.title')}</summary>
      <p class="muted">{t('portal:embed.intro')}</p>
      <Snippet kind="watch" s={s} />
      <Snippet kind="replay" s={s} />
    </details>
  );
}
