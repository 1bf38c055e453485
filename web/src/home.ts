import type { z } from 'zod';
import type { myCourseView } from '../../server/protocol/courses';
import type { SeminarView } from '../../server/protocol/seminars';
import { byId, h, param, toast } from './dom';
import { applyI18n, currentLang, errorText, langToggle, onLangChange, t, type Key } from './i18n';
import { api, ApiError, adoptTokenFromHash, displayName, hasSession, isAdmin, signIn, signOut, userId } from './session';

// Sign in, then the list of seminars with links to watch them, and to the
// studio for the ones the signed-in lecturer runs; for a signed-in learner,
// "My learning": enrolled courses with per-lesson progress, recordings linked
// to the replay page.

adoptTokenFromHash();
applyI18n();
langToggle(byId<HTMLButtonElement>('lang'));

const form = byId<HTMLFormElement>('sign-in');
const who = byId('who');
const list = byId('seminars');
let seminars: SeminarView[] = [];
type MyCourse = z.infer<typeof myCourseView>;
let learning: MyCourse[] = [];
const courses = byId('courses');

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const data = new FormData(form);
  signIn((data.get('email') as string | null) ?? '', (data.get('password') as string | null) ?? '')
    .then(() => {
      const next = param('next');
      if (next?.startsWith('/') && !next.startsWith('//')) location.assign(next);
      else void load();
    })
    .catch((err: unknown) => toast(errorText(err)));
});

byId('sign-out').addEventListener('click', () => void signOut().then(load));
onLangChange(render);

async function load(): Promise<void> {
  try {
    seminars = (await api<{ items: SeminarView[] }>('GET', '/seminars?limit=50')).items;
  } catch (err) {
    seminars = [];
    if (!(err instanceof ApiError && err.status === 401)) toast(errorText(err));
  }
  learning = [];
  if (hasSession()) {
    try {
      learning = await api<MyCourse[]>('GET', '/me/learning');
    } catch (err) {
      // Staff without the learner's grant have no "My learning".
      if (!(err instanceof ApiError && (err.status === 401 || err.status === 403))) toast(errorText(err));
    }
  }
  render();
}

function clockOf(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** My courses: each lesson with a progress bar, a completion mark and, for recordings, a link to the replay. */
function renderLearning(): void {
  byId('learning').hidden = !hasSession();
  const lang = currentLang();
  courses.replaceChildren(
    ...(learning.length === 0 ? [h('li', { class: 'empty' }, t('learning.empty'))] : []),
    ...learning.map((c) => {
      const progress = new Map(c.lessons.map((l) => [l.lessonId, l]));
      return h(
        'li',
        { class: 'course', 'data-testid': 'course' },
        h('div', {}, h('strong', {}, c.course.title)),
        h(
          'div',
          { class: 'muted' },
          t('learning.summary', { done: c.completedLessons, total: c.totalLessons, percent: Math.round(c.percent) }),
        ),
        h('progress', { max: 100, value: Math.round(c.percent), class: 'course-bar' }),
        ...c.course.modules.map((m) =>
          h(
            'div',
            { class: 'module' },
            h('div', { class: 'module-title' }, m.title),
            h(
              'ul',
              { class: 'lessons' },
              ...m.lessons.map((lesson) => {
                const p = progress.get(lesson.id);
                const pct = Math.round((p?.fraction ?? 0) * 100);
                const href =
                  lesson.kind === 'recording' && lesson.seminarId
                    ? `/replay.html?seminar=${lesson.seminarId}${lang === 'en' ? '&lang=en' : ''}`
                    : null;
                const resume =
                  p && p.resumePosition > 1 && !p.complete
                    ? t('learning.continue', { time: clockOf(p.resumePosition) })
                    : t('learning.open');
                return h(
                  'li',
                  {
                    class: `lesson${p?.complete ? ' complete' : ''}`,
                    'data-testid': 'lesson',
                    'data-lesson': lesson.id,
                    'data-fraction': p?.fraction ?? 0,
                  },
                  h('span', { class: 'lesson-title' }, p?.complete ? '✓ ' : '', lesson.title),
                  h('span', { class: 'bar', title: `${pct}%` }, h('span', { style: `width:${pct}%` })),
                  h('span', { class: 'muted pct' }, p?.complete ? t('learning.complete') : `${pct}%`),
                  href ? h('a', { href }, resume) : null,
                );
              }),
            ),
          ),
        ),
      );
    }),
  );
}

function when(s: SeminarView): string {
  return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'medium', timeStyle: 'short', timeZone: s.timeZone }).format(
    new Date(s.startsAt),
  );
}

function render(): void {
  renderLearning();
  const signedIn = hasSession();
  form.hidden = signedIn;
  byId('signed-in').hidden = !signedIn;
  who.textContent = t('auth.signedInAs', { name: displayName() ?? '' });
  const me = userId();
  const lang = currentLang();
  list.replaceChildren(
    ...(seminars.length === 0 ? [h('li', { class: 'empty' }, t('seminars.empty'))] : []),
    ...seminars.map((s) => {
      const q = `?seminar=${s.id}${lang === 'en' ? '&lang=en' : ''}`;
      const open = s.status === 'scheduled' || s.status === 'live';
      return h(
        'li',
        { class: 'seminar', 'data-testid': 'seminar' },
        h('div', {}, h('strong', {}, s.title), ' ', h('span', { class: `badge ${s.status}` }, t(`status.${s.status}` as Key))),
        h('div', { class: 'muted' }, `${when(s)} · ${s.track}`),
        h(
          'div',
          { class: 'links' },
          open ? h('a', { href: `/watch.html${q}` }, t('seminars.watch')) : null,
          s.status === 'ended' && signedIn ? h('a', { href: `/replay.html${q}` }, t('seminars.replay')) : null,
          ((me && s.lecturerIds.includes(me)) || isAdmin()) && s.status !== 'ended' && s.status !== 'cancelled'
            ? h('a', { href: `/studio.html${q}` }, t('seminars.studio'))
            : null,
        ),
      );
    }),
  );
}

void load();
