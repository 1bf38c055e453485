import DOMPurify from 'dompurify';
import { useEffect, useState } from 'preact/hooks';
import { profileView, type ImageRendition, type ProfileView } from '../../../server/protocol/portfolios';
import { apiParsed } from '../kit/api';
import { dateTime } from '../kit/format';
import { t } from '../kit/i18n';
import { LoadFailed, Loading } from '../kit/load-states';
import { useTitle } from '../kit/shell';
import { who } from '../session';
import '../styles/people.css';

// A lecturer's or designer's public profile (/people/<slug or id>): photo, bio, links,
// portfolio images in their owner's order, and their public seminars, courses and recordings.

/** The srcset of an image's renditions (smallest first), each by its width. */
export const srcSet = (images: ImageRendition[]) => images.map((i) => `${i.url} ${i.width}w`).join(', ');

export default function Person({ id }: { id: string }) {
  const [profile, setProfile] = useState<ProfileView | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Signing in or out changes what the page may show (a hidden profile, the edit link).
  const userId = who.value?.userId;
  useEffect(() => {
    setError(null);
    apiParsed(profileView, 'GET', `/profiles/${encodeURIComponent(id)}`).then(setProfile, setError);
  }, [id, userId]);
  useTitle(profile?.displayName ?? t('people:loading'));

  if (error) return <LoadFailed error={error} back={{ href: '/seminars', label: t('people:back') }} />;
  if (!profile) return <Loading text={t('people:loading')} />;
  const p = profile;
  const roles = [p.lecturer && t('people:lecturer'), p.designer && t('people:designer')].filter(Boolean).join(' · ');
  const small = p.photo?.[0];
  return (
    <article class="page person" data-testid="person-page">
      <header class="person-head">
        {small && (
          <img
            class="person-photo"
            src={small.url}
            srcSet={srcSet(p.photo!)}
            sizes="(min-width: 600px) 200px, 160px"
            width={small.width}
            height={small.height}
            alt={t('people:photoAlt', { name: p.displayName })}
            data-testid="person-photo"
          />
        )}
        <div>
          <h1>{p.displayName}</h1>
          {roles && <p class="muted">{roles}</p>}
          {p.headline && <p class="person-headline">{p.headline}</p>}
          {p.editable && (
            <p>
              <a href={p.userId === userId ? '/workspace/profile' : `/workspace/profile/${p.userId}`} data-testid="edit-profile">
                {t('people:edit')}
              </a>
            </p>
          )}
        </div>
      </header>
      {p.hidden && (
        <p class="warning" data-testid="hidden-note">
          {t('people:hiddenNote')}
        </p>
      )}
      {/* Rendered and sanitized by the server (markdown-it, raw HTML off); DOMPurify again here. */}
      {p.bioHtml && <div class="person-bio" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(p.bioHtml) }} />}
      {p.links.length > 0 && (
        <section aria-labelledby="links-title">
          <h2 id="links-title">{t('people:links')}</h2>
          <ul class="person-links">
            {p.links.map((l) => (
              <li key={l.url}>
                <a href={l.url} rel="noopener noreferrer nofollow" target="_blank">
                  {l.label}
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {p.items.length > 0 && (
        <section aria-labelledby="portfolio-title">
          <h2 id="portfolio-title">{t('people:portfolio')}</h2>
          <ul class="portfolio-grid" data-testid="portfolio">
            {p.items.map((item) => {
              const first = item.images[0]!;
              return (
                <li key={item.id}>
                  <figure>
                    <img
                      src={first.url}
                      srcSet={srcSet(item.images)}
                      sizes="(min-width: 900px) 420px, (min-width: 600px) 45vw, 92vw"
                      width={first.width}
                      height={first.height}
                      loading="lazy"
                      alt={item.caption}
                      data-testid="portfolio-image"
                    />
                    {item.caption && <figcaption>{item.caption}</figcaption>}
                  </figure>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      <section aria-labelledby="seminars-title">
        <h2 id="seminars-title">{t('people:seminars')}</h2>
        {p.seminars.length === 0 ? (
          <p class="muted">{t('people:noSeminars')}</p>
        ) : (
          <ul data-testid="person-seminars">
            {p.seminars.map((s) => (
              <li key={s.id}>
                <a href={`/seminars/${s.id}`}>{s.title}</a> <span class="muted">{dateTime(s.startsAt, s.timeZone)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {p.courses.length > 0 && (
        <section aria-labelledby="courses-title">
          <h2 id="courses-title">{t('people:courses')}</h2>
          <ul data-testid="person-courses">
            {p.courses.map((c) => (
              <li key={c.id}>
                <a href={`/courses/${c.id}`}>{c.title}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {p.recordings.length > 0 && (
        <section aria-labelledby="recordings-title">
          <h2 id="recordings-title">{t('people:recordings')}</h2>
          <ul data-testid="person-recordings">
            {p.recordings.map((r) => (
              <li key={r.seminarId}>
                <a href={`/replay/${r.seminarId}`}>{r.title}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </article>
  );
}
