import { useEffect, useState } from 'preact/hooks';
import { PORTFOLIO_IMAGE_MAX_BYTES, profileView, type ProfileLink, type ProfileView } from '../../../../server/protocol/portfolios';
import { ApiError, apiParsed, api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';
import { Loading, LoadFailed } from '../../kit/load-states';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { who } from '../../session';
import { CheckField, SelectField } from '../account/fields';
import { PortfolioItems } from './portfolio-items';
import '../../styles/people.css';

// Where a lecturer or designer edits their public profile (/workspace/profile), and where
// staff edit anyone's (/workspace/profile/<user id>), marking designers there too.

const isStaff = () => who.value?.roles.includes('admin') ?? false;

/** "Label | https://…" a line; the 1-based number of the first line that is not. */
function parseLinks(source: string): { links: ProfileLink[] } | { badLine: number } {
  const links: ProfileLink[] = [];
  const lines = source.split('\n');
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const bar = line.lastIndexOf('|');
    const label = line.slice(0, bar).trim();
    const url = line.slice(bar + 1).trim();
    if (bar < 0 || !label || !/^https?:\/\/\S+$/i.test(url)) return { badLine: i + 1 };
    links.push({ label, url });
  }
  return { links };
}

/** A refused link (links.2.url) is shown beside the links box. */
function onLinksField(err: unknown): never {
  if (err instanceof ApiError && err.fieldIssues.some((i) => i.path.startsWith('links'))) {
    throw new ApiError(400, 'invalid_request', err.message, [
      ...err.fieldIssues.filter((i) => !i.path.startsWith('links')),
      { path: 'links', message: 'invalid' },
    ]);
  }
  throw err;
}

function Details({ profile, onSaved }: { profile: ProfileView; onSaved: (p: ProfileView) => void }) {
  const staff = isStaff();
  const form = useForm(
    async (data) => {
      const links = parseLinks(text(data, 'links'));
      if ('badLine' in links)
        throw new ApiError(400, 'invalid_request', 'links', [
          { path: 'links', message: t('people:editor.linksBad', { line: links.badLine }) },
        ]);
      const slug = text(data, 'slug').trim();
      const saved = await apiParsed(profileView, 'PATCH', `/profiles/${profile.userId}`, {
        slug: slug === '' ? null : slug,
        headline: text(data, 'headline'),
        bio: text(data, 'bio'),
        bioFormat: text(data, 'bioFormat'),
        links: links.links,
        hidden: data.get('hidden') === 'yes',
        ...(staff ? { designer: data.get('designer') === 'yes' } : {}),
      }).catch(onLinksField);
      onSaved(saved);
      toast(t('people:editor.saved'));
    },
    { slug: t('people:editor.slugHint'), links: t('people:editor.links') },
  );
  const bioId = `${form.id}-bio`;
  const linksId = `${form.id}-links`;
  return (
    <form class="card" onSubmit={form.onSubmit} aria-labelledby="pf-details" noValidate data-testid="profile-form">
      <h2 id="pf-details">{t('people:editor.details')}</h2>
      <Field
        form={form}
        name="slug"
        label={t('people:editor.slug')}
        value={profile.slug ?? ''}
        maxLength={40}
        aria-describedby={`${form.id}-slug-hint`}
      />
      <p class="muted hint" id={`${form.id}-slug-hint`}>
        {t('people:editor.slugHint')}
      </p>
      <Field form={form} name="headline" label={t('people:editor.headline')} value={profile.headline} maxLength={200} />
      <div class={`field${form.errors.bio ? ' invalid' : ''}`}>
        <label for={bioId}>{t('people:editor.bio')}</label>
        <textarea id={bioId} name="bio" rows={6} maxLength={5000} value={profile.bio} />
        {form.errors.bio && <p class="field-error">{form.errors.bio}</p>}
      </div>
      <SelectField form={form} name="bioFormat" label={t('people:editor.bioFormat')} value={profile.bioFormat}>
        <option value="text">{t('people:editor.formatText')}</option>
        <option value="markdown">{t('people:editor.formatMarkdown')}</option>
      </SelectField>
      <div class={`field${form.errors.links ? ' invalid' : ''}`}>
        <label for={linksId}>{t('people:editor.links')}</label>
        <textarea
          id={linksId}
          name="links"
          rows={3}
          value={profile.links.map((l) => `${l.label} | ${l.url}`).join('\n')}
          aria-invalid={form.errors.links ? 'true' : undefined}
          aria-describedby={form.errors.links ? `${linksId}-error` : undefined}
        />
        {form.errors.links && (
          <p class="field-error" id={`${linksId}-error`}>
            {form.errors.links}
          </p>
        )}
      </div>
      <Checked form={form} name="hidden" checked={profile.hidden}>
        {t('people:editor.hidden')}
      </Checked>
      {staff && (
        <Checked form={form} name="designer" checked={profile.designer}>
          {t('people:editor.designer')}
        </Checked>
      )}
      <FormError form={form} />
      <SubmitButton form={form}>{t('people:editor.save')}</SubmitButton>
    </form>
  );
}

/** CheckField starts unchecked; the profile's value is set once it is in the page. */
function Checked({
  form,
  name,
  checked,
  children,
}: {
  form: ReturnType<typeof useForm>;
  name: string;
  checked: boolean;
  children: string;
}) {
  useEffect(() => {
    const box = document.getElementById(`${form.id}-${name}`) as HTMLInputElement | null;
    if (box) box.checked = checked;
  }, [checked]);
  return (
    <CheckField form={form} name={name}>
      {children}
    </CheckField>
  );
}

