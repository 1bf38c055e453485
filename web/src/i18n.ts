// A tiny dictionary: Russian first, English second. The language comes from
// ?lang=, then the toggle's saved choice, then Russian.

export type Lang = 'ru' | 'en';

const ru = {
  'app.name': 'Лектерн',
  'app.tagline': 'Живые семинары, записи и курсы Центра поддержки предпринимательства.',
  'lang.other': 'English',
  'nav.home': 'Все семинары',
  'auth.title': 'Вход',
  'auth.email': 'Эл. почта',
  'auth.password': 'Пароль',
  'auth.submit': 'Войти',
  'auth.signedInAs': 'Вы вошли как {name}',
  'auth.signOut': 'Выйти',
  'auth.needed': 'Войдите, чтобы продолжить.',
  'seminars.title': 'Семинары',
  'seminars.empty': 'Семинаров пока нет.',
  'seminars.watch': 'Смотреть',
  'seminars.studio': 'Студия',
  'status.draft': 'черновик',
  'status.scheduled': 'запланирован',
  'status.live': 'в эфире',
  'status.ended': 'завершён',
  'status.cancelled': 'отменён',
  'state.connecting': 'Подключение…',
  'state.waiting': 'Эфир ещё не начался. Трансляция появится здесь сама.',
  'state.ready': 'Готово к эфиру',
  'state.live': 'В эфире',
  'state.reconnecting': 'Связь потеряна, переподключаемся…',
  'state.ended': 'Семинар завершён. Спасибо, что были с нами!',
  'state.removed': 'Вас удалили из этого семинара.',
  'state.failed': 'Не удалось войти в комнату: {message}',
  'studio.title': 'Студия',
  'studio.preview': 'Предпросмотр',
  'studio.goLive': 'Начать эфир',
  'studio.resume': 'Продолжить эфир',
  'studio.end': 'Завершить семинар',
  'studio.endConfirm': 'Завершить семинар для всех зрителей?',
  'studio.shareScreen': 'Показать экран',
  'studio.stopScreen': 'Остановить показ',
  'studio.cameraOff': 'Выключить камеру',
  'studio.cameraOn': 'Включить камеру',
  'studio.micOff': 'Выключить микрофон',
  'studio.micOn': 'Включить микрофон',
  'studio.screenPause': 'Приостановить показ',
  'studio.screenResume': 'Продолжить показ',
  'studio.noDevices': 'Нет доступа к камере или микрофону: {message}',
  'studio.notLecturer': 'Студия открыта только лекторам этого семинара.',
  'studio.codec': 'Видео: {codec}, слоёв: {layers}',
  'studio.hands': 'Поднятые руки',
  'studio.handsEmpty': 'Никто не поднял руку.',
  'viewers.one': '{n} зритель',
  'viewers.few': '{n} зрителя',
  'viewers.many': '{n} зрителей',
  'viewers.other': '{n} зрителя',
  'watch.camera': 'Камера',
  'watch.screen': 'Экран',
  'watch.noVideo': 'Видео пока нет',
  'watch.paused': 'Лектор приостановил видео',
  'watch.unmute': 'Включить звук',
  'watch.raiseHand': 'Поднять руку',
  'watch.lowerHand': 'Опустить руку',
  'watch.register': 'Зарегистрироваться',
  'watch.hls':
    'Все места в прямом эфире заняты: вы смотрите трансляцию с задержкой в несколько секунд. Чат и вопросы доступны участникам эфира.',
  'watch.seatsFull': 'Все места в прямом эфире заняты, а этот браузер не умеет показывать трансляцию. Попробуйте позже.',
  'chat.title': 'Чат',
  'chat.placeholder': 'Сообщение…',
  'chat.send': 'Отправить',
  'chat.empty': 'Сообщений пока нет.',
  'chat.delete': 'Удалить',
  'chat.remove': 'Удалить из эфира',
  'chat.ban': 'Заблокировать',
  'chat.guest': 'Войдите, чтобы писать в чат и задавать вопросы.',
  'qa.title': 'Вопросы',
  'qa.placeholder': 'Ваш вопрос…',
  'qa.ask': 'Спросить',
  'qa.empty': 'Вопросов пока нет.',
  'qa.upvote': 'Поддержать вопрос',
  'qa.answering': 'Лектор отвечает',
  'qa.answered': 'Отвечен',
  'qa.markAnswering': 'Отвечаю',
  'qa.markAnswered': 'Отвечен',
  'error.rate_limited': 'Не так быстро: не больше 5 сообщений за 10 секунд.',
  'error.already_voted': 'Вы уже поддержали этот вопрос.',
  'error.not_registered': 'Зарегистрируйтесь на семинар, чтобы смотреть эфир.',
  'error.banned': 'Вас удалили из этого семинара.',
  'error.illegal_transition': 'Сейчас это сделать нельзя: {message}',
  'error.unauthorized': 'Войдите, чтобы смотреть этот семинар.',
  'error.seminar_not_found': 'Семинар не найден.',
  'error.timeout': 'Сервер не ответил вовремя.',
  'replay.loading': 'Загрузка записи…',
  'replay.recording': 'запись',
  'replay.play': 'Смотреть',
  'replay.pause': 'Пауза',
  'replay.seek': 'Перемотка',
  'replay.speed': 'Скорость',
  'replay.chapters': 'Главы',
  'replay.noChapters': 'Глав нет.',
  'replay.resumed': 'Продолжаем с {time}',
  'replay.liveNotice': 'Вы смотрите трансляцию с задержкой в несколько секунд.',
  'replay.unsupported': 'Этот браузер не умеет показывать запись.',
  'replay.failed': 'Не удалось воспроизвести запись: {message}',
  'seminars.replay': 'Запись',
  'learning.title': 'Моё обучение',
  'learning.empty': 'Вы пока не записаны ни на один курс.',
  'learning.summary': 'Пройдено уроков: {done} из {total} · {percent}%',
  'learning.complete': 'пройден',
  'learning.continue': 'Продолжить с {time}',
  'learning.open': 'Смотреть',
} as const;

