import { useEffect, useState } from 'preact/hooks';
import type { RegistrationView, SeminarView } from '../../../server/protocol/seminars';
import { api } from '../kit/api';
import { FormError, SubmitButton, text, useForm } from '../kit/form';
import { loadNamespace, t } from '../kit/i18n';
import type { Who } from '../session';

// The portal's registration form: the seminar's own questions (text or choice,
// required or not), then Register. The server checks the answers against the
// questions; a refused answer shows beside its question (answers.<id>).

export function RegistrationForm({
  s,
  me,
  onRegistered,
}: {
  s: SeminarView;
  me: Who | null;
  onRegistered?: (r: RegistrationView) => void;
}) {
  // Its texts are the workspace's (this form and the organiser's question editor go together).
  const [ready, setReady] = useState(false);
  const [done, setDone] = useState<RegistrationView | null>(null);
  const userId = me?.userId ?? null;
  useEffect(() => {
    let current = true;
    setReady(false);
    setDone(null);
    // Already registered (or waiting): say so instead of asking again.
    const existing = userId ? api<RegistrationView>('GET', `/seminars/${s.id}/registration`).catch(() => null) : Promise.resolve(null);
    void Promise.all([loadNamespace('workspace'), existing]).then(([, registration]) => {
      if (!current) return;
      setDone(registration);
      setReady(true);
    });
    return () => {
      current = false;
    };
  }, [s.id, userId]);
  const form = useForm(async (data) => {
    const answers: Record<string, string> = {};
    for (const q of s.questions) {
      const a = text(data, `answers.${q.id}`).trim();
      if (a) answers[q.id] = a;
    }
    const registration = await api<RegistrationView>('PUT', `/seminars/${s.id}/registration`, { answers });
    setDone(registration);
    onRegistered?.(registration);
  });
  if (!ready || !me || (s.status !== 'scheduled' && s.status !== 'live')) return null;
  if (done) {
    return (
      <p role="status" data-testid="registered">
        {done.status === 'registered'
          ? t('workspace:register.done')
          : t('workspace:register.waitlisted', { position: done.waitlistPosition ?? 0 })}
      </p>
    );
  }
  return (
    <form
      class="card registration-form"
      onSubmit={form.onSubmit}
      noValidate
      data-testid="registration-form"
      aria-labelledby={`${form.id}-title`}
    >
      <h2 id={`${form.id}-title`}>{t('workspace:register.title')}</h2>
      {s.questions.map((q) => {
        const name = `answers.${q.id}`;
        const inputId = `${form.id}-${q.id}`;
        const error = form.errors[name];
        const described = error ? `${inputId}-error` : undefined;
        const label = (
          <>
            {q.label} {!q.required && <span class="muted">{t('workspace:register.optional')}</span>}
          </>
        );
        return (
          <div key={q.id} class={`field${error ? ' invalid' : ''}`}>
            <label for={inputId}>{label}</label>
            {q.kind === 'choice' ? (
              <select id={inputId} name={name} required={q.required} aria-invalid={error ? 'true' : undefined} aria-describedby={described}>
                <option value="">{t('workspace:register.choose')}</option>
                {q.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={inputId}
                name={name}
                maxLength={1000}
                required={q.required}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={described}
              />
            )}
            {error && (
              <p class="field-error" id={`${inputId}-error`}>
                {error}
              </p>
            )}
          </div>
        );
      })}
      <FormError form={form} />
      <SubmitButton form={form}>{t('workspace:register.submit')}</SubmitButton>
    </form>
  );
}
