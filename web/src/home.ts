import type { SeminarView } from '../../server/protocol/seminars';
import { byId, h, param, toast } from './dom';
import { applyI18n, currentLang, errorText, langToggle, onLangChange, t, type Key } from './i18n';
import { api, ApiError, adoptTokenFromHash, displayName, hasSession, isAdmin, signIn, signOut, userId } from './session';

// Sign in, then the list of seminars with links to watch them, and to the
// studio for the ones the signed-in lecturer runs.

adoptTokenFromHash();
applyI18n();
langToggle(byId<HTMLButtonElement>('lang'));

const form = byId<HTMLFormElement>('sign-in');
const who = byId('who');
const list = byId('seminars');
let seminars: SeminarView[] = [];

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const data = new FormData(form);
  signIn(String(data.get('email')), String(data.get('password')))
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
  render();
}

function when(s: SeminarView): string {
  return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'medium', timeStyle: 'short', timeZone: s.timeZone }).format(new Date(s.startsAt));
}

function render(): void {
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
          ((me && s.lecturerIds.includes(me)) || isAdmin()) && s.status !== 'ended' && s.status !== 'cancelled' ? h('a', { href: `/studio.html${q}` }, t('seminars.studio')) : null,
        ),
      );
    }),
  );
}

void load();