export type Key = keyof typeof ru;

const en: Record<Key, string> = {
  'app.name': 'Lectern',
  'app.tagline': 'Live seminars, recordings and courses of the entrepreneurship-support centre.',
  'lang.other': 'Русский',
  'nav.home': 'All seminars',
  'auth.title': 'Sign in',
  'auth.email': 'E-mail',
  'auth.password': 'Password',
  'auth.submit': 'Sign in',
  'auth.signedInAs': 'Signed in as {name}',
  'auth.signOut': 'Sign out',
  'auth.needed': 'Sign in to continue.',
  'seminars.title': 'Seminars',
  'seminars.empty': 'No seminars yet.',
  'seminars.watch': 'Watch',
  'seminars.studio': 'Studio',
  'status.draft': 'draft',
  'status.scheduled': 'scheduled',
  'status.live': 'live',
  'status.ended': 'ended',
  'status.cancelled': 'cancelled',
  'state.connecting': 'Connecting…',
  'state.waiting': 'The seminar has not started yet. The broadcast will appear here by itself.',
  'state.ready': 'Ready to go live',
  'state.live': 'Live',
  'state.reconnecting': 'Connection lost, reconnecting…',
  'state.ended': 'The seminar has ended. Thank you for joining!',
  'state.removed': 'You were removed from this seminar.',
  'state.failed': 'Could not enter the room: {message}',
  'studio.title': 'Studio',
  'studio.preview': 'Preview',
  'studio.goLive': 'Go live',
  'studio.resume': 'Resume broadcast',
  'studio.end': 'End seminar',
  'studio.endConfirm': 'End the seminar for every viewer?',
  'studio.shareScreen': 'Share screen',
  'studio.stopScreen': 'Stop sharing',
  'studio.cameraOff': 'Camera off',
  'studio.cameraOn': 'Camera on',
  'studio.micOff': 'Mute',
  'studio.micOn': 'Unmute',
  'studio.screenPause': 'Pause screen',
  'studio.screenResume': 'Resume screen',
  'studio.noDevices': 'No access to the camera or microphone: {message}',
  'studio.notLecturer': 'The studio is open only to this seminar’s lecturers.',
  'studio.codec': 'Video: {codec}, layers: {layers}',
  'studio.hands': 'Raised hands',
  'studio.handsEmpty': 'No hands raised.',
  'viewers.one': '{n} viewer',
  'viewers.few': '{n} viewers',
  'viewers.many': '{n} viewers',
  'viewers.other': '{n} viewers',
  'watch.camera': 'Camera',
  'watch.screen': 'Screen',
  'watch.noVideo': 'No video yet',
  'watch.paused': 'The lecturer paused the video',
  'watch.unmute': 'Turn on sound',
  'watch.raiseHand': 'Raise hand',
  'watch.lowerHand': 'Lower hand',
  'watch.register': 'Register',
  'watch.hls':
    'All live seats are taken: you are watching the broadcast a few seconds behind. Chat and questions are open to those in the live room.',
  'watch.seatsFull': 'All live seats are taken, and this browser cannot play the broadcast stream. Please try again later.',
  'chat.title': 'Chat',
  'chat.placeholder': 'Message…',
  'chat.send': 'Send',
  'chat.empty': 'No messages yet.',
  'chat.delete': 'Delete',
  'chat.remove': 'Remove from the room',
  'chat.ban': 'Ban',
  'chat.guest': 'Sign in to chat and ask questions.',
  'qa.title': 'Q&A',
  'qa.placeholder': 'Your question…',
  'qa.ask': 'Ask',
  'qa.empty': 'No questions yet.',
  'qa.upvote': 'Upvote',
  'qa.answering': 'Being answered',
  'qa.answered': 'Answered',
  'qa.markAnswering': 'Answer now',
  'qa.markAnswered': 'Mark answered',
  'error.rate_limited': 'Slow down: at most 5 messages in 10 seconds.',
  'error.already_voted': 'You already upvoted this question.',
  'error.not_registered': 'Register for this seminar to watch it live.',
  'error.banned': 'You were removed from this seminar.',
  'error.illegal_transition': 'Not possible right now: {message}',
  'error.unauthorized': 'Sign in to watch this seminar.',
  'error.seminar_not_found': 'No such seminar.',
  'error.timeout': 'The server did not answer in time.',
  'replay.loading': 'Loading the recording…',
  'replay.recording': 'recording',
  'replay.play': 'Play',
  'replay.pause': 'Pause',
  'replay.seek': 'Seek',
  'replay.speed': 'Speed',
  'replay.chapters': 'Chapters',
  'replay.noChapters': 'No chapters.',
  'replay.resumed': 'Resuming at {time}',
  'replay.liveNotice': 'You are watching the stream a few seconds behind.',
  'replay.unsupported': 'This browser cannot play the recording.',
  'replay.failed': 'The recording could not be played: {message}',
  'seminars.replay': 'Recording',
  'learning.title': 'My learning',
  'learning.empty': 'You are not enrolled in any course yet.',
  'learning.summary': 'Lessons done: {done} of {total} · {percent}%',
  'learning.complete': 'done',
  'learning.continue': 'Continue from {time}',
  'learning.open': 'Watch',
};

