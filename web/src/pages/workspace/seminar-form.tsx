import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { SeminarView } from '../../../../server/protocol/seminars';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { Field, FormError, SubmitButton, text, useForm, type FormState } from '../../kit/form';
import { zoneName } from '../../kit/format';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { who } from '../../session';
import { LecturerPicker, type Lecturer } from './lecturer-picker';
import { QuestionsEditor, questionsBody, type DraftQuestion } from './questions-editor';
import { useLoad } from './load';
import '../../styles/workspace.css';

// The seminar form: a new draft, or a draft or scheduled seminar changed or moved.
// The start is wall-clock time in the chosen zone (Europe/Moscow unless changed); the
// server refuses what is wrong, and each refusal shows beside its field.

/** Zones the centre's lecturers and audiences live in: Russia's, its neighbours', and UTC. */
const ZONES = [
  'Europe/Kaliningrad',
  'Europe/Moscow',
  'Europe/Samara',
  'Asia/Yekaterinburg',
  'Asia/Omsk',
  'Asia/Novosibirsk',
  'Asia/Krasnoyarsk',
  'Asia/Irkutsk',
  'Asia/Yakutsk',
  'Asia/Vladivostok',
  'Asia/Magadan',
  'Asia/Kamchatka',
  'Europe/Minsk',
  'Asia/Almaty',
  'Asia/Tashkent',
  'Asia/Yerevan',
  'Asia/Tbilisi',
  'Europe/Berlin',
  'Europe/London',
  'UTC',
];

