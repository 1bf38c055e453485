import { useLocation } from 'preact-iso';
import type { ArticleView } from '../../../../server/protocol/articles';
import { api, ApiError } from '../../kit/api';
import { Field, FormError, SubmitButton, text, useForm, type FormState } from '../../kit/form';
import { t } from '../../kit/i18n';
import { PageLoadFailed, PageLoading } from '../../kit/load-states';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { useLoad } from './load';
import '../../styles/workspace.css';

// Writing an article (/workspace/articles/new) or changing one (/workspace/articles/:id):
// title, summary, track, tags, Markdown text, links to seminars and courses (their pages'
// addresses, pasted), and whether it is published.

/** The ids in pasted page addresses (…/seminars/<id>) or bare ids; null when a piece is neither. */
export function linkedIds(value: string, kind: 'seminars' | 'courses'): string[] | null {
  const pieces = value.split(/[\s,]+/).filter(Boolean);
  const ids: string[] = [];
  for (const piece of pieces) {
    const m = new RegExp(`(?:^|/${kind}/)([0-9a-f]{24})(?:[/?#]|$)`).exec(piece);
    if (!m) return null;
    if (!ids.includes(m[1]!)) ids.push(m[1]!);
  }
  return ids;
}

export default function ArticleForm({ id }: { id?: string }) {
  const editing = id !== undefined;
  const { data, error } = useLoad(
    () => (editing ? api<ArticleView>('GET', `/articles/${encodeURIComponent(id)}`) : Promise.resolve(null)),
    [id],
  );
  useTitle(editing ? (data ? t('knowledge:form.editTitle', { title: data.title }) : undefined) : t('knowledge:form.newTitle'));
  if (editing && error) return <PageLoadFailed error={error} />;
  if (editing && !data) return <PageLoading text={t('knowledge:form.loading')} />;
  return <Editor key={id ?? 'new'} article={data} />;
}

function Editor({ article }: { article: ArticleView | null }) {
  const { route } = useLocation();
  const form = useForm(
    async (data) => {
      const seminarIds = linkedIds(text(data, 'seminarIds'), 'seminars');
      const courseIds = linkedIds(text(data, 'courseIds'), 'courses');
      const bad = [
        ...(seminarIds ? [] : [{ path: 'seminarIds', message: 'link' }]),
        ...(courseIds ? [] : [{ path: 'courseIds', message: 'link' }]),
      ];
      if (bad.length) throw new ApiError(400, 'invalid_request', 'links', bad);
      const body = {
        title: text(data, 'title'),
        summary: text(data, 'summary'),
        track: text(data, 'track'),
        tags: text(data, 'tags')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        body: text(data, 'body'),
        status: data.get('published') === 'on' ? 'published' : 'draft',
        seminarIds,
        courseIds,
      };
      const saved = article
        ? await api<ArticleView>('PATCH', `/articles/${article.id}`, body)
        : await api<ArticleView>('POST', '/articles', body);
      toast(article ? t('knowledge:form.saved') : t('knowledge:form.created'));
      route(`/knowledge/${saved.id}`);
    },
    {
      track: t('knowledge:form.trackHint'),
      tags: t('knowledge:form.tagsHint'),
      seminarIds: t('knowledge:form.linksInvalid'),
      courseIds: t('knowledge:form.linksInvalid'),
    },
  );
  return (
    <div class="page ws-page">
      <h1>{article ? t('knowledge:form.editTitle', { title: article.title }) : t('knowledge:form.newTitle')}</h1>
      <form class="ws-form" onSubmit={form.onSubmit} noValidate data-testid="article-form">
        <Field form={form} name="title" label={t('knowledge:form.title')} required maxLength={200} defaultValue={article?.title ?? ''} />
        <Field form={form} name="summary" label={t('knowledge:form.summary')} maxLength={500} defaultValue={article?.summary ?? ''} />
        <div class="ws-row">
          <Field form={form} name="track" label={t('knowledge:form.track')} required maxLength={80} defaultValue={article?.track ?? ''} />
          <Field form={form} name="tags" label={t('knowledge:form.tags')} maxLength={500} defaultValue={article?.tags.join(', ') ?? ''} />
        </div>
        <TextArea
          form={form}
          name="body"
          label={t('knowledge:form.body')}
          hint={t('knowledge:form.bodyHint')}
          value={article?.body ?? ''}
        />
        <Field
          form={form}
          name="seminarIds"
          label={t('knowledge:form.seminars')}
          defaultValue={article?.seminarIds.map((s) => `/seminars/${s}`).join(' ') ?? ''}
        />
        <Field
          form={form}
          name="courseIds"
          label={t('knowledge:form.courses')}
          defaultValue={article?.courseIds.map((c) => `/courses/${c}`).join(' ') ?? ''}
        />
        <p class="muted">{t('knowledge:form.linksHint')}</p>
        <label class="check">
          <input type="checkbox" name="published" defaultChecked={article?.status === 'published'} data-testid="article-published" />
          <span>{t('knowledge:form.published')}</span>
        </label>
        <FormError form={form} />
        <div class="ws-actions">
          <SubmitButton form={form}>{article ? t('knowledge:form.save') : t('knowledge:form.create')}</SubmitButton>
          <a href="/workspace/articles">{t('knowledge:form.cancel')}</a>
        </div>
      </form>
    </div>
  );
}

function TextArea({ form, name, label, hint, value }: { form: FormState; name: string; label: string; hint: string; value: string }) {
  const inputId = `${form.id}-${name}`;
  const error = form.errors[name];
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={inputId}>{label}</label>
      <textarea
        id={inputId}
        name={name}
        rows={14}
        required
        maxLength={30_000}
        defaultValue={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={`${inputId}-hint${error ? ` ${inputId}-error` : ''}`}
      />
      <p class="muted" id={`${inputId}-hint`}>
        {hint}
      </p>
      {error && (
        <p class="field-error" id={`${inputId}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
