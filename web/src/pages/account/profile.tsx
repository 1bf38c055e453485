import { useEffect, useState } from 'preact/hooks';
import { sessionView, userView, type UserView } from '../../../../server/protocol/accounts';
import { api, ApiError, apiParsed } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { dateTime } from '../../kit/format';
import { lang, setLang, t } from '../../kit/i18n';
import { signInHref, useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { adopt, renamed, signOut, who } from '../../session';
import { CheckField, SelectField } from './fields';
import '../../styles/account.css';

const DEFAULT_ZONE = 'Europe/Moscow';

/** The IANA zones this browser knows, the user's own first if it is missing (an older browser). */
function zones(current: string): string[] {
  const known = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [DEFAULT_ZONE];
  return known.includes(current) ? known : [current, ...known];
}

function Details({ me, onSaved }: { me: UserView; onSaved: (u: UserView) => void }) {
  const form = useForm(async (data) => {
    const saved = await apiParsed(userView, 'PATCH', '/me', {
      displayName: text(data, 'displayName'),
      locale: text(data, 'locale'),
      timeZone: text(data, 'timeZone'),
    });
    onSaved(saved);
    renamed(saved.displayName);
    // The profile's language is the interface's.
    await setLang(saved.locale);
    toast(t('account:profile.saved'));
  });
  return (
    <form id="profile" class="card" onSubmit={form.onSubmit} aria-labelledby="details-title" noValidate>
      <h2 id="details-title">{t('account:profile.details')}</h2>
      <Field form={form} name="displayName" label={t('account:profile.name')} value={me.displayName} autocomplete="name" required />
      <SelectField form={form} name="locale" label={t('account:profile.language')} value={me.locale}>
        <option value="ru">{t('account:languages.ru')}</option>
        <option value="en">{t('account:languages.en')}</option>
      </SelectField>
      <SelectField
        form={form}
        name="timeZone"
        label={t('account:profile.timeZone')}
        value={me.timeZone}
        hint={t('account:profile.timeZoneHint')}
      >
        {zones(me.timeZone).map((z) => (
          <option key={z} value={z}>
            {z.replace(/_/g, ' ')}
          </option>
        ))}
      </SelectField>
      <FormError form={form} />
      <SubmitButton form={form}>{t('account:profile.save')}</SubmitButton>
    </form>
  );
}

function Email({ me }: { me: UserView }) {
  const [busy, setBusy] = useState(false);
  return (
    <section class="card" aria-labelledby="email-title">
      <h2 id="email-title">{t('account:profile.email')}</h2>
      <p data-testid="email">{me.email}</p>
      {me.emailConfirmed ? (
        <p class="ok" data-testid="email-confirmed">
          {t('account:profile.confirmed')}
        </p>
      ) : (
        <>
          <p class="warning" data-testid="email-unconfirmed">
            {t('account:profile.unconfirmed', { email: me.email })}
          </p>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              api('POST', '/me/confirmation-email')
                .then(() => toast(t('account:profile.resent')))
                .catch((err: unknown) => toast(errorText(err)))
                .finally(() => setBusy(false));
            }}
          >
            {t('account:profile.resend')}
          </button>
        </>
      )}
      {me.consent && (
        <p class="muted" data-testid="consent">
          {t('account:profile.consent', { version: me.consent.policyVersion, when: dateTime(me.consent.at, me.timeZone) })}{' '}
          <a href="/privacy">{t('account:privacy.title')}</a>
        </p>
      )}
    </section>
  );
}

function Password({ me }: { me: UserView }) {
  const form = useForm(
    async (data) => {
      adopt(
        await apiParsed(sessionView, 'POST', '/me/password', {
          currentPassword: text(data, 'currentPassword'),
          newPassword: text(data, 'newPassword'),
        }),
      );
      (document.getElementById('password') as HTMLFormElement | null)?.reset();
      toast(t('account:profile.changed'));
    },
    { newPassword: t('account:signUp.passwordHint') },
  );
  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">{t('account:profile.password')}</h2>
      {me.hasPassword ? (
        <form id="password" onSubmit={form.onSubmit} aria-labelledby="password-title" noValidate>
          <Field
            form={form}
            name="currentPassword"
            label={t('account:profile.current')}
            type="password"
            autocomplete="current-password"
            required
          />
          <Field form={form} name="newPassword" label={t('account:profile.next')} type="password" autocomplete="new-password" required />
          <FormError form={form} />
          <SubmitButton form={form} class="">
            {t('account:profile.change')}
          </SubmitButton>
        </form>
      ) : (
        <p>
          {t('account:profile.noPassword')} <a href="/forgot-password">{t('account:signIn.forgot')}</a>
        </p>
      )}
    </section>
  );
}

function MyData() {
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const data = await api('GET', '/me/personal-data');
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'lectern-personal-data.json';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toast(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="data-title">
      <h2 id="data-title">{t('account:profile.data')}</h2>
      <p>{t('account:profile.dataText')}</p>
      <button type="button" data-testid="download-data" disabled={busy} onClick={() => void download()}>
        {t('account:profile.download')}
      </button>
    </section>
  );
}

function DeleteAccount({ me }: { me: UserView }) {
  const form = useForm(
    async (data) => {
      if (data.get('understood') !== 'yes') {
        // Nothing is sent until the box is ticked: the refusal is the page's own, beside the box.
        throw new ApiError(400, 'invalid_request', 'not confirmed', [{ path: 'understood', message: '' }]);
      }
      const password = text(data, 'password');
      await api('POST', '/me/deletion', me.hasPassword ? { password } : {});
      await signOut();
      toast(t('account:profile.deleted'));
      location.assign('/');
    },
    { understood: t('account:profile.deleteConfirmNeeded') },
  );
  return (
    <section class="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">{t('account:profile.delete')}</h2>
      <p>{t('account:profile.deleteText')}</p>
      <form id="delete-account" onSubmit={form.onSubmit} aria-labelledby="delete-title" noValidate>
        {me.hasPassword && (
          <Field
            form={form}
            name="password"
            label={t('account:profile.deletePassword')}
            type="password"
            autocomplete="current-password"
            required
          />
        )}
        <CheckField form={form} name="understood">
          {t('account:profile.deleteConfirm')}
        </CheckField>
        <FormError form={form} />
        <SubmitButton form={form} class="danger">
          {t('account:profile.deleteSubmit')}
        </SubmitButton>
      </form>
    </section>
  );
}

export default function ProfilePage() {
  const signedIn = who.value?.userId ?? null;
  const [me, setMe] = useState<UserView | null>(null);
  useTitle(t('account:profile.title'));
  useEffect(() => {
    if (!signedIn) return;
    apiParsed(userView, 'GET', '/me')
      .then(setMe)
      .catch((err: unknown) => toast(errorText(err)));
  }, [signedIn]);
  void lang.value;
  if (!signedIn) {
    return (
      <div class="page narrow account-page">
        <h1>{t('account:profile.title')}</h1>
        <p>
          {t('account:profile.needSignIn')} <a href={signInHref('/profile')}>{t('auth.signIn')}</a>
        </p>
      </div>
    );
  }
  return (
    <div class="page narrow account-page">
      <h1>{t('account:profile.title')}</h1>
      {!me ? (
        <p role="status">{t('account:profile.loading')}</p>
      ) : (
        <>
          <Details me={me} onSaved={setMe} />
          <Email me={me} />
          <Password me={me} />
          <MyData />
          <DeleteAccount me={me} />
        </>
      )}
    </div>
  );
}
