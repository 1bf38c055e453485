import { useEffect, useState } from 'preact/hooks';
import type { AttachableRecordingView, CourseStructureView, CourseView } from '../../../../server/protocol/courses';
import { api } from '../../kit/api';
import { useAction } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { Field, fieldErrors, FormError, SubmitButton, text, useForm, type FieldErrors } from '../../kit/form';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { draftOf, lessonCount, structureBody, withSavedIds, type DraftModule } from './course-draft';
import { CourseStructure } from './course-structure';
import { QuizRuleField } from './quiz-rule-field';
import { useLoad } from './load';
import '../../styles/workspace.css';
import '../../styles/course-builder.css';
import '../../styles/learning.css';

// The course builder: the course's description and completion threshold, its modules
// and lessons (arranged here, stored by "save"), and publication. Publishing needs a
// saved lesson: the button says so before it is pressed, and a refusal that still comes
// (the course emptied elsewhere) shows its text in place.

interface Loaded {
  course: CourseView;
  structure: CourseStructureView;
  recordings: AttachableRecordingView[];
}

async function load(id: string): Promise<Loaded> {
  const path = `/courses/${encodeURIComponent(id)}`;
  const [course, structure, recordings] = await Promise.all([
    api<CourseView>('GET', path),
    api<CourseStructureView>('GET', `${path}/structure`),
    api<AttachableRecordingView[]>('GET', `${path}/attachable-recordings`),
  ]);
  return { course, structure, recordings };
}

function About({ course, onSaved }: { course: CourseView; onSaved: (c: CourseView) => void }) {
  const form = useForm(
    async (data) => {
      const saved = await api<CourseView>('PATCH', `/courses/${course.id}`, {
        title: text(data, 'title'),
        description: text(data, 'description'),
        track: text(data, 'track'),
        completionThreshold: Number(text(data, 'threshold')) / 100,
        // Empty: no presence rule.
        presenceShare: text(data, 'presence').trim() === '' ? null : Number(text(data, 'presence')) / 100,
        quizRule: text(data, 'quizRule'),
      });
      onSaved(saved);
      toast(t('workspace:builder.aboutSaved'));
    },
    {
      title: t('workspace:courses.hints.title'),
      track: t('workspace:courses.hints.track'),
      completionThreshold: t('workspace:builder.thresholdHint'),
      presenceShare: t('workspace:builder.presenceHint'),
    },
  );
  const descriptionId = `${form.id}-description`;
  // The server names the threshold completionThreshold; the field is a percentage.
  const thresholdError = form.errors.completionThreshold;
  const presenceError = form.errors.presenceShare;
  return (
    <form class="ws-form" onSubmit={form.onSubmit} noValidate data-testid="course-about">
      <Field form={form} name="title" label={t('workspace:builder.courseTitle')} maxLength={200} defaultValue={course.title} required />
      <div class="field">
        <label for={descriptionId}>{t('workspace:builder.description')}</label>
        <textarea id={descriptionId} name="description" rows={3} maxLength={5000}>
          {course.description}
        </textarea>
      </div>
      <div class="ws-row">
        <Field form={form} name="track" label={t('workspace:builder.track')} maxLength={80} defaultValue={course.track} required />
        <Field
          form={{ ...form, errors: thresholdError ? { ...form.errors, threshold: thresholdError } : form.errors }}
          name="threshold"
          label={t('workspace:builder.threshold')}
          type="number"
          min={50}
          max={100}
          step={1}
          data-testid="threshold"
          defaultValue={String(Math.round(course.completionThreshold * 100))}
        />
        <Field
          form={{ ...form, errors: presenceError ? { ...form.errors, presence: presenceError } : form.errors }}
          name="presence"
          label={t('workspace:builder.presence')}
          type="number"
          min={0}
          max={100}
          step={1}
          data-testid="presence-share"
          defaultValue={course.presenceShare === null ? '' : String(Math.round(course.presenceShare * 100))}
        />
      </div>
      <QuizRuleField id={`${form.id}-quiz-rule`} value={course.quizRule} error={form.errors.quizRule} />
      <FormError form={form} />
      <div class="ws-actions">
        <SubmitButton form={form}>{t('workspace:builder.saveAbout')}</SubmitButton>
      </div>
    </form>
  );
}

