import { useEffect, useId, useState } from 'preact/hooks';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';

// Co-lecturers, chosen by searching the users who have the lecturer role. The search
// waits for a pause in typing, so the server's per-user search limit is not reached.

export interface Lecturer {
  id: string;
  displayName: string;
}

export function LecturerPicker({
  chosen,
  onChange,
  fixed,
  error,
}: {
  chosen: Lecturer[];
  onChange: (next: Lecturer[]) => void;
  /** Who cannot be removed here (a lecturer cannot take themselves off). */
  fixed: string | null;
  error?: string;
}) {
  const id = useId();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Lecturer[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  useEffect(() => {
    const query = q.trim();
    if (query.length < 2) {
      setFound(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      api<Lecturer[]>('GET', `/users/lecturers?q=${encodeURIComponent(query)}`).then(
        (list) => {
          if (!current) return;
          setFound(list);
          setSearchError(null);
        },
        (err: unknown) => current && setSearchError(errorText(err)),
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q]);
  const candidates = (found ?? []).filter((l) => !chosen.some((c) => c.id === l.id));
  return (
    <fieldset aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}>
      <legend>{t('workspace:form.lecturers')}</legend>
      <ul class="chips" data-testid="lecturers">
        {chosen.map((l) => (
          <li key={l.id} data-id={l.id}>
            {l.id === fixed ? t('workspace:form.you', { name: l.displayName }) : l.displayName}
            {l.id !== fixed && chosen.length > 1 && (
              <button
                type="button"
                class="link"
                aria-label={t('workspace:form.remove', { name: l.displayName })}
                onClick={() => onChange(chosen.filter((c) => c.id !== l.id))}
              >
                ✕
              </button>
            )}
          </li>
        ))}
      </ul>
      <p class="muted" id={`${id}-hint`}>
        {t('workspace:form.lecturersHint')}
      </p>
      <label for={`${id}-q`}>{t('workspace:form.search')}</label>
      <input
        id={`${id}-q`}
        type="search"
        data-testid="lecturer-search"
        maxLength={100}
        value={q}
        autocomplete="off"
        onInput={(e) => setQ(e.currentTarget.value)}
      />
      {searchError && <p class="field-error">{searchError}</p>}
      <div aria-live="polite">
        {found && candidates.length === 0 && <p class="muted">{t('workspace:form.noMatches')}</p>}
        {candidates.length > 0 && (
          <ul class="chips" data-testid="lecturer-results">
            {candidates.map((l) => (
              <li key={l.id}>
                <button type="button" class="link" onClick={() => onChange([...chosen, l].slice(0, 5))}>
                  {t('workspace:form.add', { name: l.displayName })}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
