import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { SeminarView, SeminarWhen } from '../../../server/protocol/seminars';
import { api } from '../kit/api';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import { toast } from '../kit/toast';
import { who } from '../session';
import { SeminarCard } from './seminar-card';
import '../styles/portal.css';

// The seminar catalogue: what is live now, what is coming and what is past, filtered by
// track and by dates (days in the reader's own zone). The filters live in the address
// (/seminars?when=upcoming&track=…&from=2026-12-01&to=…), so back, reload and a shared
// link show the same list; the server filters and pages (GET /seminars).

const PAGE_SIZE = 12;
const PARTS: SeminarWhen[] = ['live', 'upcoming', 'past'];

interface Filters {
  /** One part of the catalogue, or '' for all three. */
  when: SeminarWhen | '';
  track: string;
  /** Days as the date fields give them: 2026-12-01, or ''. */
  from: string;
  to: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A day's first moment in the reader's zone (plus `days`), or null for something that is no day. */
function dayStart(day: string, days = 0): Date | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return Number.isNaN(date.getTime()) ? null : date;
}

function filtersOf(query: Record<string, string | undefined>): Filters {
  const when = PARTS.find((p) => p === query.when) ?? '';
  const day = (v: string | undefined) => (v && dayStart(v) ? v : '');
  return { when, track: (query.track ?? '').trim().slice(0, 80), from: day(query.from), to: day(query.to) };
}

/** The page's own address for a set of filters. */
function pageHref(f: Filters): string {
  const q = new URLSearchParams();
  if (f.when) q.set('when', f.when);
  if (f.track) q.set('track', f.track);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  return q.size > 0 ? `/seminars?${q.toString()}` : '/seminars';
}

/** The API's query for one part of the catalogue. */
function apiPath(f: Filters, when: SeminarWhen, cursor?: string): string {
  const q = new URLSearchParams({ when, limit: String(PAGE_SIZE) });
  if (f.track) q.set('track', f.track);
  const from = dayStart(f.from);
  // "To" is the whole of that day: up to the next one's start.
  const before = dayStart(f.to, 1);
  if (from) q.set('startsFrom', from.toISOString());
  if (before) q.set('startsBefore', before.toISOString());
  if (cursor) q.set('cursor', cursor);
  return `/seminars?${q.toString()}`;
}

interface SeminarPage {
  items: SeminarView[];
  nextCursor: string | null;
}

const TITLES = { live: 'portal:catalogue.live', upcoming: 'portal:catalogue.upcoming', past: 'portal:catalogue.past' } as const;
const EMPTY = {
  live: 'portal:catalogue.emptyLive',
  upcoming: 'portal:catalogue.emptyUpcoming',
  past: 'portal:catalogue.emptyPast',
} as const;

/** One part of the catalogue, a page at a time. */
function Part({ when, filters, onTracks }: { when: SeminarWhen; filters: Filters; onTracks: (tracks: string[]) => void }) {
  const [items, setItems] = useState<SeminarView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const key = pageHref(filters);
  const userId = who.value?.userId ?? null;
  useEffect(() => {
    let current = true;
    setItems(null);
    setNext(null);
    api<SeminarPage>('GET', apiPath(filters, when)).then(
      (page) => {
        if (!current) return;
        setItems(page.items);
        setNext(page.nextCursor);
        onTracks(page.items.map((s) => s.track));
      },
      (err: unknown) => {
        if (!current) return;
        setItems([]);
        toast(errorText(err));
      },
    );
    return () => {
      current = false;
    };
    // filters is rebuilt on every render; its address (key) says when it changed.
  }, [key, when, userId]);

  const more = async () => {
    if (!next) return;
    const page = await api<SeminarPage>('GET', apiPath(filters, when, next));
    setItems((shown) => [...(shown ?? []), ...page.items]);
    setNext(page.nextCursor);
    onTracks(page.items.map((s) => s.track));
  };

  const titleId = `part-${when}`;
  return (
    <section class="catalogue-part" aria-labelledby={titleId} data-testid={`part-${when}`}>
      <h2 id={titleId}>{t(TITLES[when])}</h2>
      {items === null ? (
        <p role="status" class="muted">
          {t('portal:catalogue.loading')}
        </p>
      ) : items.length === 0 ? (
        <p class="empty muted">{t(EMPTY[when])}</p>
      ) : (
        <ul class="seminars">
          {items.map((s) => (
            <SeminarCard key={s.id} s={s} />
          ))}
        </ul>
      )}
      {next && (
        <ActionButton run={more} data-testid={`more-${when}`}>
          {t('portal:catalogue.more')}
        </ActionButton>
      )}
    </section>
  );
}

function FilterForm({ filters, tracks }: { filters: Filters; tracks: string[] }) {
  const { route } = useLocation();
  const onSubmit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const value = (name: string) => {
      const v = data.get(name);
      return typeof v === 'string' ? v : '';
    };
    route(pageHref(filtersOf({ when: value('when'), track: value('track'), from: value('from'), to: value('to') })));
  };
  // Keyed by the address: going back to other filters shows them in the fields.
  return (
    <form key={pageHref(filters)} class="filters" role="search" aria-label={t('portal:catalogue.filters')} onSubmit={onSubmit}>
      <div class="field">
        <label for="filter-when">{t('portal:catalogue.when')}</label>
        <select id="filter-when" name="when" defaultValue={filters.when} data-testid="filter-when">
          <option value="">{t('portal:catalogue.whenAll')}</option>
          <option value="live">{t('portal:catalogue.whenLive')}</option>
          <option value="upcoming">{t('portal:catalogue.whenUpcoming')}</option>
          <option value="past">{t('portal:catalogue.whenPast')}</option>
        </select>
      </div>
      <div class="field">
        <label for="filter-track">{t('portal:catalogue.track')}</label>
        <input
          id="filter-track"
          name="track"
          maxLength={80}
          list="known-tracks"
          defaultValue={filters.track}
          autocomplete="off"
          data-testid="filter-track"
        />
        <datalist id="known-tracks">
          {tracks.map((track) => (
            <option key={track} value={track} />
          ))}
        </datalist>
      </div>
      <div class="field">
        <label for="filter-from">{t('portal:catalogue.from')}</label>
        <input id="filter-from" name="from" type="date" defaultValue={filters.from} data-testid="filter-from" />
      </div>
      <div class="field">
        <label for="filter-to">{t('portal:catalogue.to')}</label>
        <input id="filter-to" name="to" type="date" defaultValue={filters.to} data-testid="filter-to" />
      </div>
      <div class="filter-actions">
        <button type="submit" class="primary" data-testid="filter-apply">
          {t('portal:catalogue.apply')}
        </button>
        <a href="/seminars">{t('portal:catalogue.reset')}</a>
      </div>
    </form>
  );
}

export default function Seminars() {
  const { query } = useLocation();
  const filters = filtersOf(query);
  const [tracks, setTracks] = useState<string[]>([]);
  useTitle(t('portal:catalogue.title'));
  const addTracks = (more: string[]) =>
    setTracks((known) => {
      const all = new Set([...known, ...more]);
      return all.size === known.length ? known : [...all].sort((a, b) => a.localeCompare(b));
    });
  const parts = filters.when ? [filters.when] : PARTS;
  return (
    <div class="page catalogue" data-testid="catalogue">
      <h1>{t('portal:catalogue.title')}</h1>
      <FilterForm filters={filters} tracks={tracks} />
      {parts.map((when) => (
        <Part key={when} when={when} filters={filters} onTracks={addTracks} />
      ))}
    </div>
  );
}