/** An image file from an <input type=file>, refused here already when over the limit. */
function chosenFile(input: HTMLInputElement): File | null {
  const file = input.files?.[0] ?? null;
  if (file && file.size > PORTFOLIO_IMAGE_MAX_BYTES) {
    toast(t('people:editor.tooBig'));
    input.value = '';
    return null;
  }
  return file;
}

function Photo({ profile, onChange }: { profile: ProfileView; onChange: (p: ProfileView) => void }) {
  const [busy, setBusy] = useState(false);
  const upload = async (input: HTMLInputElement) => {
    const file = chosenFile(input);
    if (!file) return;
    setBusy(true);
    try {
      onChange(await apiParsed(profileView, 'PUT', `/profiles/${profile.userId}/photo`, file));
      toast(t('people:editor.photoSaved'));
    } catch (err) {
      toast(errorText(err));
    } finally {
      input.value = '';
      setBusy(false);
    }
  };
  const photo = profile.photo?.[1] ?? profile.photo?.[0];
  return (
    <section class="card" aria-labelledby="pf-photo">
      <h2 id="pf-photo">{t('people:editor.photo')}</h2>
      {photo ? (
        <img class="person-photo" src={photo.url} width={160} height={160} alt="" data-testid="editor-photo" />
      ) : (
        <p class="muted">{t('people:editor.noPhoto')}</p>
      )}
      <div class="field">
        <label for="pf-photo-file">{t('people:editor.choosePhoto')}</label>
        <input
          id="pf-photo-file"
          type="file"
          accept="image/jpeg,image/png,image/webp"
          disabled={busy}
          aria-describedby="pf-photo-hint"
          data-testid="photo-file"
          onChange={(e) => void upload(e.currentTarget)}
        />
        <p class="muted hint" id="pf-photo-hint">
          {t('people:editor.photoHint')}
        </p>
      </div>
      {profile.photo && (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void api('DELETE', `/profiles/${profile.userId}/photo`).then(
              () => onChange({ ...profile, photo: null }),
              (err: unknown) => toast(errorText(err)),
            )
          }
        >
          {t('people:editor.removePhoto')}
        </button>
      )}
    </section>
  );
}

function AddItem({ profile, onChange }: { profile: ProfileView; onChange: (p: ProfileView) => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="pf-add"
      data-testid="add-item"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const input = form.elements.namedItem('file') as HTMLInputElement;
        const file = chosenFile(input);
        if (!file) return;
        const caption = (form.elements.namedItem('caption') as HTMLInputElement).value;
        setBusy(true);
        apiParsed(profileView, 'POST', `/profiles/${profile.userId}/items?caption=${encodeURIComponent(caption)}`, file)
          .then((saved) => {
            onChange(saved);
            form.reset();
            toast(t('people:editor.added'));
          })
          .catch((err: unknown) => toast(errorText(err)))
          .finally(() => setBusy(false));
      }}
    >
      <h3>{t('people:editor.addItem')}</h3>
      <div class="field">
        <label for="pf-item-file">{t('people:editor.file')}</label>
        <input id="pf-item-file" name="file" type="file" accept="image/jpeg,image/png,image/webp" required data-testid="item-file" />
      </div>
      <div class="field">
        <label for="pf-item-caption">{t('people:editor.caption')}</label>
        <input id="pf-item-caption" name="caption" maxLength={300} data-testid="new-caption" />
      </div>
      <button type="submit" class="primary" disabled={busy} aria-busy={busy || undefined}>
        {busy ? t('people:editor.uploading') : t('people:editor.upload')}
      </button>
    </form>
  );
}

export default function ProfileEditor({ id }: { id?: string }) {
  const userId = id ?? who.value?.userId ?? null;
  const [profile, setProfile] = useState<ProfileView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!userId) return;
    setError(null);
    apiParsed(profileView, 'GET', `/profiles/${userId}`).then(setProfile, setError);
  }, [userId]);
  useTitle(profile && id ? t('people:editor.titleOf', { name: profile.displayName }) : t('people:editor.title'));

  // Staff open a learner who has no profile yet: marking them a designer gives them one.
  if (error instanceof ApiError && error.code === 'profile_not_found' && id && isStaff()) {
    return (
      <div class="page narrow">
        <h1>{t('people:editor.title')}</h1>
        <button
          type="button"
          class="primary"
          data-testid="mark-designer"
          onClick={() =>
            void apiParsed(profileView, 'PATCH', `/profiles/${id}`, { designer: true }).then(setProfile, (err: unknown) =>
              toast(errorText(err)),
            )
          }
        >
          {t('people:editor.designer')}
        </button>
      </div>
    );
  }
  if (error) return <LoadFailed error={error} back={{ href: '/workspace', label: t('nav.workspace') }} />;
  if (!profile) return <Loading text={t('people:loading')} />;
  return (
    <div class="page narrow profile-editor" data-testid="profile-editor">
      <h1>{id ? t('people:editor.titleOf', { name: profile.displayName }) : t('people:editor.title')}</h1>
      <p>{t('people:editor.intro')}</p>
      <p>
        <a href={`/people/${profile.slug ?? profile.userId}`} data-testid="view-profile">
          {t('people:editor.view')}
        </a>
      </p>
      <Details profile={profile} onSaved={setProfile} />
      <Photo profile={profile} onChange={setProfile} />
      <section class="card" aria-labelledby="pf-items">
        <h2 id="pf-items">{t('people:editor.items')}</h2>
        <p class="muted">{t('people:editor.itemsHint')}</p>
        <PortfolioItems profile={profile} onChange={setProfile} />
        <AddItem profile={profile} onChange={setProfile} />
      </section>
    </div>
  );
}
