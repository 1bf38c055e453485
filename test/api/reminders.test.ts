import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { start } from '../../server/main';
import { createLogger } from '../../server/logger';
import { Api, cast, registerUser } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import type { Config } from '../../server/config';

const running: Lectern[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

async function boot(config: Config): Promise<Lectern> {
  const app = await start(config, createLogger('silent'));
  running.push(app);
  return app;
}

/** Wall-clock time in Moscow for an instant, as the API takes it. */
function moscowLocal(at: Date): string {
  return new Date(at.getTime() + 3 * 3_600_000).toISOString().slice(0, 16);
}

async function mails(config: Config): Promise<string[]> {
  const dir = path.join(config.dataDir, 'mail');
  // Only the seminar mails: sign-up's confirmation links (account_mail_*) land in the same folder.
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith('account_mail_'));
  return Promise.all(files.sort().map((f) => readFile(path.join(dir, f), 'utf8')));
}

describe('reminders', () => {
  it('sends the 1 h reminder exactly once, in-app and by e-mail, also across a restart', async () => {
    const config = await testConfig({ MONGODB_URI: testDatabaseUri('reminders') });
    let app = await boot(config);
    let api = Api.of(app);
    const people = await cast(api);
    const startsAt = new Date(Math.ceil((Date.now() + 50 * 60_000) / 60_000) * 60_000);
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Бухгалтерия для начинающих', track: 'Taxes', startsAt: moscowLocal(startsAt), durationMinutes: 60, capacity: 10 },
    });
    const id = created.body.id;
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token });
    const english = await registerUser(api, { locale: 'en' });
    await api.call('PUT', `/seminars/${id}/registration`, { token: english.token });

    await app.domain.notifications.tick();
    await app.domain.notifications.tick();
    const inbox = (await api.call('GET', '/me/notifications', { token: people.learner.token })).body.items;
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ kind: 'reminder_1h', seminarId: id, title: 'Через час: «Бухгалтерия для начинающих»' });
    expect(inbox[0].body).toMatch(/GMT\+3|MSK/);
    const englishInbox = (await api.call('GET', '/me/notifications', { token: english.token })).body.items;
    expect(englishInbox[0].title).toBe('In one hour: “Бухгалтерия для начинающих”');
    let sent = await mails(config);
    expect(sent).toHaveLength(2);
    expect(sent.join('\n')).toContain(`To: ${people.learner.email}`);

    await app.stop();
    running.splice(running.indexOf(app), 1);
    app = await boot(config);
    api = Api.of(app);
    await app.domain.notifications.tick();
    expect((await api.call('GET', '/me/notifications', { token: people.learner.token })).body.items).toHaveLength(1);
    sent = await mails(config);
    expect(sent).toHaveLength(2);
    expect(await app.db.connection.collection('outbox').countDocuments({ seminarId: id, status: 'sent' })).toBe(2);
  });

  it('delivers once when a sender died after claiming a message, and skips stale reminders', async () => {
    const config = await testConfig({ MONGODB_URI: testDatabaseUri('reminders-crash') });
    const app = await boot(config);
    const api = Api.of(app);
    const people = await cast(api);
    const startsAt = new Date(Math.ceil((Date.now() + 20 * 3_600_000) / 60_000) * 60_000);
    const created = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Маркетплейсы', track: 'Marketing', startsAt: moscowLocal(startsAt), durationMinutes: 60, capacity: 10 },
    });
    const id = created.body.id;
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token });
    await api.call('PUT', `/seminars/${id}/registration`, { token: people.otherLearner.token });

    // A sender claimed the learner's 24 h reminder, wrote the in-app notice, and died before marking it sent.
    const outbox = app.db.connection.collection('outbox');
    const itemId = `reminder_24h.${id}.${startsAt.getTime()}.${people.learner.id}`;
    await outbox.insertOne({
      _id: itemId as never,
      userId: people.learner.id,
      seminarId: id,
      kind: 'reminder_24h',
      dueAt: new Date(startsAt.getTime() - 86_400_000),
      seminarStartsAt: startsAt,
      status: 'sending',
      attempts: 1,
      claimedAt: new Date(Date.now() - 5 * 60_000),
    });
    await app.db.connection.collection('notifications').insertOne({
      _id: itemId as never,
      userId: people.learner.id,
      kind: 'reminder_24h',
      seminarId: id,
      title: 'x',
      body: 'x',
      createdAt: new Date(),
      readAt: null,
    });

    await app.domain.notifications.tick();
    expect((await api.call('GET', '/me/notifications', { token: people.learner.token })).body.items).toHaveLength(1);
    expect(await outbox.findOne({ _id: itemId as never })).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await mails(config)).toHaveLength(2);

    // Moving the seminar makes the old reminders stale; the next pass sends for the new time only,
    // and the notice of the move (three days on: no reminder due yet).
    await api.call('PATCH', `/seminars/${id}`, {
      token: people.lecturer.token,
      body: { startsAt: moscowLocal(new Date(startsAt.getTime() + 3 * 86_400_000)) },
    });
    await app.domain.notifications.tick();
    const kinds = (await api.call('GET', '/me/notifications', { token: people.otherLearner.token })).body.items.map(
      (n: { kind: string }) => n.kind,
    );
    expect(kinds.sort()).toEqual(['reminder_24h', 'rescheduled']);
  });

  it('tells registrants when a seminar goes live and when one is cancelled', async () => {
    const config = await testConfig({ MONGODB_URI: testDatabaseUri('reminders-live') });
    const app = await boot(config);
    const api = Api.of(app);
    const people = await cast(api);
    const make = async (title: string) => {
      const c = await api.call('POST', '/seminars', {
        token: people.lecturer.token,
        body: { title, track: 'Marketing', startsAt: '2027-06-01T12:00', durationMinutes: 60, capacity: 10 },
      });
      await api.call('POST', `/seminars/${c.body.id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
      await api.call('PUT', `/seminars/${c.body.id}/registration`, { token: people.learner.token });
      return c.body.id as string;
    };
    const live = await make('Эфир сейчас');
    const cancelled = await make('Отменённый семинар');
    await api.call('POST', `/seminars/${live}/transitions`, { token: people.lecturer.token, body: { to: 'live' } });
    await api.call('POST', `/seminars/${cancelled}/transitions`, { token: people.lecturer.token, body: { to: 'cancelled' } });
    await app.domain.notifications.tick();
    const kinds = (await api.call('GET', '/me/notifications', { token: people.learner.token })).body.items.map(
      (n: { kind: string; seminarId: string }) => `${n.kind}:${n.seminarId}`,
    );
    expect(kinds.sort()).toEqual([`cancelled:${cancelled}`, `live_now:${live}`].sort());
  });
});
