import { t } from '../kit/i18n';
import '../styles/encore.css';
import type { WatchRoom } from './watch-room';

/** The label of an encore (a repeat) on the watch page, with what it means. */
export function EncoreBadge({ room }: { room: WatchRoom | null }) {
  if (!room?.join?.seminar.encoreOf) return null;
  return (
    <span class="badge encore" data-testid="encore-badge" title={t('room:encore.note')}>
      {t('room:encore.badge')}
    </span>
  );
}
