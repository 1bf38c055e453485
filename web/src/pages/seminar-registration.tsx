import type { RegistrationView, SeminarView } from '../../../server/protocol/seminars';
import { api } from '../kit/api';
import { ActionButton } from '../kit/button';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import { who } from '../session';
import { RegistrationForm } from './registration-questions';
import { seatsLeft } from './seminar-card';

// Register (through the seminar's questions when it has any), join the waitlist,
// cancel or leave it: one control for where the reader stands, and a sentence that
// says where that is (with the waitlist place).

export function RegistrationPanel({
  s,
  registration,
  changed,
}: {
  s: SeminarView;
  /** null: not registered. */
  registration: RegistrationView | null;
  changed: (next: RegistrationView | null) => void;
}) {
  const open = seatsLeft(s) !== null;
  if (!registration) {
    if (!open) return null;
    // The organiser's own questions come first: the form registers with their answers.
    if (s.questions.length > 0) return <RegistrationForm s={s} me={who.value} onRegistered={changed} />;
    const full = seatsLeft(s) === 0;
    return (
      <ActionButton
        class="primary"
        data-testid="register"
        run={async () => {
          const next = await api<RegistrationView>('PUT', `/seminars/${s.id}/registration`);
          toast(t(next.status === 'registered' ? 'portal:seminar.registeredToast' : 'portal:seminar.waitlistedToast'));
          changed(next);
        }}
      >
        {t(full ? 'portal:seminar.joinWaitlist' : 'portal:seminar.register')}
      </ActionButton>
    );
  }
  const waitlisted = registration.status === 'waitlisted';
  return (
    <div class="registration" data-testid="registration" data-status={registration.status}>
      <p data-testid="registration-state">
        {waitlisted
          ? t('portal:seminar.waitlistPosition', { position: registration.waitlistPosition ?? '?' })
          : t('portal:seminar.youAreRegistered')}
      </p>
      <ActionButton
        data-testid="unregister"
        run={async () => {
          await api('DELETE', `/seminars/${s.id}/registration`);
          toast(t('portal:seminar.cancelledToast'));
          changed(null);
        }}
      >
        {t(waitlisted ? 'portal:seminar.leaveWaitlist' : 'portal:seminar.cancelRegistration')}
      </ActionButton>
    </div>
  );
}