const dictionaries: Record<Lang, Record<Key, string>> = { ru, en };
const STORAGE_KEY = 'lectern.lang';

function initialLang(): Lang {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'ru' || fromUrl === 'en') return fromUrl;
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'en' ? 'en' : 'ru';
}

let lang: Lang = initialLang();
const listeners = new Set<() => void>();

export function currentLang(): Lang {
  return lang;
}

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** A count with the right plural form: t('viewers', 3) → «3 зрителя». */
export function plural(prefix: 'viewers', n: number): string {
  const form = new Intl.PluralRules(lang).select(n) as 'one' | 'few' | 'many' | 'other';
  const key = `${prefix}.${form}` as Key;
  return t(key in ru ? key : (`${prefix}.other` as Key), { n });
}

/** The text of a server error: ours where we have one, the server's (English) message otherwise. */
export function errorText(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  const key = `error.${String(code)}` as Key;
  return typeof code === 'string' && key in ru ? t(key, { message }) : message;
}

/** Fills [data-i18n], [data-i18n-placeholder] and [data-i18n-title] under root. */
export function applyI18n(root: ParentNode = document): void {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as Key);
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder as Key);
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle as Key);
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem(STORAGE_KEY, next);
  const url = new URL(location.href);
  url.searchParams.set('lang', next);
  history.replaceState(null, '', url);
  applyI18n();
  for (const fn of listeners) fn();
}

/** Re-render dynamic text when the language changes. */
export function onLangChange(fn: () => void): void {
  listeners.add(fn);
}

/** Wires a button that switches between the two languages. */
export function langToggle(button: HTMLButtonElement): void {
  const label = () => (button.textContent = t('lang.other'));
  label();
  onLangChange(label);
  button.addEventListener('click', () => setLang(lang === 'ru' ? 'en' : 'ru'));
}
