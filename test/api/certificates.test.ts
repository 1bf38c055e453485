import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';

// Completion as a moment and the certificate it issues: once under concurrent checks (two
// nodes' flushes at once), the webhooks queued exactly once, the PDF parsed back, the public
// verification that says nothing about the learner, revocation and re-issue, and who may do what.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('certificates', { PROGRESS_FLUSH_MS: '60000', WEBHOOK_ALLOW_PRIVATE: 'true' });
  api = Api.of(app);
  people = await cast(api);
  // Subscribed to both events: its messages are what is counted (port 9: nothing answers, delivery is not the point).
  const hook = await api.call('POST', '/webhooks', {
    token: people.admin.token,
    body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['course.completed', 'certificate.issued'] },
  });
  expect(hook.status).toBe(201);
});
afterAll(() => app?.stop());

/** A published course of one 60 s text lesson, owned by the lecturer. */
async function course(title = 'Налоги для ИП') {
  const c = await api.call('POST', '/courses', {
    token: people.lecturer.token,
    body: { title, track: 'Финансы', completionThreshold: 0.9 },
  });
  const s = await api.call('PUT', `/courses/${c.body.id}/structure`, {
    token: people.lecturer.token,
    body: { modules: [{ title: 'Всё', lessons: [{ kind: 'text', title: 'УСН', body: 'Текст', durationSeconds: 60 }] }] },
  });
  await api.call('PUT', `/courses/${c.body.id}/publication`, { token: people.lecturer.token, body: { published: true } });
  return { id: c.body.id as string, lesson: s.body.modules[0].lessons[0].id as string };
}

async function enrolAndRead(user: TestUser, c: { id: string; lesson: string }) {
  expect((await api.call('PUT', `/courses/${c.id}/enrolment`, { token: user.token })).status).toBe(204);
  const hb = await api.call('POST', '/progress/heartbeats', {
    token: user.token,
    body: { contentId: c.lesson, intervals: [[0, 60]], position: 60, durationSeconds: 60, sentAt: Date.now() },
  });
  expect(hb.status).toBe(202);
}

const messages = (eventType: string, key: string) =>
  app.db.connection.collection('webhook_messages').countDocuments({ eventType, body: { $regex: key } });

async function pdfText(bytes: Uint8Array): Promise<string> {
  const doc = await getDocument({ data: bytes, useSystemFonts: false }).promise;
  const page = await doc.getPage(1);
  const text = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
  await doc.destroy();
  return text;
}

