import type { ComponentChildren } from 'preact';
import { hasText, tKey } from '../kit/i18n';

/** A seminar's status as a word ("в эфире"); empty while unknown. */
export function statusText(status: string | undefined): string {
  return status && hasText(`status.${status}`) ? tKey(`status.${status}`) : '';
}

/** The top of a room page: the seminar's title, its status badge and whatever else the page adds (the viewer count). */
export function RoomHeader({
  title,
  badge,
  badgeClass,
  children,
}: {
  title: string;
  badge: string;
  badgeClass: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="room-header">
      <h1 id="title">{title}</h1>
      <span id="status-badge" class={`badge ${badgeClass}`} data-testid="status">
        {badge}
      </span>
      {children}
    </div>
  );
}
