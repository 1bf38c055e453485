// Russian: the portal (the seminar list, a seminar's page, "My learning").
export default {
  seminars: {
    title: 'Семинары',
    empty: 'Семинаров пока нет.',
    watch: 'Смотреть',
    studio: 'Студия',
    replay: 'Запись',
  },
  seminar: {
    when: 'Начало: {{time}} ({{zone}})',
    yourTime: 'У вас: {{time}}',
    duration_one: '{{count}} минута',
    duration_few: '{{count}} минуты',
    duration_many: '{{count}} минут',
    duration_other: '{{count}} минуты',
    registered_one: 'Зарегистрирован {{count}} участник из {{capacity}}',
    registered_few: 'Зарегистрировано {{count}} участника из {{capacity}}',
    registered_many: 'Зарегистрировано {{count}} участников из {{capacity}}',
    registered_other: 'Зарегистрировано {{count}} участника из {{capacity}}',
    track: 'Направление: {{track}}',
    loading: 'Загрузка семинара…',
  },
  learning: {
    title: 'Моё обучение',
    empty: 'Вы пока не записаны ни на один курс.',
    summary: 'Пройдено уроков: {{done}} из {{total}} · {{percent}}%',
    complete: 'пройден',
    continue: 'Продолжить с {{time}}',
    open: 'Смотреть',
    progress: 'Просмотрено: {{percent}}%',
  },
};
