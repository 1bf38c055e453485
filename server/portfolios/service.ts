import { randomBytes } from 'node:crypto';
import { has, type Actor } from '../accounts/grants';
import type { UserRepository } from '../accounts/model';
import type { CourseRepository } from '../courses/model';
import { renderMarkdown } from '../courses/markdown';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { Logger } from '../logger';
import type { ProfileView, UpdateProfileBody } from '../protocol/portfolios';
import { PORTFOLIO_MAX_ITEMS } from '../protocol/portfolios';
import type { RecordingRepository } from '../recordings/model';
import type { SeminarRepository } from '../seminars/model';
import type { ProfileImageFiles } from './files';
import { itemRenditions, photoRenditions } from './images';
import type { Profile, ProfileRepository, StoredImage } from './model';

export interface PortfolioDeps {
  profiles: ProfileRepository;
  users: Pick<UserRepository, 'findById'>;
  seminars: Pick<SeminarRepository, 'list'>;
  courses: Pick<CourseRepository, 'list'>;
  recordings: Pick<RecordingRepository, 'latestReady'>;
  files: ProfileImageFiles;
  logger: Logger;
}

/** How many of the person's seminars and courses the page lists. */
const LISTED = 20;

const empty = (userId: string): Profile => ({
  userId,
  slug: null,
  headline: '',
  bio: '',
  bioFormat: 'text',
  links: [],
  hidden: false,
  designer: false,
  photo: null,
  items: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

/** Staff edit anyone's profile and mark designers; the same grant that manages accounts. */
const isStaff = (actor: Actor) => has(actor, 'users:manage');

/**
 * Lecturers' and designers' public profiles. A lecturer has one by being a lecturer (the page
 * exists before they write anything); a designer of the fashion track is marked by staff with
 * the profile's `designer` flag, which grants nothing else (so it is no role).
 */
export class PortfolioService {
  constructor(private readonly deps: PortfolioDeps) {}

  async view(actor: Actor, ref: string): Promise<ProfileView> {
    const profile = /^[0-9a-f]{24}$/.test(ref) ? await this.deps.profiles.get(ref) : await this.deps.profiles.findBySlug(ref.toLowerCase());
    const userId = profile?.userId ?? (/^[0-9a-f]{24}$/.test(ref) ? ref : null);
    const notFound = () => new NotFoundError('profile_not_found', 'No such profile');
    if (!userId) throw notFound();
    const user = await this.deps.users.findById(userId);
    const lecturer = user?.roles.includes('lecturer') ?? false;
    if (!user || user.disabled || (!lecturer && !profile?.designer)) throw notFound();
    const editable = this.mayEdit(actor, userId);
    if (profile?.hidden && !editable) throw notFound();
    return this.toView(profile ?? empty(userId), user.displayName, lecturer, editable);
  }

  async update(actor: Actor, userId: string, body: UpdateProfileBody): Promise<ProfileView> {
    if (body.designer !== undefined && !isStaff(actor)) throw new ForbiddenError('designer_staff_only', 'Only staff mark designers');
    await this.editable(actor, userId, body.designer === true);
    await this.deps.profiles.upsert(userId, body);
    return this.view(actor, userId);
  }

  async setPhoto(actor: Actor, userId: string, bytes: Buffer): Promise<ProfileView> {
    await this.editable(actor, userId);
    const stored = await this.deps.files.write(userId, await photoRenditions(bytes));
    let replaced: StoredImage[] | null;
    try {
      await this.deps.profiles.upsert(userId, {});
      replaced = await this.deps.profiles.setPhoto(userId, stored);
    } catch (err) {
      await this.deps.files.remove(userId, stored);
      throw err;
    }
    if (replaced) await this.removeFiles(userId, replaced);
    return this.view(actor, userId);
  }

  async removePhoto(actor: Actor, userId: string): Promise<void> {
    await this.editable(actor, userId);
    const replaced = (await this.deps.profiles.get(userId)) ? await this.deps.profiles.setPhoto(userId, null) : null;
    if (replaced) await this.removeFiles(userId, replaced);
  }

  async addItem(actor: Actor, userId: string, bytes: Buffer, caption: string): Promise<ProfileView> {
    await this.editable(actor, userId);
    const full = () => new ConflictError('portfolio_full', `A portfolio holds at most ${PORTFOLIO_MAX_ITEMS} images`);
    // Checked before the costly decoding too, not only by the write.
    if (((await this.deps.profiles.get(userId))?.items.length ?? 0) >= PORTFOLIO_MAX_ITEMS) throw full();
    const images = await this.deps.files.write(userId, await itemRenditions(bytes));
    let added: boolean;
    try {
      await this.deps.profiles.upsert(userId, {});
      added = await this.deps.profiles.addItem(userId, { id: randomBytes(12).toString('hex'), caption, images }, PORTFOLIO_MAX_ITEMS);
    } catch (err) {
      await this.deps.files.remove(userId, images);
      throw err;
    }
    if (!added) {
      await this.deps.files.remove(userId, images);
      throw full();
    }
    return this.view(actor, userId);
  }

  async setCaption(actor: Actor, userId: string, itemId: string, caption: string): Promise<ProfileView> {
    await this.editable(actor, userId);
    if (!(await this.deps.profiles.setCaption(userId, itemId, caption))) throw itemNotFound();
    return this.view(actor, userId);
  }

  async removeItem(actor: Actor, userId: string, itemId: string): Promise<void> {
    await this.editable(actor, userId);
    const removed = await this.deps.profiles.removeItem(userId, itemId);
    if (!removed) throw itemNotFound();
    await this.removeFiles(userId, removed.images);
  }

  async reorder(actor: Actor, userId: string, itemIds: string[]): Promise<ProfileView> {
    await this.editable(actor, userId);
    if (!(await this.deps.profiles.reorder(userId, itemIds)))
      throw new BadRequestError('items_mismatch', 'itemIds must list every item of the portfolio exactly once');
    return this.view(actor, userId);
  }

  private mayEdit(actor: Actor, userId: string): boolean {
    return actor.kind === 'user' && (actor.userId === userId || isStaff(actor));
  }

  /** The caller may edit this profile, and its owner may have one (a lecturer, or a designer). */
  private async editable(actor: Actor, userId: string, markingDesigner = false): Promise<void> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!this.mayEdit(actor, userId)) throw new ForbiddenError('profile_not_yours', 'This profile is someone else’s');
    const user = await this.deps.users.findById(userId);
    if (!user) throw new NotFoundError('profile_not_found', 'No such profile');
    if (markingDesigner || user.roles.includes('lecturer')) return;
    if (!(await this.deps.profiles.get(userId))?.designer)
      throw new ForbiddenError('profile_not_eligible', 'Only lecturers, and designers marked by staff, have a profile');
  }

  /** A file that will not go is logged, not thrown: the document no longer points at it. */
  private async removeFiles(userId: string, images: StoredImage[]): Promise<void> {
    await this.deps.files
      .remove(userId, images)
      .catch((err: unknown) => this.deps.logger.warn({ err, userId }, 'could not remove profile images'));
  }

  private async toView(p: Profile, displayName: string, lecturer: boolean, editable: boolean): Promise<ProfileView> {
    const rendition = (image: StoredImage) => ({ url: this.deps.files.url(p.userId, image), width: image.width, height: image.height });
    const seminars = (
      await this.deps.seminars.list({ statuses: ['scheduled', 'live', 'ended'], lecturerOf: p.userId, newestFirst: true }, LISTED)
    ).items.filter((s) => editable || s.isPublic);
    const courses = (await this.deps.courses.list({ ownedBy: p.userId }, LISTED)).items.filter((c) => editable || c.published);
    const recordings = [];
    for (const s of seminars.filter((s) => s.status === 'ended')) {
      const r = await this.deps.recordings.latestReady(s.id);
      if (r) recordings.push({ seminarId: s.id, title: r.title ?? s.title, durationSeconds: r.durationSeconds });
    }
    return {
      userId: p.userId,
      slug: p.slug,
      displayName,
      headline: p.headline,
      bio: p.bio,
      bioFormat: p.bioFormat,
      bioHtml: p.bioFormat === 'markdown' ? renderMarkdown(p.bio, '') : plainTextHtml(p.bio),
      links: p.links,
      hidden: p.hidden,
      designer: p.designer,
      lecturer,
      photo: p.photo ? p.photo.map(rendition) : null,
      items: p.items.map((i) => ({ id: i.id, caption: i.caption, images: i.images.map(rendition) })),
      seminars: seminars.map((s) => ({
        id: s.id,
        title: s.title,
        startsAt: s.startsAt.toISOString(),
        timeZone: s.timeZone,
        status: s.status,
      })),
      courses: courses.map((c) => ({ id: c.id, title: c.title })),
      recordings,
      editable,
      updatedAt: p.updatedAt.getTime() === 0 ? null : p.updatedAt.toISOString(),
    };
  }
}

const itemNotFound = () => new NotFoundError('portfolio_item_not_found', 'No such portfolio item');

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Plain text as paragraphs (blank lines) and line breaks, everything escaped. */
function plainTextHtml(text: string): string {
  return text
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .map((p) => `<p>${escapeHtml(p.trim()).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}