function Publication({
  course,
  draftLessons,
  dirty,
  onChange,
}: {
  course: CourseView;
  /** Lessons in the builder, saved or not. */
  draftLessons: number;
  dirty: boolean;
  onChange: (c: CourseView) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  // Why publishing cannot be pressed yet: no lesson (saving would not help), or lessons not saved.
  const reason = course.published
    ? null
    : draftLessons === 0 || (!dirty && lessonCount(course.modules) === 0)
      ? t('workspace:builder.cannotPublishEmpty')
      : dirty
        ? t('workspace:builder.cannotPublishUnsaved')
        : null;
  const { busy, start } = useAction(async () => {
    setError(null);
    try {
      const saved = await api<CourseView>('PUT', `/courses/${course.id}/publication`, { published: !course.published });
      onChange(saved);
      toast(saved.published ? t('workspace:builder.publishedDone') : t('workspace:builder.unpublishedDone'));
    } catch (err) {
      setError(errorText(err));
    }
  });
  return (
    <section class="cb-section" aria-labelledby="cb-publication">
      <h2 id="cb-publication">{t('workspace:builder.publication')}</h2>
      <p data-testid="publication-state">{course.published ? t('workspace:builder.isPublished') : t('workspace:builder.isDraft')}</p>
      <div class="ws-actions">
        <button
          type="button"
          class={course.published ? undefined : 'primary'}
          data-testid="publish"
          disabled={busy || reason !== null}
          aria-busy={busy || undefined}
          aria-describedby={reason ? 'cb-publish-reason' : undefined}
          onClick={start}
        >
          {course.published ? t('workspace:builder.unpublish') : t('workspace:builder.publish')}
        </button>
        {course.published && <a href={`/courses/${course.id}`}>{t('workspace:builder.view')}</a>}
      </div>
      {reason && (
        <p class="muted" id="cb-publish-reason" data-testid="publish-reason">
          {reason}
        </p>
      )}
      {error && (
        <p class="form-error" role="alert" data-testid="publish-error">
          {error}
        </p>
      )}
    </section>
  );
}

function Builder({ loaded, reloadRecordings }: { loaded: Loaded; reloadRecordings: () => Promise<AttachableRecordingView[]> }) {
  const [course, setCourse] = useState(loaded.course);
  const [modules, setModules] = useState<DraftModule[]>(() => draftOf(loaded.structure));
  const [saved, setSaved] = useState(() => JSON.stringify(structureBody(draftOf(loaded.structure))));
  const [recordings, setRecordings] = useState(loaded.recordings);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const dirty = JSON.stringify(structureBody(modules)) !== saved;
  useTitle(t('workspace:builder.title', { title: course.title }));
  // Closing or reloading the tab with an unsaved arrangement asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);

  const { busy, start: save } = useAction(async () => {
    setErrors({});
    setSaveError(null);
    const body = structureBody(modules);
    try {
      const result = await api<CourseView>('PUT', `/courses/${course.id}/structure`, body);
      const next = withSavedIds(modules, result);
      setModules(next);
      setSaved(JSON.stringify(structureBody(next)));
      setCourse(result);
      toast(t('workspace:builder.saved'));
      setRecordings(await reloadRecordings());
    } catch (err) {
      // The server names the refused place (modules.0.lessons.1.title); a title's text says its bounds.
      const fields = Object.fromEntries(
        Object.entries(fieldErrors(err)).map(([path, text]) => [path, path.endsWith('.title') ? t('workspace:builder.titleHint') : text]),
      );
      setErrors(fields);
      setSaveError(Object.keys(fields).length > 0 ? t('form.fix') : errorText(err));
    }
  });

  return (
    <>
      <h1>{t('workspace:builder.title', { title: course.title })}</h1>
      <p>
        <a href="/workspace/courses">{t('workspace:builder.back')}</a>
      </p>
      <section class="cb-section" aria-labelledby="cb-about">
        <h2 id="cb-about">{t('workspace:builder.about')}</h2>
        <About course={course} onSaved={setCourse} />
      </section>
      <section class="cb-section" aria-labelledby="cb-structure">
        <h2 id="cb-structure">{t('workspace:builder.structure')}</h2>
        <p class="muted">{t('workspace:builder.structureHint')}</p>
        <CourseStructure courseId={course.id} modules={modules} onChange={setModules} recordings={recordings} errors={errors} />
        {saveError && (
          <p class="form-error" role="alert" data-testid="save-error">
            {saveError}
          </p>
        )}
        <div class="ws-actions cb-save">
          <button type="button" class="primary" data-testid="save-structure" disabled={busy} aria-busy={busy || undefined} onClick={save}>
            {t('workspace:builder.save')}
          </button>
          {dirty && (
            <span class="muted" data-testid="unsaved">
              {t('workspace:builder.unsaved')}
            </span>
          )}
        </div>
      </section>
      <Publication course={course} draftLessons={lessonCount(modules)} dirty={dirty} onChange={setCourse} />
    </>
  );
}

export default function CourseBuilderPage({ id }: { id: string }) {
  const { data, error } = useLoad(() => load(id), [id]);
  return (
    <div class="page ws-page" data-testid="course-builder">
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {!data && error === null && <p role="status">{t('workspace:builder.loading')}</p>}
      {data && (
        <Builder
          key={data.course.id}
          loaded={data}
          reloadRecordings={() => api<AttachableRecordingView[]>('GET', `/courses/${encodeURIComponent(id)}/attachable-recordings`)}
        />
      )}
    </div>
  );
}
