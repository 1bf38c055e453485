import { REACTION_KINDS, type ReactionKind } from '../../../server/protocol/reactions';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import type { AudienceStore } from './audience-store';
import '../styles/audience.css';

// Reactions: the viewer's row of emoji buttons, and the overlay on the video where everyone's
// reactions float up for a moment (a fade only, for those who prefer reduced motion: room.css).

export const EMOJI: Record<ReactionKind, string> = { like: '👍', clap: '👏', heart: '❤️', laugh: '😂', think: '🤔', fire: '🔥' };

export function ReactionBar({ store }: { store: AudienceStore }) {
  const send = (kind: ReactionKind) =>
    store.react(kind).catch((err: unknown) => {
      // The limit is a nudge, not a failure worth a toast per click.
      if ((err as { code?: string }).code !== 'rate_limited') toast(errorText(err));
    });
  return (
    <div class="reaction-bar" role="group" aria-label={t('room:audience.reactions')} data-testid="reaction-bar">
      {REACTION_KINDS.map((kind) => (
        <button
          key={kind}
          type="button"
          class="reaction"
          data-testid={`react-${kind}`}
          aria-label={t(`room:audience.kind.${kind}`)}
          title={t(`room:audience.kind.${kind}`)}
          onClick={() => void send(kind)}
        >
          <span aria-hidden="true">{EMOJI[kind]}</span>
        </button>
      ))}
    </div>
  );
}

/** Floating reactions over the video: decoration for sighted viewers (the counts are in no one's way). */
export function ReactionLayer({ store }: { store: AudienceStore | null }) {
  void store?.version.value;
  return (
    <div class="reaction-layer" aria-hidden="true" data-testid="reaction-layer">
      {store?.bubbles.map((b) => (
        <span key={b.id} class="reaction-bubble" data-kind={b.kind} data-count={b.count} style={{ left: `${b.left}%` }}>
          {EMOJI[b.kind]}
          {b.count > 1 && <small>×{b.count}</small>}
        </span>
      ))}
    </div>
  );
}