function TextArea({ form, name, label, value }: { form: FormState; name: string; label: ComponentChildren; value: string }) {
  const inputId = `${form.id}-${name}`;
  const error = form.errors[name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={inputId}>{label}</label>
      <textarea
        id={inputId}
        name={name}
        rows={4}
        maxLength={5000}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
      >
        {value}
      </textarea>
      {error && (
        <p class="field-error" id={`${inputId}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function ZoneSelect({ form, value }: { form: FormState; value: string }) {
  const inputId = `${form.id}-timeZone`;
  const error = form.errors.timeZone;
  const now = new Date().toISOString();
  const zones = ZONES.includes(value) ? ZONES : [value, ...ZONES];
  return (
    <div class="field">
      <label for={inputId}>{t('workspace:form.timeZone')}</label>
      <select id={inputId} name="timeZone" data-testid="time-zone" aria-describedby={error ? `${inputId}-error` : undefined}>
        {zones.map((z) => (
          <option key={z} value={z} selected={z === value}>
            {zoneName(now, z)} — {z}
          </option>
        ))}
      </select>
      {error && (
        <p class="field-error" id={`${inputId}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

function draftQuestions(s: SeminarView | null): DraftQuestion[] {
  return (s?.questions ?? []).map((q) => ({ ...q, options: q.options.join('\n') }));
}

function SeminarForm({ seminar, lecturers: initialLecturers }: { seminar: SeminarView | null; lecturers: Lecturer[] }) {
  const { route } = useLocation();
  const me = who.value;
  const [lecturers, setLecturers] = useState<Lecturer[]>(initialLecturers);
  const [questions, setQuestions] = useState<DraftQuestion[]>(draftQuestions(seminar));
  useEffect(() => setLecturers(initialLecturers), [initialLecturers]);
  const hints = {
    title: t('workspace:form.hints.title'),
    track: t('workspace:form.hints.track'),
    startsAt: t('workspace:form.hints.startsAt'),
    durationMinutes: t('workspace:form.hints.durationMinutes'),
    capacity: t('workspace:form.hints.capacity'),
    lecturerIds: t('workspace:form.hints.lecturerIds'),
  };
  const form = useForm(async (data) => {
    const body = {
      title: text(data, 'title'),
      description: text(data, 'description'),
      track: text(data, 'track'),
      startsAt: text(data, 'startsAt'),
      timeZone: text(data, 'timeZone'),
      durationMinutes: Number(text(data, 'durationMinutes')),
      capacity: Number(text(data, 'capacity')),
      isPublic: data.get('isPublic') === 'on',
      lecturerIds: lecturers.map((l) => l.id),
      questions: questionsBody(questions),
    };
    if (seminar) {
      await api('PATCH', `/seminars/${seminar.id}`, body);
      toast(t('workspace:form.saved'));
    } else {
      await api('POST', '/seminars', body);
      toast(t('workspace:form.created'));
    }
    route('/workspace');
  }, hints);
  const s = seminar;
  return (
    <form class="ws-form" onSubmit={form.onSubmit} noValidate data-testid="seminar-form">
      <Field form={form} name="title" label={t('workspace:form.title')} maxLength={200} defaultValue={s?.title ?? ''} required />
      <TextArea form={form} name="description" label={t('workspace:form.description')} value={s?.description ?? ''} />
      <Field form={form} name="track" label={t('workspace:form.track')} maxLength={80} defaultValue={s?.track ?? ''} required />
      <div class="ws-row">
        <Field
          form={form}
          name="startsAt"
          label={t('workspace:form.startsAt')}
          type="datetime-local"
          defaultValue={s?.startsAtLocal ?? ''}
          required
        />
        <ZoneSelect form={form} value={s?.timeZone ?? 'Europe/Moscow'} />
      </div>
      <div class="ws-row">
        <Field
          form={form}
          name="durationMinutes"
          label={t('workspace:form.duration')}
          type="number"
          min={15}
          max={600}
          step={5}
          defaultValue={String(s?.durationMinutes ?? 90)}
        />
        <Field
          form={form}
          name="capacity"
          label={t('workspace:form.capacity')}
          type="number"
          min={1}
          max={100000}
          defaultValue={String(s?.capacity ?? 50)}
        />
      </div>
      <label class="check">
        <input type="checkbox" name="isPublic" defaultChecked={s?.isPublic ?? false} />
        {t('workspace:form.isPublic')}
      </label>
      <LecturerPicker
        chosen={lecturers}
        onChange={setLecturers}
        fixed={me?.roles.includes('admin') ? null : (me?.userId ?? null)}
        {...(form.errors.lecturerIds ? { error: form.errors.lecturerIds } : {})}
      />
      <QuestionsEditor questions={questions} onChange={setQuestions} errors={form.errors} formId={form.id} />
      <FormError form={form} />
      <div class="ws-actions">
        <SubmitButton form={form}>{s ? t('workspace:form.save') : t('workspace:form.create')}</SubmitButton>
        <a href="/workspace">{t('workspace:form.back')}</a>
      </div>
    </form>
  );
}

async function loadSeminar(id: string | undefined, self: Lecturer | null): Promise<{ seminar: SeminarView | null; lecturers: Lecturer[] }> {
  if (!id) return { seminar: null, lecturers: self ? [self] : [] };
  const seminar = await api<SeminarView>('GET', `/seminars/${encodeURIComponent(id)}`);
  const named = await api<Lecturer[]>('GET', `/users/lecturers?ids=${seminar.lecturerIds.join(',')}`);
  const byId = new Map(named.map((l) => [l.id, l]));
  return { seminar, lecturers: seminar.lecturerIds.map((lid) => byId.get(lid) ?? { id: lid, displayName: lid }) };
}

export default function SeminarFormPage({ id }: { id?: string }) {
  const me = who.value;
  const self = me?.userId ? { id: me.userId, displayName: me.displayName ?? '' } : null;
  const { data, error } = useLoad(() => loadSeminar(id, self), [id]);
  const title = data?.seminar ? t('workspace:form.editTitle', { title: data.seminar.title }) : t('workspace:form.newTitle');
  useTitle(title);
  const editable = !data?.seminar || data.seminar.status === 'draft' || data.seminar.status === 'scheduled';
  return (
    <div class="page ws-page">
      <h1>{title}</h1>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {data && !editable && <p role="alert">{t('workspace:form.notEditable')}</p>}
      {data && editable && <SeminarForm key={data.seminar?.id ?? 'new'} seminar={data.seminar} lecturers={data.lecturers} />}
    </div>
  );
}
