import { useRef, useState } from 'preact/hooks';
import { calendarFeedView } from '../../../server/protocol/accounts';
import { apiParsed } from '../kit/api';
import { ActionButton } from '../kit/button';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import { who } from '../session';

// "Add to calendar": the seminar's .ics, and the reader's personal feed of every seminar
// they registered for. Only a hash of the feed's token is stored, so its address can be
// shown only when it is issued: asking for it issues a new one and retires the old.

async function copy(text: string, field: HTMLInputElement | null): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('portal:seminar.copied'));
  } catch {
    // No clipboard (an insecure origin, or refused): the address is selected for the reader to copy.
    field?.focus();
    field?.select();
    toast(t('portal:seminar.copyFailed'));
  }
}

function FeedUrl() {
  const [url, setUrl] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  return (
    <div class="feed">
      <p class="muted">{t('portal:seminar.feedIntro')}</p>
      {url && (
        <div class="field feed-field">
          <label for="feed-url">{t('portal:seminar.feedLabel')}</label>
          <div class="feed-row">
            <input id="feed-url" ref={field} readOnly value={url} data-testid="feed-url" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" data-testid="feed-copy" onClick={() => void copy(url, field.current)}>
              {t('portal:seminar.copy')}
            </button>
          </div>
        </div>
      )}
      <p class="muted">{t('portal:seminar.feedWarning')}</p>
      <ActionButton data-testid="feed-issue" run={async () => setUrl((await apiParsed(calendarFeedView, 'POST', '/me/calendar-feed')).url)}>
        {t(url ? 'portal:seminar.feedRotate' : 'portal:seminar.feedIssue')}
      </ActionButton>
    </div>
  );
}

export function SeminarCalendar({ id }: { id: string }) {
  return (
    <section class="seminar-section" aria-labelledby="calendar-title">
      <h2 id="calendar-title">{t('portal:seminar.calendar')}</h2>
      <p>
        <a href={`/api/v1/seminars/${id}/calendar.ics`} download="seminar.ics" data-testid="ics">
          {t('portal:seminar.addToCalendar')}
        </a>
      </p>
      {who.value && <FeedUrl />}
    </section>
  );
}
