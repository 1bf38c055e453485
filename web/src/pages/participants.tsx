import type { Participant } from '../../../server/protocol/live';
import { ActionButton } from '../kit/button';
import { t } from '../kit/i18n';
import type { ParticipantsStore } from './participants-store';

// The lecturer's participant list: who is here (raised hands first), and what the
// lecturer can do with each: lower the hand, invite on stage, mute, take off the
// stage, remove from the room, ban (after a confirmation).

function Person({ store, p }: { store: ParticipantsStore; p: Participant }) {
  const tags = [
    p.hand ? t('room:people.hand') : '',
    p.role === 'lecturer' ? t('room:people.lecturer') : '',
    p.stage === 'on' ? t('room:people.onStage') : p.stage === 'invited' ? t('room:people.invited') : '',
    p.muted ? t('room:people.muted') : '',
  ].filter(Boolean);
  return (
    <li data-testid="participant" data-user={p.userId} data-hand={p.hand} data-stage={p.stage} data-muted={p.muted}>
      <span class="who">
        {p.hand && <span aria-hidden="true">✋ </span>}
        {p.displayName}
      </span>
      {tags.length > 0 && <span class="tags"> · {tags.join(' · ')}</span>}
      {p.role === 'viewer' && (
        <span class="actions" role="group" aria-label={t('room:people.actionsFor', { name: p.displayName })}>
          {p.hand && (
            <ActionButton class="link" data-testid="lower-hand" run={() => store.lowerHand(p)}>
              {t('room:people.lowerHand')}
            </ActionButton>
          )}
          {p.stage === 'none' && (
            <ActionButton class="link" data-testid="invite" run={() => store.invite(p)}>
              {t('room:people.invite')}
            </ActionButton>
          )}
          {p.stage === 'on' && (
            <ActionButton class="link" data-testid={p.muted ? 'unmute' : 'mute'} run={() => store.mute(p, !p.muted)}>
              {t(p.muted ? 'room:people.unmute' : 'room:people.mute')}
            </ActionButton>
          )}
          {p.stage !== 'none' && (
            <ActionButton class="link" data-testid="off-stage" run={() => store.takeOffStage(p)}>
              {t(p.stage === 'on' ? 'room:people.offStage' : 'room:people.withdraw')}
            </ActionButton>
          )}
          <ActionButton class="link" data-testid="remove" run={() => store.remove(p)}>
            {t('room:chat.remove')}
          </ActionButton>
          <ActionButton
            class="link danger"
            data-testid="ban"
            run={async () => {
              if (confirm(t('room:people.banConfirm', { name: p.displayName }))) await store.ban(p);
            }}
          >
            {t('room:chat.ban')}
          </ActionButton>
        </span>
      )}
    </li>
  );
}

export function ParticipantList({ store }: { store: ParticipantsStore }) {
  void store.version.value;
  const people = store.people;
  return (
    <section class="panel participants" aria-labelledby="people-title">
      <h2 id="people-title">{t('room:people.title', { count: people.length + store.more + store.anonymous })}</h2>
      <ul id="participants" data-testid="participants" tabIndex={0} aria-label={t('room:people.list')}>
        {people.length === 0 && store.anonymous === 0 && <li class="empty">{t('room:people.empty')}</li>}
        {people.map((p) => (
          <Person key={p.userId} store={store} p={p} />
        ))}
        {store.more > 0 && <li class="empty">{t('room:people.more', { count: store.more })}</li>}
        {store.anonymous > 0 && (
          <li class="empty" data-testid="anonymous">
            {t('room:people.anonymous', { count: store.anonymous })}
          </li>
        )}
      </ul>
    </section>
  );
}
