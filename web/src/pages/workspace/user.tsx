import { useState } from 'preact/hooks';
import type { z } from 'zod';
import type { myCourseView } from '../../../../server/protocol/courses';
import type { myRegistrationView } from '../../../../server/protocol/seminars';
import type { AdminUserView } from '../../../../server/protocol/workspace';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { FormError, SubmitButton, useForm } from '../../kit/form';
import { dateTime } from '../../kit/format';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { who } from '../../session';
import { useLoad } from './load';
import '../../styles/workspace.css';

// One account, for an admin: its roles (granted or removed here; the user's open pages
// pick them up at their next token refresh), disabling it, and its registrations and progress.

type Registration = z.infer<typeof myRegistrationView>;
type Course = z.infer<typeof myCourseView>;

function Roles({ user, onSaved }: { user: AdminUserView; onSaved: (u: AdminUserView) => void }) {
  const form = useForm(async (data) => {
    const roles = ['admin', 'lecturer'].filter((r) => data.get(r) === 'on');
    onSaved(await api<AdminUserView>('PUT', `/users/${user.id}/roles`, { roles: [...roles, 'learner'] }));
    toast(t('workspace:user.rolesSaved'));
  });
  return (
    <form class="ws-form" onSubmit={form.onSubmit} data-testid="roles">
      <fieldset>
        <legend>{t('workspace:user.roles')}</legend>
        {(['lecturer', 'admin'] as const).map((r) => (
          <label key={r} class="check">
            <input type="checkbox" name={r} data-testid={`role-${r}`} defaultChecked={user.roles.includes(r)} />
            {t(`workspace:users.roles.${r}`)}
          </label>
        ))}
        <p class="muted">{t('workspace:user.learnerAlways')}</p>
      </fieldset>
      <FormError form={form} />
      <div>
        <SubmitButton form={form}>{t('workspace:user.saveRoles')}</SubmitButton>
      </div>
    </form>
  );
}

export default function User({ id }: { id: string }) {
  const { data, error } = useLoad(
    () =>
      Promise.all([
        api<AdminUserView>('GET', `/users/${encodeURIComponent(id)}`),
        api<{ items: Registration[] }>('GET', `/users/${encodeURIComponent(id)}/registrations?limit=50`),
        api<Course[]>('GET', `/users/${encodeURIComponent(id)}/learning`),
      ]),
    [id],
  );
  const [updated, setUpdated] = useState<AdminUserView | null>(null);
  const user = updated?.id === id ? updated : data?.[0];
  useTitle(user?.displayName);
  if (error !== null) {
    return (
      <div class="page">
        <p role="alert">{errorText(error)}</p>
      </div>
    );
  }
  if (!data || !user) {
    return (
      <div class="page">
        <p role="status">{t('workspace:user.loading')}</p>
      </div>
    );
  }
  const [, registrations, learning] = data;
  const self = who.value?.userId === user.id;
  return (
    <div class="page ws-page" data-testid="user-page">
      <h1>{user.displayName}</h1>
      <p class="muted">
        {t('workspace:user.email', { email: user.email })} · {t('workspace:user.since', { date: dateTime(user.createdAt) })}
      </p>
      <Roles key={user.roles.join()} user={user} onSaved={setUpdated} />
      <section aria-labelledby="account-title">
        <h2 id="account-title">{t('workspace:user.account')}</h2>
        <p data-testid="account-state">{user.disabled ? t('workspace:user.isDisabled') : t('workspace:user.isEnabled')}</p>
        {!self && (
          <ActionButton
            class={user.disabled ? '' : 'danger'}
            data-testid="toggle-disabled"
            run={async () => {
              if (!user.disabled && !confirm(t('workspace:user.confirmDisable', { name: user.displayName }))) return;
              const next = await api<AdminUserView>('PUT', `/users/${user.id}/disabled`, { disabled: !user.disabled });
              setUpdated(next);
              toast(next.disabled ? t('workspace:user.disabledDone') : t('workspace:user.enabledDone'));
            }}
          >
            {user.disabled ? t('workspace:user.enable') : t('workspace:user.disable')}
          </ActionButton>
        )}
      </section>
      <section aria-labelledby="registrations-title">
        <h2 id="registrations-title">{t('workspace:user.registrations')}</h2>
        {registrations.items.length === 0 && <p>{t('workspace:user.noRegistrations')}</p>}
        <ul class="ws-list" data-testid="user-registrations">
          {registrations.items.map((r) => (
            <li key={r.seminarId} class="ws-item">
              <a href={`/seminars/${r.seminarId}`}>{r.seminar.title}</a>
              <span class="muted">
                {dateTime(r.seminar.startsAt, r.seminar.timeZone)} · {t(`workspace:registrations.${r.status}`)}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="learning-title">
        <h2 id="learning-title">{t('workspace:user.learning')}</h2>
        {learning.length === 0 && <p>{t('workspace:user.noLearning')}</p>}
        <ul class="ws-list" data-testid="user-learning">
          {learning.map((c) => (
            <li key={c.course.id} class="ws-item">
              <strong>{c.course.title}</strong>
              <span class="muted">
                {t('workspace:user.progress', { done: c.completedLessons, total: c.totalLessons, percent: Math.round(c.percent) })}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <p>
        <a href="/workspace/users">{t('workspace:user.back')}</a>
      </p>
    </div>
  );
}
