import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TurnCredentials, turnPassword } from '../../server/live/turn';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, codeOf, createSeminar, peerOf, registerFor, requestWithin, roomOf } from './support';

// ICE at the signalling level: TURN credentials with every transport, and
// transport:restart-ice (new ICE credentials for a transport whose path broke),
// which only the transport's owner may ask for, and not too often.

const SECRET = 'a-shared-secret-of-coturn';
const TURN_URLS = ['turn:turn.lectern.test:3478?transport=udp', 'turns:turn.lectern.test:443?transport=tcp'];

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp('live_ice', {
    MEDIASOUP_WORKERS: '1',
    TURN_URLS: ['stun:stun.lectern.test:3478', ...TURN_URLS].join(','),
    TURN_SECRET: SECRET,
    TURN_CREDENTIAL_TTL_SECONDS: '900',
  });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await app?.stop();
});

describe('TURN credentials (coturn REST API)', () => {
  it('are <expiry>:<who> with base64(HMAC-SHA1(secret, username)), valid for the TTL', () => {
    const now = 1_700_000_000_000;
    const issued = new TurnCredentials({ urls: TURN_URLS, secret: SECRET, credentialTtlSeconds: 600, forceRelay: false }, () => now).issue(
      '0123456789abcdef01234567',
    );
    // The password as `openssl dgst -sha1 -hmac <secret> -binary | base64` makes it, which is what coturn checks.
    expect(issued).toEqual({
      iceServers: [{ urls: TURN_URLS, username: '1700000600:0123456789abcdef01234567', credential: 'qE5WehSFChoFBeS5O6w2Oqm4alU=' }],
    });
    expect(turnPassword(SECRET, '1700000600:0123456789abcdef01234567')).toBe('qE5WehSFChoFBeS5O6w2Oqm4alU=');
  });

  it('keep stun: URLs apart, without credentials, and say relay when it is forced', () => {
    const issued = new TurnCredentials({
      urls: ['stun:s.example:3478', TURN_URLS[0]!],
      secret: SECRET,
      credentialTtlSeconds: 60,
      forceRelay: true,
    }).issue('x');
    expect(issued.iceServers[0]).toEqual({ urls: ['stun:s.example:3478'] });
    expect(issued.iceServers[1]!.urls).toEqual([TURN_URLS[0]]);
    expect(issued.iceTransportPolicy).toBe('relay');
  });

  it('come with every transport, in the name of the user, or of the socket for a guest', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: guest } = await clients.join(seminarId);
    const before = Math.floor(Date.now() / 1000);
    const send = await lecturer.ok('transport:create', { direction: 'send' });
    const recv = await guest.ok('transport:create', { direction: 'recv' });

    for (const [answer, who] of [
      [send, people.lecturer.id],
      [recv, guest.socket.id],
    ] as const) {
      expect(answer.iceTransportPolicy).toBeUndefined();
      expect(answer.iceServers[0]).toEqual({ urls: ['stun:stun.lectern.test:3478'] });
      const turn = answer.iceServers[1];
      expect(turn.urls).toEqual(TURN_URLS);
      const [expiry, name] = (turn.username as string).split(':');
      expect(name).toBe(who);
      expect(Number(expiry) - before).toBeGreaterThanOrEqual(900);
      expect(Number(expiry) - before).toBeLessThanOrEqual(902);
      expect(turn.credential).toBe(turnPassword(SECRET, turn.username));
    }
  });
});

describe('transport:restart-ice', () => {
  it("answers the transport's new ICE username and password, with fresh TURN credentials; the transport stays", async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    await registerFor(api, seminarId, people.learner);
    const { client } = await clients.join(seminarId, people.learner);
    const created = await client.ok('transport:create', { direction: 'recv' });
    const restarted = await client.ok('transport:restart-ice', { transportId: created.id });

    expect(restarted.iceParameters.usernameFragment).toEqual(expect.any(String));
    expect(restarted.iceParameters.usernameFragment).not.toBe(created.iceParameters.usernameFragment);
    expect(restarted.iceParameters.password).not.toBe(created.iceParameters.password);
    expect(restarted.iceServers[1].credential).toBe(turnPassword(SECRET, restarted.iceServers[1].username));
    // mediasoup's transport is the same one, now expecting the new credentials.
    const transport = peerOf(await roomOf(app, seminarId), client).transport(created.id);
    expect(transport.closed).toBe(false);
    expect(transport.iceParameters.usernameFragment).toBe(restarted.iceParameters.usernameFragment);
  });

  it("is refused for someone else's transport, an unknown one, and before joining; nothing changes", async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: owner } = await clients.join(seminarId, people.learner);
    const { client: other } = await clients.join(seminarId, people.otherLearner);
    const outsider = await clients.connect(people.otherLearner);
    const transport = await owner.ok('transport:create', { direction: 'recv' });
    const ufrag = transport.iceParameters.usernameFragment;

    expect(codeOf(await requestWithin(other, 'transport:restart-ice', { transportId: transport.id }))).toBe('transport_not_found');
    expect(codeOf(await requestWithin(other, 'transport:restart-ice', { transportId: 'no-such-transport' }))).toBe('transport_not_found');
    expect(codeOf(await requestWithin(outsider, 'transport:restart-ice', { transportId: transport.id }))).toBe('not_in_room');
    const room = await roomOf(app, seminarId);
    expect(peerOf(room, owner).transport(transport.id).iceParameters.usernameFragment).toBe(ufrag);
  });

  it('is limited to 20 a minute per transport; past it, rate_limited (429), and the transport is untouched', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client } = await clients.join(seminarId);
    const transport = await client.ok('transport:create', { direction: 'recv' });
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await client.request('transport:restart-ice', { transportId: transport.id }));
    expect(answers.slice(0, 20).every((a) => a.ok)).toBe(true);
    const refused = answers[20]!;
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const last = answers[19] as { ok: true; data: { iceParameters: { usernameFragment: string } } };
    const room = await roomOf(app, seminarId);
    expect(peerOf(room, client).transport(transport.id).iceParameters.usernameFragment).toBe(last.data.iceParameters.usernameFragment);
  });
});
