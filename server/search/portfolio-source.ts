import type { UserDirectory } from '../accounts/model';
import type { Profile, ProfileRepository } from '../portfolios/model';
import type { SearchDocument } from './search-index';
import type { SearchSource } from './source';

// Portfolios as search finds them: one document per profile that is not hidden, titled
// with its owner's name, matching the headline, the bio and the items' captions.

const PAGE = 500;

export function portfolioDoc(
  p: Pick<Profile, 'userId' | 'slug' | 'headline' | 'bio' | 'designer'>,
  captions: string[],
  name: string,
): SearchDocument {
  return {
    kind: 'portfolio',
    id: p.userId,
    title: name,
    text: `${p.headline}\n${p.bio}\n${captions.join('\n')}`,
    tags: p.designer ? ['designer'] : [],
    track: null,
    snippet: p.headline,
    url: `/people/${p.slug ?? p.userId}`,
    context: null,
    at: null,
    timeZone: null,
    audience: 'everyone',
  };
}

export function portfolioSource(
  profiles: Pick<ProfileRepository, 'get' | 'listPublic' | 'changedSince'>,
  users: Pick<UserDirectory, 'findByIds'>,
): SearchSource {
  const names = async (ids: string[]) => new Map((await users.findByIds(ids)).map((u) => [u.id, u.displayName]));
  const docsOf = async (list: Profile[]) => {
    const named = await names(list.map((p) => p.userId));
    return list.map((p) => ({
      entityId: p.userId,
      // A hidden profile, or one whose owner is gone, is found by no one.
      docs: p.hidden || !named.has(p.userId) ? [] : [portfolioDoc(p, p.items.map((i) => i.caption).filter(Boolean), named.get(p.userId)!)],
    }));
  };
  return {
    name: 'portfolios',
    kinds: ['portfolio'],
    async *loadAll() {
      let after: string | undefined;
      for (;;) {
        const page = await profiles.listPublic(PAGE, after);
        if (!page.length) return;
        const named = await names(page.map((p) => p.userId));
        yield page.map((p) => ({
          entityId: p.userId,
          docs: named.has(p.userId) ? [portfolioDoc(p, p.captions, named.get(p.userId)!)] : [],
        }));
        if (page.length < PAGE) return;
        after = page[page.length - 1]!.userId;
      }
    },
    async load(userId) {
      const p = await profiles.get(userId);
      return p ? (await docsOf([p]))[0]!.docs : [];
    },
    async changedSince(since, limit) {
      const changed = await profiles.changedSince(since, limit);
      const docs = await docsOf(changed);
      return changed.map((p, i) => ({ ...docs[i]!, updatedAt: p.updatedAt }));
    },
  };
}
