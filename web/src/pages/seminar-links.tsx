import type { SeminarView } from '../../../server/protocol/seminars';
import { t } from '../kit/i18n';
import type { Who } from '../session';

/** Whether the signed-in user runs this seminar (its lecturer, or an admin). */
export function runsSeminar(s: SeminarView, me: Who | null): boolean {
  return me !== null && ((me.userId !== null && s.lecturerIds.includes(me.userId)) || me.roles.includes('admin'));
}

/** Watch while scheduled or live, the recording once ended (signed in), the studio for those who run it. */
export function SeminarLinks({ s, me }: { s: SeminarView; me: Who | null }) {
  const open = s.status === 'scheduled' || s.status === 'live';
  return (
    <div class="links">
      {open && <a href={`/watch/${s.id}`}>{t('portal:seminars.watch')}</a>}
      {s.status === 'ended' && me && <a href={`/replay/${s.id}`}>{t('portal:seminars.replay')}</a>}
      {runsSeminar(s, me) && s.status !== 'ended' && s.status !== 'cancelled' && (
        <a href={`/studio/${s.id}`}>{t('portal:seminars.studio')}</a>
      )}
    </div>
  );
}
