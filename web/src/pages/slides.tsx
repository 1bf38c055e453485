import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeckView, SlideChange } from '../../../server/protocol/slides';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import { slideAt } from './slide-at';
import type { SlidesStore } from './slides-store';
import '../styles/slides.css';

// Slides in the room: the lecturer uploads a deck and flips it in the studio (buttons, the arrow
// keys, a strip of thumbnails); viewers see the current slide as an image, and the replay shows
// the one that was up at the current moment of the recording.

const altOf = (page: number, title: string) => (title ? t('room:slides.alt', { page, title }) : t('room:slides.altUntitled', { page }));

/** A slide as an image: crisp at any width, no video involved. */
export function SlideImage({ url, page, title, testId }: { url: string; page: number; title: string; testId: string }) {
  return (
    <figure class="slide-view" data-testid={testId} data-page={page}>
      <img src={url} alt={altOf(page, title)} data-testid={`${testId}-image`} decoding="async" />
      <figcaption>{altOf(page, title)}</figcaption>
    </figure>
  );
}

/** The watch page's slide: whatever the lecturer shows now (an encore: the original's); nothing before the first. */
export function SlideView({ store }: { store: SlidesStore | null }) {
  void store?.version.value;
  const slide = store?.current ?? store?.replayed;
  if (!slide) return null;
  return <SlideImage url={slide.imageUrl} page={slide.page} title={slide.title} testId="slide" />;
}

/** The studio's deck controls: upload, choose the deck, previous/next (and ←/→), the thumbnail strip. */
export function SlidePanel({ store, live }: { store: SlidesStore | null; live: boolean }) {
  void store?.version.value;
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const file = useRef<HTMLInputElement>(null);
  const deck = store?.deck;
  const page = store?.page ?? 0;
  const flip = (to: number) => {
    if (!store || !live) return;
    void store.show(to).catch((err: unknown) => toast(errorText(err)));
  };
  // The arrow keys flip while the focus is not in a field (chat, a poll's form).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, [contenteditable="true"], [role="slider"]')) return;
      if (!store?.deck || !live) return;
      e.preventDefault();
      flip(e.key === 'ArrowRight' ? page + 1 : page - 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  if (!store) return null;
  const onFile = () => {
    const f = file.current?.files?.[0];
    if (!f || busy) return;
    setBusy(true);
    store
      .upload(f)
      .then((d) => toast(t('room:slides.uploaded', { count: d.pageCount })))
      .catch((err: unknown) => toast(errorText(err)))
      .finally(() => {
        setBusy(false);
        if (file.current) file.current.value = '';
      });
  };
  const onDelete = (d: DeckView) => {
    if (deleting || !window.confirm(t('room:slides.deleteConfirm', { name: d.name }))) return;
    setDeleting(true);
    store
      .remove(d.id)
      .then(() => toast(t('room:slides.deleted')))
      .catch((err: unknown) => toast(errorText(err)))
      .finally(() => setDeleting(false));
  };
  return (
    <section class="panel slide-panel" aria-labelledby="slides-title" data-testid="slide-panel">
      <h2 id="slides-title">{t('room:slides.title')}</h2>
      <label class="upload">
        {t('room:slides.upload')}{' '}
        <input
          ref={file}
          type="file"
          accept="application/pdf,.pdf,application/vnd.openxmlformats-officedocument.presentationml.presentation,.pptx"
          data-testid="slide-upload"
          disabled={busy}
          onChange={onFile}
        />
      </label>
      {busy && (
        <p class="muted" role="status">
          {t('room:slides.uploading')}
        </p>
      )}
      {store.decks.length > 1 && (
        <label>
          {t('room:slides.deck')}{' '}
          <select value={store.deckId ?? ''} data-testid="slide-deck" onChange={(e) => store.choose(e.currentTarget.value)}>
            {store.decks.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {!deck && <p class="muted">{t('room:slides.empty')}</p>}
      {deck && (
        <>
          {!live && <p class="muted">{t('room:slides.showWhenLive')}</p>}
          <div class="controls">
            <button type="button" data-testid="slide-prev" disabled={!live || page <= 1} onClick={() => flip(page - 1)}>
              <span aria-hidden="true">← </span>
              {t('room:slides.previous')}
            </button>
            <button type="button" data-testid="slide-next" disabled={!live || page >= deck.pageCount} onClick={() => flip(page + 1)}>
              {t('room:slides.next')}
              <span aria-hidden="true"> →</span>
            </button>
            <span data-testid="slide-position" role="status">
              {page > 0 ? t('room:slides.position', { page, count: deck.pageCount }) : ''}
            </span>
          </div>
          <p class="muted">{t('room:slides.keys')}</p>
          <p>
            <button type="button" class="danger" data-testid="slide-delete" disabled={deleting} onClick={() => onDelete(deck)}>
              {t('room:slides.delete', { name: deck.name })}
            </button>
          </p>
          <ol class="slide-strip" aria-label={t('room:slides.strip')} data-testid="slide-strip">
            {deck.pages.map((p) => (
              <li key={p.page}>
                <button
                  type="button"
                  aria-current={p.page === page ? 'true' : undefined}
                  aria-label={t('room:slides.show', { page: p.page }) + (p.title ? `: ${p.title}` : '')}
                  disabled={!live}
                  data-testid="slide-thumb"
                  onClick={() => flip(p.page)}
                >
                  <img src={p.thumbUrl} alt="" loading="lazy" />
                </button>
              </li>
            ))}
          </ol>
        </>
      )}
      {store.current && (
        <SlideImage url={store.current.imageUrl} page={store.current.page} title={store.current.title} testId="studio-slide" />
      )}
    </section>
  );
}

/** The replay's slide, in step with the video (seeking included: it follows the current time). */
export function ReplaySlide({ slides, nowMs }: { slides: SlideChange[]; nowMs: number }) {
  const slide = slideAt(slides, nowMs);
  if (!slide) return null;
  return <SlideImage url={slide.imageUrl} page={slide.page} title={slide.title} testId="replay-slide" />;
}
