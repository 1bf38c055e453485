import { useEffect, useRef, useState } from 'preact/hooks';
import { profileView, type ProfileView } from '../../../../server/protocol/portfolios';
import { apiParsed, api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { announce, toast } from '../../kit/toast';
import { SORTABLE_BASE, undoDomMove, useSortable } from './sortable';

// The portfolio's images in their order: dragged by a handle (SortableJS), or moved with
// the up and down buttons, which keep the focus on the moved item's button and say its
// new place. Each change is saved at once (PUT …/items/order).

export function PortfolioItems({ profile, onChange }: { profile: ProfileView; onChange: (p: ProfileView) => void }) {
  const list = useRef<HTMLOListElement>(null);
  const [focus, setFocus] = useState<{ id: string; move: 'up' | 'down' } | null>(null);
  const items = profile.items;
  const base = `/profiles/${profile.userId}/items`;
  const label = (caption: string) => caption || t('people:editor.untitled');

  const reorder = async (from: number, to: number, focusAfter?: 'up' | 'down') => {
    if (to < 0 || to >= items.length || from === to) return;
    const ids = items.map((i) => i.id);
    const [moved] = ids.splice(from, 1);
    ids.splice(to, 0, moved!);
    try {
      const saved = await apiParsed(profileView, 'PUT', `${base}/order`, { itemIds: ids });
      onChange(saved);
      if (focusAfter) setFocus({ id: moved!, move: focusAfter });
      announce(t('people:editor.moved', { caption: label(items[from]!.caption), position: to + 1, count: ids.length }));
    } catch (err) {
      toast(errorText(err));
    }
  };

  useSortable(list, () => ({
    ...SORTABLE_BASE,
    handle: '.pf-handle',
    onEnd: (evt) => {
      undoDomMove(evt);
      if (evt.oldIndex !== undefined && evt.newIndex !== undefined) void reorder(evt.oldIndex, evt.newIndex);
    },
  }));

  useEffect(() => {
    if (!focus) return;
    const row = list.current?.querySelector<HTMLElement>(`[data-item="${focus.id}"]`);
    const button = row?.querySelector<HTMLButtonElement>(`[data-move="${focus.move}"]`);
    // At an end the pressed button is disabled: the other one takes the focus.
    const other = row?.querySelector<HTMLButtonElement>(`[data-move="${focus.move === 'up' ? 'down' : 'up'}"]`);
    (button && !button.disabled ? button : other)?.focus();
    setFocus(null);
  }, [focus, profile]);

  const remove = async (id: string) => {
    if (!confirm(t('people:editor.removeConfirm'))) return;
    try {
      await api('DELETE', `${base}/${id}`);
      onChange({ ...profile, items: items.filter((i) => i.id !== id) });
      toast(t('people:editor.removed'));
    } catch (err) {
      toast(errorText(err));
    }
  };

  const saveCaption = async (id: string, caption: string) => {
    try {
      onChange(await apiParsed(profileView, 'PATCH', `${base}/${id}`, { caption }));
      toast(t('people:editor.captionSaved'));
    } catch (err) {
      toast(errorText(err));
    }
  };

  if (items.length === 0) return <p class="muted">{t('people:editor.noItems')}</p>;
  return (
    <ol class="pf-items" ref={list} data-testid="portfolio-items">
      {items.map((item, i) => (
        <li key={item.id} class="pf-item" data-item={item.id} data-testid="portfolio-item">
          <span class="pf-handle" aria-hidden="true" title={t('people:editor.drag')}>
            ⠿
          </span>
          <img src={item.images[0]!.url} alt="" width={96} height={Math.round((96 * item.images[0]!.height) / item.images[0]!.width)} />
          <CaptionForm id={item.id} caption={item.caption} onSave={saveCaption} />
          <span class="pf-buttons">
            <button
              type="button"
              class="icon"
              data-move="up"
              aria-label={t('people:editor.up', { caption: label(item.caption) })}
              disabled={i === 0}
              onClick={() => void reorder(i, i - 1, 'up')}
            >
              ↑
            </button>
            <button
              type="button"
              class="icon"
              data-move="down"
              aria-label={t('people:editor.down', { caption: label(item.caption) })}
              disabled={i === items.length - 1}
              onClick={() => void reorder(i, i + 1, 'down')}
            >
              ↓
            </button>
            <button
              type="button"
              class="icon danger"
              aria-label={t('people:editor.remove', { caption: label(item.caption) })}
              onClick={() => void remove(item.id)}
            >
              ×
            </button>
          </span>
        </li>
      ))}
    </ol>
  );
}

function CaptionForm({ id, caption, onSave }: { id: string; caption: string; onSave: (id: string, caption: string) => Promise<void> }) {
  const [value, setValue] = useState(caption);
  useEffect(() => setValue(caption), [caption]);
  return (
    <form
      class="pf-caption"
      onSubmit={(e) => {
        e.preventDefault();
        void onSave(id, value);
      }}
    >
      <label class="visually-hidden" for={`pf-c-${id}`}>
        {t('people:editor.caption')}
      </label>
      <input id={`pf-c-${id}`} value={value} maxLength={300} onInput={(e) => setValue(e.currentTarget.value)} data-testid="item-caption" />
      {value !== caption && <button type="submit">{t('people:editor.saveCaption')}</button>}
    </form>
  );
}
