import { useEffect, useState } from 'preact/hooks';
import { profileView } from '../../../server/protocol/portfolios';
import { apiParsed } from '../kit/api';
import { loadNamespace, t } from '../kit/i18n';

// "Lecturers: A, B" on a course's page, each a link to their public profile. The course
// knows its owners' ids only; each one's profile gives the name, and an owner without a
// visible profile (hidden, or an admin who does not lecture) is simply not listed.

export function CourseLecturers({ ownerIds }: { ownerIds: string[] }) {
  const [people, setPeople] = useState<Array<{ id: string; name: string; href: string }>>([]);
  useEffect(() => {
    let live = true;
    const found = Promise.all(
      ownerIds.map((id) =>
        apiParsed(profileView, 'GET', `/profiles/${id}`).then(
          (p) => ({ id, name: p.displayName, href: `/people/${p.slug ?? p.userId}` }),
          () => null,
        ),
      ),
    );
    void Promise.all([found, loadNamespace('people')]).then(([list]) => {
      if (live) setPeople(list.filter((p) => p !== null));
    });
    return () => {
      live = false;
    };
  }, [ownerIds.join(',')]);
  if (people.length === 0) return null;
  return (
    <p data-testid="course-lecturers">
      {t('people:courseLecturers', { count: people.length })}{' '}
      {people.map((p, i) => (
        <span key={p.id}>
          {i > 0 && ', '}
          <a href={p.href} data-testid="lecturer-link">
            {p.name}
          </a>
        </span>
      ))}
    </p>
  );
}
