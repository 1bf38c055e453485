// Profiles and portfolios as the domain sees them: no Express, no mongoose, no sharp.
import type { ProfileLink } from '../protocol/portfolios';

/** One stored rendition of an image: a file under the owner's folder, and its size. */
export interface StoredImage {
  file: string;
  width: number;
  height: number;
}

export interface PortfolioItem {
  id: string;
  caption: string;
  /** Smallest first. */
  images: StoredImage[];
}

export interface Profile {
  /** The owner's user id: one profile per user. */
  userId: string;
  slug: string | null;
  headline: string;
  bio: string;
  bioFormat: 'text' | 'markdown';
  links: ProfileLink[];
  hidden: boolean;
  /** Marked by staff: a designer of the fashion track (who may have a profile without being a lecturer). */
  designer: boolean;
  /** Smallest first; null without a photo. */
  photo: StoredImage[] | null;
  /** In the order the owner gave them. */
  items: PortfolioItem[];
  createdAt: Date;
  updatedAt: Date;
}

export type ProfileFields = Partial<Pick<Profile, 'slug' | 'headline' | 'bio' | 'bioFormat' | 'links' | 'hidden' | 'designer'>>;

/** What search indexes of a public profile (see listPublic). */
export interface PublicProfileEntry {
  userId: string;
  slug: string | null;
  headline: string;
  bio: string;
  designer: boolean;
  captions: string[];
  updatedAt: Date;
}

export interface ProfileRepository {
  get(userId: string): Promise<Profile | null>;
  findBySlug(slug: string): Promise<Profile | null>;
  /** Creates the profile with these fields when there is none. Throws ConflictError('profile_slug_taken'). */
  upsert(userId: string, fields: ProfileFields): Promise<Profile>;
  /** Sets the photo; returns the one it replaced (its files are the caller's to delete). */
  setPhoto(userId: string, photo: StoredImage[] | null): Promise<StoredImage[] | null>;
  /** Appends an item while the profile has fewer than `max`; false when it is full. */
  addItem(userId: string, item: PortfolioItem, max: number): Promise<boolean>;
  setCaption(userId: string, itemId: string, caption: string): Promise<Profile | null>;
  /** Removes an item; returns it (its files are the caller's to delete), or null when there was none. */
  removeItem(userId: string, itemId: string): Promise<PortfolioItem | null>;
  /** Puts the items in this order; false unless the ids are exactly the profile's items. */
  reorder(userId: string, itemIds: string[]): Promise<boolean>;
  /** Public profiles (not hidden), with their items' captions: the search index's source. */
  listPublic(limit: number, afterUserId?: string): Promise<PublicProfileEntry[]>;
  /** Profiles written at or after `since` (hidden ones too), oldest first: the search index's catch-up. */
  changedSince(since: Date, limit: number): Promise<Profile[]>;
}
