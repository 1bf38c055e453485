import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { transcriptCues, type PlaybackSubtitle, type TranscriptCues } from '../../../server/protocol/subtitles';
import { errorText } from '../kit/errors';
import { mediaTime } from '../kit/format';
import { lang, t } from '../kit/i18n';
import '../styles/transcript.css';

// A recording's subtitles on the pages that play it (the replay, an upload lesson): the choice
// of track beside the player, and the transcript: every cue with its time, searchable, the one
// playing marked, and a cue chosen (click, Enter) seeks the video there.

/** Off, or one of the recording's languages. */
export function SubtitlePicker({
  tracks,
  value,
  onChange,
}: {
  tracks: readonly PlaybackSubtitle[];
  value: string | null;
  onChange: (language: string | null) => void;
}) {
  if (tracks.length === 0) return null;
  return (
    <label class="speed subtitle-picker">
      <span>{t('subtitles.label')}</span>
      <select id="subtitles" data-testid="subtitles" value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value || null)}>
        <option value="">{t('subtitles.off')}</option>
        {tracks.map((track) => (
          <option key={track.language} value={track.language}>
            {t(`subtitles.language.${track.language}`)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The track the transcript shows: the one chosen, else the reader's language, else the first. */
export function transcriptTrack(tracks: readonly PlaybackSubtitle[], chosen: string | null): PlaybackSubtitle | undefined {
  return tracks.find((x) => x.language === chosen) ?? tracks.find((x) => x.language === lang.value) ?? tracks[0];
}

/** Lower case, ё as е: what a search matches on (the same length as the text, so positions carry over). */
const fold = (s: string) => s.toLowerCase().replace(/ё/g, 'е');

function Highlighted({ text, query }: { text: string; query: string }) {
  if (!query) return <>{text}</>;
  const parts: preact.ComponentChildren[] = [];
  const folded = fold(text);
  let at = 0;
  for (let i = folded.indexOf(query); i >= 0; i = folded.indexOf(query, i + query.length)) {
    parts.push(text.slice(at, i), <mark key={i}>{text.slice(i, i + query.length)}</mark>);
    at = i + query.length;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

function useTranscript(url: string | undefined): { cues: TranscriptCues | null; error: unknown } {
  const [state, setState] = useState<{ url?: string; cues: TranscriptCues | null; error: unknown }>({ cues: null, error: null });
  useEffect(() => {
    if (!url) return;
    let stopped = false;
    setState({ url, cues: null, error: null });
    fetch(url)
      .then(async (res) => {
        if (!res.ok) throw Object.assign(new Error(res.statusText), { code: `http_${res.status}` });
        return transcriptCues.parse(await res.json());
      })
      .then(
        (cues) => !stopped && setState({ url, cues, error: null }),
        (error: unknown) => !stopped && setState({ url, cues: null, error }),
      );
    return () => {
      stopped = true;
    };
  }, [url]);
  return state.url === url ? state : { cues: null, error: null };
}

export function TranscriptPanel({
  track,
  now,
  onSeek,
}: {
  track: PlaybackSubtitle | undefined;
  /** The video's current time, in seconds. */
  now: number;
  onSeek: (seconds: number) => void;
}) {
  const { cues, error } = useTranscript(track?.transcriptUrl);
  const [query, setQuery] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const q = fold(query.trim());
  let current = -1;
  cues?.forEach((c, i) => {
    if (c.start <= now && now < c.end) current = i;
  });
  const shown = (cues ?? []).map((c, i) => ({ c, i })).filter(({ c }) => !q || fold(c.text).includes(q));
  // The cue playing stays in view within the list (not the page: the video must not move away).
  useLayoutEffect(() => {
    const box = list.current;
    const item = box?.querySelector<HTMLElement>('[aria-current="true"]');
    if (!box || !item) return;
    const top = item.offsetTop - box.offsetTop;
    if (top < box.scrollTop || top + item.offsetHeight > box.scrollTop + box.clientHeight)
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
  }, [current, q]);
  if (!track) return null;
  return (
    <section class="panel transcript" aria-labelledby="transcript-title" data-testid="transcript" lang={track.language}>
      <h2 id="transcript-title">{t('subtitles.transcript', { language: t(`subtitles.language.${track.language}`) })}</h2>
      <label class="transcript-search">
        <span class="visually-hidden">{t('subtitles.search')}</span>
        <input
          type="search"
          value={query}
          placeholder={t('subtitles.search')}
          data-testid="transcript-search"
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </label>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {cues === null && error === null && <p role="status">{t('subtitles.loading')}</p>}
      {cues !== null && (
        <p class="visually-hidden" role="status">
          {q ? t('subtitles.found', { count: shown.length }) : ''}
        </p>
      )}
      <ol ref={list} data-testid="transcript-cues">
        {cues !== null && shown.length === 0 && <li class="empty">{t('subtitles.nothingFound')}</li>}
        {shown.map(({ c, i }) => (
          <li key={i} class={i === current ? 'current' : undefined} data-start={c.start}>
            <button type="button" class="link cue" aria-current={i === current ? 'true' : undefined} onClick={() => onSeek(c.start)}>
              <time>{mediaTime(c.start)}</time> <Highlighted text={c.text} query={q} />
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
