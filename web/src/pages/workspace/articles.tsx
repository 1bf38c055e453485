import type { ArticleSummaryView } from '../../../../server/protocol/articles';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { useLoad } from './load';
import '../../styles/workspace.css';
import '../../styles/knowledge.css';

// The staff's knowledge base: every article, drafts too, newest first, to open, edit or delete.

type ArticlePage = { items: ArticleSummaryView[]; nextCursor: string | null };

export default function WorkspaceArticles() {
  useTitle(t('knowledge:workspace.title'));
  const { data, error, reload } = useLoad(() => api<ArticlePage>('GET', '/workspace/articles?limit=100'), []);
  return (
    <div class="page ws-page">
      <div class="ws-head">
        <h1>{t('knowledge:workspace.title')}</h1>
        <a class="button primary" href="/workspace/articles/new" data-testid="article-new">
          {t('knowledge:workspace.add')}
        </a>
      </div>
      <p class="muted">{t('knowledge:workspace.intro')}</p>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {data === null && error === null && <p role="status">{t('knowledge:workspace.loading')}</p>}
      {data && data.items.length === 0 && <p>{t('knowledge:workspace.empty')}</p>}
      <ul class="ws-list" data-testid="workspace-articles">
        {(data?.items ?? []).map((a) => (
          <li key={a.id} class="ws-item" data-testid="workspace-article" data-id={a.id}>
            <div class="ws-actions">
              <strong>{a.title}</strong>
              <span class={`badge ${a.status === 'draft' ? 'draft' : ''}`}>{t(`knowledge:workspace.status.${a.status}`)}</span>
            </div>
            <div class="muted">
              {a.track}
              {a.tags.length > 0 && ` · ${a.tags.map((tag) => `#${tag}`).join(' ')}`}
            </div>
            <div class="ws-actions">
              <a href={`/workspace/articles/${a.id}`}>{t('knowledge:workspace.edit')}</a>
              <a href={`/knowledge/${a.id}`}>{t('knowledge:workspace.open')}</a>
              <ActionButton
                class="danger"
                run={async () => {
                  if (!confirm(t('knowledge:workspace.removeConfirm', { title: a.title }))) return;
                  await api('DELETE', `/articles/${a.id}`);
                  toast(t('knowledge:workspace.removed'));
                  reload();
                }}
              >
                {t('knowledge:workspace.remove')}
              </ActionButton>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
