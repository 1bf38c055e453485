import { useLocation } from 'preact-iso';
import type { SeminarView } from '../../../server/protocol/seminars';
import { api } from '../kit/api';
import { Field, FormError, SubmitButton, text, useForm } from '../kit/form';
import { zoneName } from '../kit/format';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';

// On an ended seminar's page, for its lecturers and admins: schedule an encore (a repeat of
// the recording, presented as a live event). The server refuses a seminar with no recording.

/** The zones the centre's lecturers schedule in; the seminar's own is offered first. */
const ZONES = ['Europe/Moscow', 'Europe/Kaliningrad', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Novosibirsk', 'Asia/Vladivostok', 'UTC'];

export function EncoreForm({ s }: { s: SeminarView }) {
  const { route } = useLocation();
  const form = useForm(async (data) => {
    const created = await api<SeminarView>('POST', `/seminars/${encodeURIComponent(s.id)}/encores`, {
      startsAt: text(data, 'startsAt'),
      timeZone: text(data, 'timeZone'),
    });
    toast(t('portal:encore.scheduled'));
    route(`/seminars/${created.id}`);
  });
  const zones = ZONES.includes(s.timeZone) ? ZONES : [s.timeZone, ...ZONES];
  const now = new Date().toISOString();
  const zoneId = `${form.id}-timeZone`;
  return (
    <section class="seminar-section" aria-labelledby="encore-title">
      <h2 id="encore-title">{t('portal:encore.title')}</h2>
      <p class="muted">{t('portal:encore.explain')}</p>
      <form class="ws-form" onSubmit={form.onSubmit} noValidate data-testid="encore-form">
        <Field form={form} name="startsAt" label={t('portal:encore.startsAt')} type="datetime-local" required />
        <div class="field">
          <label for={zoneId}>{t('portal:encore.timeZone')}</label>
          <select id={zoneId} name="timeZone" data-testid="encore-zone">
            {zones.map((z) => (
              <option key={z} value={z} selected={z === s.timeZone}>
                {zoneName(now, z)} — {z}
              </option>
            ))}
          </select>
        </div>
        <FormError form={form} />
        <SubmitButton form={form}>{t('portal:encore.submit')}</SubmitButton>
      </form>
    </section>
  );
}