describe('course completion and the certificate', () => {
  it('a flush completes the course: recorded once, one certificate, each webhook queued once, even under concurrent checks', async () => {
    const c = await course();
    const learner = await registerUser(api, { displayName: 'Анна Кузнецова' });
    await enrolAndRead(learner, c);
    // The flush queues the check in the background; three more race it, as other nodes' flushes
    // (or a passed quiz's hook) would: the unique indexes let one of them record and issue.
    await app.domain.progress.flush();
    const checks = await Promise.all([
      app.domain.completions.check(learner.id, c.id),
      app.domain.completions.check(learner.id, c.id),
      app.domain.completions.check(learner.id, c.id),
      app.domain.completions.idle().then(() => true),
    ]);
    expect(checks).toEqual([true, true, true, true]);
    const db = app.db.connection;
    expect(await db.collection('course_completions').countDocuments({ courseId: c.id, userId: learner.id })).toBe(1);
    expect(await db.collection('certificates').countDocuments({ courseId: c.id, userId: learner.id })).toBe(1);
    expect(await messages('course.completed', c.id)).toBe(1);
    expect(await messages('certificate.issued', c.id)).toBe(1);
    // The webhook bodies hold ids and public facts, never the learner's name or e-mail.
    const bodies = (
      await db
        .collection('webhook_messages')
        .find({ body: { $regex: c.id } })
        .toArray()
    ).map((m) => String(m.body));
    for (const body of bodies) {
      expect(body).toContain(learner.id);
      expect(body).not.toContain('Анна');
      expect(body).not.toContain(learner.email);
    }

    const mine = await api.call('GET', '/me/certificates', { token: learner.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([
      expect.objectContaining({ courseId: c.id, courseTitle: 'Налоги для ИП', status: 'valid', generation: 0, hours: 0.1 }),
    ]);
    const cert = mine.body[0];
    expect(cert.verifyUrl).toBe(`${app.config.publicBaseUrl}/verify/${cert.code}`);

    // The PDF: the Cyrillic name, the course, the code; drawn the same way every time.
    const pdf = await fetch(`${app.url}/api/v1/certificates/${cert.id}/pdf`, { headers: { authorization: `Bearer ${learner.token}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await pdf.arrayBuffer());
    const text = await pdfText(bytes.slice());
    expect(text).toContain('Анна Кузнецова');
    expect(text).toContain('Налоги для ИП');
    expect(text).toContain(cert.code);
    const again = await fetch(`${app.url}/api/v1/certificates/${cert.id}/pdf`, {
      headers: { authorization: `Bearer ${people.lecturer.token}` },
    });
    expect(Buffer.from(await again.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

    // Public verification: no sign-in, and nothing about the learner.
    const verified = await api.call('GET', `/certificates/by-code/${cert.code}`);
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ status: 'valid', courseTitle: 'Налоги для ИП', issuedAt: cert.issuedAt, revokedAt: null });
    expect(verified.text).not.toContain(learner.id);
    expect(verified.text).not.toContain('Анна');
  });

  it('does not complete a course not yet watched, nor one the learner is not enrolled in', async () => {
    const c = await course('Маркетинг');
    const learner = await registerUser(api);
    expect((await api.call('PUT', `/courses/${c.id}/enrolment`, { token: learner.token })).status).toBe(204);
    await api.call('POST', '/progress/heartbeats', {
      token: learner.token,
      body: { contentId: c.lesson, intervals: [[0, 30]], position: 30, durationSeconds: 60, sentAt: Date.now() },
    });
    const stranger = await registerUser(api);
    await api.call('POST', '/progress/heartbeats', {
      token: stranger.token,
      body: { contentId: c.lesson, intervals: [[0, 60]], position: 60, durationSeconds: 60, sentAt: Date.now() },
    });
    await app.domain.progress.flush();
    await app.domain.completions.idle();
    expect(await app.domain.completions.check(learner.id, c.id)).toBe(false);
    expect(await app.domain.completions.check(stranger.id, c.id)).toBe(false);
    expect(await app.db.connection.collection('course_completions').countDocuments({ courseId: c.id })).toBe(0);
    expect(await app.db.connection.collection('certificates').countDocuments({ courseId: c.id })).toBe(0);
  });

  it('revoke: verification says revoked; re-issue: a new code, the old one stays revoked; each by staff only', async () => {
    const c = await course('Бухгалтерия');
    const learner = await registerUser(api, { displayName: 'Пётр Иванов' });
    await enrolAndRead(learner, c);
    await app.domain.progress.flush();
    await app.domain.completions.idle();
    const [cert] = (await api.call('GET', '/me/certificates', { token: learner.token })).body;

    // Who may not: the holder, another learner, another lecturer, nobody signed in.
    const revoke = (token: string | undefined, id = cert.id, reason = 'Ошибка в данных') =>
      api.call('POST', `/certificates/${id}/revocation`, { token, body: { reason } });
    expect((await revoke(undefined)).status).toBe(401);
    expect((await revoke(learner.token)).status).toBe(403);
    expect((await revoke(people.otherLecturer.token)).body.error.code).toBe('not_own_course');
    expect((await api.call('POST', `/certificates/${cert.id}/reissue`, { token: people.otherLecturer.token })).status).toBe(403);
    expect((await api.call('GET', `/courses/${c.id}/certificates`, { token: people.otherLecturer.token })).status).toBe(403);
    const pdfBy = (token: string) =>
      fetch(`${app.url}/api/v1/certificates/${cert.id}/pdf`, { headers: { authorization: `Bearer ${token}` } });
    expect((await pdfBy(people.otherLearner.token)).status).toBe(403);
    expect((await pdfBy(people.otherLecturer.token)).status).toBe(403);
    expect((await pdfBy(people.admin.token)).status).toBe(200);
    // Bad input changes nothing.
    expect((await revoke(people.lecturer.token, cert.id, '   ')).status).toBe(400);
    expect((await revoke(people.lecturer.token, 'f'.repeat(24))).body.error.code).toBe('certificate_not_found');
    expect((await api.call('GET', '/certificates/by-code/not-a-code')).status).toBe(400);
    expect((await api.call('GET', `/certificates/by-code/${'A'.repeat(24)}`)).body.error.code).toBe('certificate_not_found');
    expect((await api.call('GET', `/certificates/by-code/${cert.code}`)).body.status).toBe('valid');

    // The course's lecturer sees the list with names, and revokes.
    const list = await api.call('GET', `/courses/${c.id}/certificates`, { token: people.lecturer.token });
    expect(list.body).toEqual([expect.objectContaining({ id: cert.id, learnerName: 'Пётр Иванов', userId: learner.id })]);
    const revoked = await revoke(people.lecturer.token);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedReason: 'Ошибка в данных' });
    expect((await revoke(people.lecturer.token)).body.error.code).toBe('certificate_revoked');
    expect((await api.call('GET', `/certificates/by-code/${cert.code}`)).body).toMatchObject({ status: 'revoked' });
    expect((await pdfBy(learner.token)).status).toBe(409);

    // Re-issue (an admin): a new certificate and code, with its own webhook; the old one stays revoked.
    const reissued = await api.call('POST', `/certificates/${cert.id}/reissue`, { token: people.admin.token });
    expect(reissued.status).toBe(201);
    expect(reissued.body).toMatchObject({ status: 'valid', generation: 1, learnerName: 'Пётр Иванов' });
    expect(reissued.body.code).not.toBe(cert.code);
    expect((await api.call('GET', `/certificates/by-code/${reissued.body.code}`)).body.status).toBe('valid');
    expect((await api.call('GET', `/certificates/by-code/${cert.code}`)).body.status).toBe('revoked');
    expect((await api.call('POST', `/certificates/${cert.id}/reissue`, { token: people.admin.token })).body.error.code).toBe(
      'certificate_superseded',
    );
    expect(await messages('certificate.issued', c.id)).toBe(2);
    expect(await messages('course.completed', c.id)).toBe(1);
    // A further check issues nothing new: the learner has a certificate for the course.
    await app.domain.completions.check(learner.id, c.id);
    const all = (await api.call('GET', '/me/certificates', { token: learner.token })).body;
    expect(all.map((x: { status: string; generation: number }) => [x.generation, x.status])).toEqual([
      [1, 'valid'],
      [0, 'revoked'],
    ]);
  });

  it('the verification is rate-limited per address', async () => {
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await api.call('GET', `/certificates/by-code/${'B'.repeat(24)}`)).status;
    expect(status).toBe(429);
  });

  it('the personal-data export holds the completion and every certificate, revoked ones too; the account’s deletion erases them', async () => {
    const c = await course('Персональные данные');
    const learner = await registerUser(api, { displayName: 'Ольга Экспортова' });
    await enrolAndRead(learner, c);
    await app.domain.progress.flush();
    await app.domain.completions.idle();
    const [cert] = (await api.call('GET', '/me/certificates', { token: learner.token })).body;
    const revoked = await api.call('POST', `/certificates/${cert.id}/revocation`, {
      token: people.lecturer.token,
      body: { reason: 'Опечатка в имени' },
    });
    expect(revoked.status).toBe(200);
    const reissued = await api.call('POST', `/certificates/${cert.id}/reissue`, { token: people.admin.token });
    expect(reissued.status).toBeLessThan(300);

    const exported = await api.call('GET', '/me/personal-data', { token: learner.token });
    expect(exported.status).toBe(200);
    expect(exported.body.completions).toEqual([
      expect.objectContaining({ courseId: c.id, userId: learner.id, completedAt: expect.any(String) }),
    ]);
    const certificates = (exported.body.certificates as Array<Record<string, unknown>>).sort(
      (a, b) => Number(a.generation) - Number(b.generation),
    );
    expect(certificates).toEqual([
      expect.objectContaining({
        id: cert.id,
        code: cert.code,
        courseId: c.id,
        courseTitle: 'Персональные данные',
        learnerName: 'Ольга Экспортова',
        revokedReason: 'Опечатка в имени',
        revokedAt: expect.any(String),
      }),
      expect.objectContaining({ id: reissued.body.id, courseId: c.id, learnerName: 'Ольга Экспортова', revokedAt: null }),
    ]);
    // Whoever revoked it is staff, and their id is not the learner's data.
    for (const certificate of certificates) expect(certificate).not.toHaveProperty('revokedBy');
    // Another learner's export holds none of them.
    const other = await api.call('GET', '/me/personal-data', { token: people.otherLearner.token });
    expect(JSON.stringify(other.body)).not.toContain(cert.code);

    expect((await api.call('POST', '/me/deletion', { token: learner.token, body: { password: 'correct horse battery' } })).status).toBe(
      204,
    );
    const db = app.db.connection;
    expect(await db.collection('certificates').countDocuments({ userId: learner.id })).toBe(0);
    expect(await db.collection('course_completions').countDocuments({ userId: learner.id })).toBe(0);
  });
});
