import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { AccountLimits } from './accounts/limits';
import { MailLinks } from './accounts/mail-links';
import { OidcSignIn } from './accounts/oidc';
import { PersonalData } from './accounts/personal-data';
import { AccountService } from './accounts/service';
import { DEFAULT_SIGN_IN_LIMITS, SignInThrottle } from './accounts/throttle';
import { TokenIssuer } from './accounts/tokens';
import type { Config } from './config';
import { AppError } from './errors';
import { CourseService } from './courses/service';
import { accountRoutes } from './http/routes/accounts';
import { learningRoutes } from './http/routes/learning';
import { seminarRoutes } from './http/routes/seminars';
import { workspaceRoutes } from './http/routes/workspace';
import { analyticsRoutes } from './http/routes/analytics';
import { AnalyticsService } from './analytics/service';
import { UserAdminService } from './accounts/admin';
import { RegistrantService } from './seminars/registrants';
import type { RouteSpec } from './http/route';
import type { Logger } from './logger';
import { createMailer } from './notifications/mailer';
import { NotificationService } from './notifications/service';
import { ProgressJournal } from './progress/journal';
import { ProgressService } from './progress/service';
import { CalendarService } from './seminars/calendar-service';
import { LiveService } from './live/service';
import { PollService } from './live/polls';
import { pollRoutes } from './http/routes/polls';
import { slideRoutes } from './http/routes/slides';
import { createSlides } from './slides';
import {
  downloadFileName,
  finalizePlaylist,
  packageHls,
  probeVideo,
  pruneCuts,
  remuxToMp4,
  replayPlaylistName,
  writeReplayCut,
  cutKey,
  playlistStartPts,
} from '../media';
import { makePoster } from './recordings/controller';
import { RecordingLibrary } from './recordings/library';
import { RecordingService } from './recordings/service';
import { MediaUrlSigner } from './recordings/signing';
import { recordingRoutes } from './http/routes/recordings';
import { uploadRoutes } from './http/routes/uploads';
import { TusIncomingFiles } from './uploads/incoming';
import { UploadService } from './uploads/service';
import { uploadTitle } from './uploads/model';
import { SeminarService, type SeminarEvents } from './seminars/service';
import type { Seminar } from './seminars/model';
import type { Repositories } from './store';
import type { RateLimits } from './rate-limits';
import { createWebhooks } from './webhooks';
import { createCertificates } from './certificates';
import { webhookRoutes } from './http/routes/webhooks';
import { QuizService } from './quizzes/service';
import { quizRoutes } from './http/routes/quizzes';
import { createPortfolios } from './portfolios';
import { portfolioRoutes } from './http/routes/portfolios';
import { createSearch } from './search';
import { SubtitleService } from './subtitles/service';
import { subtitleRoutes } from './http/routes/subtitles';
import { EncoreService } from './seminars/encores';
import { EncorePolls } from './seminars/encore-polls';
import { encoreRoutes } from './http/routes/encores';

/** The domain services on their repositories, plus the REST routes over them. */
export function createDomain(config: Config, stored: Repositories, logger: Logger, limits: RateLimits, nodeId: string) {
  // Before any service: seminars and courses are written through repositories that tell the search index.
  const search = createSearch(config, stored, logger.child({ component: 'search' }));
  const repos = search.repos;
  const tokens = new TokenIssuer(config.jwtSecret);
  const mailer = createMailer({
    ...(config.smtpUrl ? { smtpUrl: config.smtpUrl } : {}),
    from: config.mailFrom,
    mailDir: path.join(config.dataDir, 'mail'),
  });
  const notifications = new NotificationService({
    outbox: repos.outbox,
    notifications: repos.notifications,
    seminars: repos.seminars,
    registrations: repos.registrations,
    users: repos.users,
    mailer,
    publicBaseUrl: config.publicBaseUrl,
    logger: logger.child({ component: 'notifications' }),
  });
  const webhooks = createWebhooks({
    config,
    endpoints: repos.webhookEndpoints,
    messages: repos.webhookMessages,
    users: repos.users,
    notifications: repos.notifications,
    logger: logger.child({ component: 'webhooks' }),
  });
  const accountLimits = new AccountLimits(limits);
  const mailLinks = new MailLinks({
    users: repos.users,
    accountTokens: repos.accountTokens,
    refreshTokens: repos.refreshTokens,
    limits: accountLimits,
    send: (id, userId, mail) => notifications.accountMail(id, userId, mail),
    publicBaseUrl: config.publicBaseUrl,
    onMailError: (err) => logger.error({ err }, 'could not queue a password-reset mail'),
  });
  const accounts = new AccountService({
    users: repos.users,
    refreshTokens: repos.refreshTokens,
    tokens,
    throttle: new SignInThrottle(limits, { ...DEFAULT_SIGN_IN_LIMITS, registrationsPerIp: config.registrationsPerIpPerHour }),
    limits: accountLimits,
    mailLinks,
    policyVersion: config.privacyPolicy.version,
  });
  const oidc = new OidcSignIn({
    ...(config.oidc ? { settings: config.oidc } : {}),
    redirectUri: `${config.publicBaseUrl}/sign-in/oidc`,
    secret: `${config.jwtSecret}:oidc`,
    users: repos.users,
    accounts,
    limits: accountLimits,
    logger: logger.child({ component: 'oidc' }),
  });
  const mediaSigner = new MediaUrlSigner(`${config.jwtSecret}:media`);
  const subtitles = new SubtitleService({
    recordings: repos.recordings,
    // The library is made below; only a request calls this.
    managed: (actor, id) => library.managed(actor, id),
    recordingsDir: config.recordingsDir,
    replayPlaylist: replayPlaylistName,
    cutKey,
    startPts: (playlist) => playlistStartPts(config.ffmpegBin, playlist),
    logger: logger.child({ component: 'subtitles' }),
  });
  // eslint-disable-next-line prefer-const -- the closures below read it; it is assigned once the services it needs exist
  let courses: CourseService | undefined;
  const movedListeners: Array<(seminar: Seminar) => Promise<unknown>> = [];
  const moved = async (s: Seminar) => {
    for (const listener of movedListeners) await listener(s);
  };
  const events: SeminarEvents = {
    live: async (s, opts) => {
      if (!opts?.missed) await notifications.live(s);
      await webhooks.seminarLive(s);
      await moved(s);
    },
    cancelled: async (s, users) => {
      await notifications.cancelled(s, users);
      await moved(s);
    },
    moved: (s, users) => notifications.moved(s, users),
    promoted: (s, user) => notifications.promoted(s, user),
    ended: async (s) => {
      await webhooks.seminarEnded(s);
      await moved(s);
    },
    scheduled: webhooks.seminarScheduled,
    registered: webhooks.registrationCreated,
  };
  const seminars = new SeminarService({
    seminars: repos.seminars,
    registrations: repos.registrations,
    users: repos.users,
    events,
    canAttachToCourse: (actor, courseId) => courses!.canAttach(actor, courseId),
  });
  const progressLog = logger.child({ component: 'progress' });
  const progress = new ProgressService({
    repo: repos.progress,
    contentExists: cachePositive(async (id) => {
      const seminar = await repos.seminars.get(id);
      if (seminar) return seminar.status !== 'draft' && seminar.status !== 'cancelled';
      return courses!.lessonVisible(id);
    }),
    flushIntervalMs: config.progressFlushMs,
    journal: new ProgressJournal(path.join(config.dataDir, 'progress-journal')),
    onFlushError: (err) => progressLog.error({ err }, 'progress flush failed; will retry'),
    onJournal: (event) => {
      if (event.unreadable?.length)
        progressLog.error({ files: event.unreadable }, 'progress journal files that do not parse were set aside');
      if (event.written)
        progressLog.warn({ file: event.written, records: event.records }, 'database unreachable: buffered progress journaled to disk');
      if (event.replayed) progressLog.info({ files: event.replayed, records: event.records }, 'replaying the progress journal');
      if (event.removed) progressLog.info({ files: event.removed }, 'progress journal written to the database and removed');
    },
  });
  courses = new CourseService({
    courses: repos.courses,
    enrolments: repos.enrolments,
    seminars: repos.seminars,
    progress,
    // What the replay plays: after a cut, the cut's length.
    recordingDuration: async (seminarId) => (await repos.recordings.latestReady(seminarId))?.durationSeconds ?? null,
    // Seminars' recordings; an uploaded video (no seminar) is offered by uploadsBy, as an upload lesson.
    unattachedRecordings: async (limit) =>
      (await repos.recordings.listUnattached(limit, await repos.courses.seminarIdsUsed())).flatMap((r) =>
        r.seminarId === null ? [] : [{ ...r, seminarId: r.seminarId }],
      ),
    uploadsBy: async (uploaderIds, limit) => {
      const recordings = await repos.recordings.listUploadsBy(uploaderIds, limit);
      const jobs = await repos.uploads.listByRecordingIds(recordings.filter((r) => r.title === null).map((r) => r.id));
      const fileNames = new Map(jobs.map((j) => [j.recordingId, j.fileName]));
      return recordings.map((r) => ({
        id: r.id,
        title: uploadTitle(r.title, fileNames.get(r.id), r.startedAt),
        startedAt: r.startedAt,
        durationSeconds: r.durationSeconds,
      }));
    },
    uploadedRecording: async (recordingId) => {
      const r = await repos.recordings.get(recordingId);
      return r?.origin === 'upload' && r.status === 'ready' && r.uploaderId
        ? { uploaderId: r.uploaderId, durationSeconds: r.durationSeconds }
        : null;
    },
    presence: repos.audience,
    quizzes: repos.quizzes,
    recordingAttached: async (recordingId, lessonId) => {
      if ((await repos.recordings.get(recordingId))?.lessonId === null) await repos.recordings.update(recordingId, { lessonId });
    },
    signVideo: async (recordingId) => {
      const r = await repos.recordings.get(recordingId);
      const { prefix, expiresAt } = mediaSigner.sign(recordingId);
      return {
        // The video as cut, with its subtitles where it has any.
        ...(r ? subtitles.playback(r, prefix) : { playlistUrl: `${prefix}/index.m3u8`, subtitles: [] }),
        posterUrl: r?.hasPoster ? `${prefix}/poster.jpg` : null,
        expiresAt: expiresAt.toISOString(),
        durationSeconds: r?.durationSeconds ?? null,
      };
    },
  });
  const certified = createCertificates({ config, repos, progress, webhooks, logger });
  const calendar = new CalendarService({
    seminars: repos.seminars,
    registrations: repos.registrations,
    users: repos.users,
    seminarService: seminars,
    publicBaseUrl: config.publicBaseUrl,
  });

  const live = new LiveService({ repo: repos.live, seminars, registrations: repos.registrations, users: repos.users, progress, limits });
  const polls = new PollService({ repo: repos.polls, managed: (actor, seminarId) => seminars.managed(actor, seminarId) });
  const encorePolls = new EncorePolls({ repo: repos.polls, polls });
  const encores = new EncoreService({
    seminars: repos.seminars,
    events,
    managed: (actor, seminarId) => seminars.managed(actor, seminarId),
    recordingSeconds: async (seminarId) => (await repos.recordings.latestReady(seminarId))?.durationSeconds ?? null,
    copyPolls: (source, encore) => encorePolls.copy(source, encore),
    playing: (encore, elapsedMs) => encorePolls.advance(encore, elapsedMs),
    logger: logger.child({ component: 'encores' }),
  });
  const slides = createSlides({
    repo: repos.slides,
    dataDir: config.dataDir,
    secret: config.jwtSecret,
    managed: (actor, seminarId) => seminars.managed(actor, seminarId),
  });

  const recordings = new RecordingService({
    recordings: repos.recordings,
    seminars: repos.seminars,
    registrations: repos.registrations,
    courses: repos.courses,
    enrolments: repos.enrolments,
    live: repos.live,
    polls,
    slides,
    signer: mediaSigner,
    recordingsDir: config.recordingsDir,
    nodeId,
    finalizeFiles: async (dir) => {
      const recovery = { ffmpegBin: config.ffmpegBin };
      const main = await finalizePlaylist(path.join(dir, 'index.m3u8'), recovery);
      const screens = await readdir(dir).catch(() => [] as string[]);
      for (const name of screens.filter((n) => /^screen-\d+$/.test(n)))
        await finalizePlaylist(path.join(dir, name, 'index.m3u8'), recovery);
      return { durationSeconds: main.durationSeconds, segments: main.segments, discontinuities: main.discontinuities };
    },
    makePoster: (dir) => makePoster(config.ffmpegBin, dir),
    logger: logger.child({ component: 'recordings' }),
    onReady: webhooks.recordingReady,
    subtitles,
  });

  const library = new RecordingLibrary({
    recordings: repos.recordings,
    seminars: repos.seminars,
    courses: repos.courses,
    mediaSigner,
    downloadSigner: new MediaUrlSigner(`${config.jwtSecret}:download`, 3600),
    recordingsDir: config.recordingsDir,
    files: {
      cut: writeReplayCut,
      prune: pruneCuts,
      replayPlaylist: replayPlaylistName,
      downloadFile: downloadFileName,
      remux: (playlist, output) => remuxToMp4({ ffmpegBin: config.ffmpegBin, playlist, output }),
    },
    logger: logger.child({ component: 'recording-library' }),
  });

  const incoming = new TusIncomingFiles(config.uploads.incomingDir);
  const uploads = new UploadService({
    uploads: repos.uploads,
    recordings: repos.recordings,
    incoming,
    recordingsDir: config.recordingsDir,
    nodeId,
    probe: (file) => probeVideo(config.ffprobeBin, file),
    packageHls: (input, outDir, probe, onProgress, signal) =>
      packageHls({ ffmpegBin: config.ffmpegBin, input, outDir, probe, onProgress, signal }),
    summarize: (dir) => finalizePlaylist(path.join(dir, 'index.m3u8')),
    makePoster: (dir) => makePoster(config.ffmpegBin, dir),
    abandonedAfterMs: config.uploads.abandonedAfterSeconds * 1000,
    removeRecording: (actor, recordingId) =>
      library.remove(actor, recordingId).catch((err: unknown) => {
        // Deleted already (by an admin on the recordings page): the upload only leaves the list.
        if (!(err instanceof AppError && err.code === 'recording_not_found')) throw err;
      }),
    logger: logger.child({ component: 'uploads' }),
    onReady: webhooks.recordingReady,
  });

  const userDroppedListeners: Array<(userId: string) => Promise<unknown>> = [];
  // A disabled or deleted account: its access tokens void here at once (the listeners, the
  // live gateway, void them on the other nodes and drop the user's sockets).
  const signOutEverywhere = async (userId: string) => {
    tokens.revokeUser(userId);
    for (const listener of userDroppedListeners) await listener(userId);
  };
  const admin = new UserAdminService({
    users: repos.users,
    refreshTokens: repos.refreshTokens,
    dropSockets: signOutEverywhere,
  });
  const registrants = new RegistrantService({ seminars, registrations: repos.registrations, users: repos.users });
  const personalData = new PersonalData({
    users: repos.users,
    store: repos.personalData,
    limits: accountLimits,
    releaseRegistrations: async (userId) => {
      const actor = { kind: 'user' as const, userId, roles: ['learner' as const], grants: ['seminars:register' as const] };
      for (const seminarId of await repos.registrations.seminarIdsForUser(userId)) {
        // A seminar that has ended or gone keeps no seat to free; its registration is erased with the rest.
        await seminars.unregister(actor, seminarId).catch((err: unknown) => {
          if (!(err instanceof AppError)) throw err;
        });
      }
    },
    flushProgress: () => progress.flush(),
    signOutEverywhere,
  });

  const analytics = new AnalyticsService({
    repo: repos.analytics,
    seminars,
    registrations: repos.registrations,
    courses: repos.courses,
    progress: repos.progress,
    users: repos.users,
    recordingDuration: async (seminarId) => (await repos.recordings.latestReady(seminarId))?.durationSeconds ?? null,
    polls,
    audience: repos.audience,
    quizzes: repos.quizzes,
  });
  const quizzes = new QuizService({
    courses: repos.courses,
    enrolments: repos.enrolments,
    quizzes: repos.quizzes,
    logger: logger.child({ component: 'quizzes' }),
    // A passed quiz may be what completes the course.
    onQuizPassed: async (userId, courseId) => {
      await certified.completions.check(userId, courseId);
    },
  });

  const portfolios = createPortfolios({ config, repos, logger: logger.child({ component: 'portfolios' }) });

  const routes: RouteSpec[] = [
    ...accountRoutes({ accounts, mailLinks, personalData, oidc, limits: accountLimits, policy: config.privacyPolicy }),
    ...seminarRoutes(seminars, calendar),
    ...learningRoutes(courses, progress, notifications, tokens, limits),
    ...recordingRoutes(recordings, library),
    ...subtitleRoutes(subtitles),
    ...uploadRoutes(uploads, config.uploads),
    ...workspaceRoutes({ seminars, registrants, admin, courses, limits }),
    ...analyticsRoutes(analytics),
    ...pollRoutes(polls),
    ...slideRoutes(slides),
    ...webhookRoutes(webhooks.service),
    ...quizRoutes(quizzes),
    ...certified.routes,
    ...portfolioRoutes(portfolios.service),
    ...search.routes({ seminars, courses }),
    ...encoreRoutes(encores),
  ];

  let timer: NodeJS.Timeout | undefined;
  let leaseTimer: NodeJS.Timeout | undefined;
  /** The boot's sweep of the decks' folder, which close() stops and waits for. */
  const stopping = new AbortController();
  let sweeping: Promise<unknown> = Promise.resolve();
  const leaseLog = logger.child({ component: 'node-lease', nodeId });
  const renewLease = () =>
    repos.nodeLeases
      .renew(nodeId, new Date(Date.now() + config.nodeLeaseSeconds * 1000))
      .catch((err: unknown) => leaseLog.warn({ err }, 'could not renew this node’s lease; will retry'));
  return {
    nodeId,
    tokens,
    accounts,
    admin,
    mailLinks,
    personalData,
    oidc,
    seminars,
    courses,
    progress,
    notifications,
    calendar,
    live,
    polls,
    encores,
    encorePolls,
    slides,
    recordings,
    library,
    subtitles,
    analytics,
    quizzes,
    uploads,
    webhooks: webhooks.service,
    certificates: certified.certificates,
    completions: certified.completions,
    portfolios: portfolios.service,
    /** Profile images on disk (served by http/profile-images.ts). */
    profileImages: portfolios.files,
    search: search.service,
    articles: search.articles,
    /** Where tus writes uploads as they arrive (the tus server's datastore). */
    incomingUploads: incoming,
    routes,
    /**
     * Repairs what a crash left half-done: run once, at boot (not on a database
     * reconnect, which is no crash), on what this node's previous run held and
     * what nodes whose lease has expired held; other living nodes' seminars are theirs.
     */
    reconcile: async () => {
      const alive = await repos.nodeLeases.alive(new Date());
      alive.delete(nodeId);
      await recordings.reconcile(alive);
      await uploads.reconcile(alive);
      await seminars.reconcile();
      // Housekeeping (a document read per deck folder): the start does not wait for it; close() does.
      sweeping = slides.sweep(stopping.signal).then(
        (swept) => swept.length > 0 && logger.info({ swept }, 'removed what a crash left in the decks folder'),
        (err: unknown) => logger.warn({ err }, 'could not sweep the decks folder'),
      );
    },
    /**
     * Runs after a seminar moved to live, ended or cancelled, whichever door moved it
     * (the room's socket or the REST API): recording and room lifecycle hang on it.
     */
    onSeminarMoved(listener: (seminar: Seminar) => Promise<unknown>): void {
      movedListeners.push(listener);
    },
    /** Runs when an account is disabled or deleted: the live gateway drops the user's sockets and voids their tokens on other nodes. */
    onUserDisabled(listener: (userId: string) => Promise<unknown>): void {
      userDroppedListeners.push(listener);
    },
    /** Starts the reminder scheduler and this node's lease. */
    start(): void {
      timer = setInterval(() => {
        notifications.tick().catch((err: unknown) => logger.error({ err }, 'reminder pass failed'));
      }, config.reminderTickSeconds * 1000);
      timer.unref();
      void renewLease();
      uploads.startExpirySweep();
      leaseTimer = setInterval(() => void renewLease(), (config.nodeLeaseSeconds * 1000) / 3);
      leaseTimer.unref();
      webhooks.dispatcher.start();
      search.service.start();
      encores.start();
    },
    /** Writes buffered progress, stops the scheduler and gives the lease up. Safe to call twice. */
    async close(): Promise<void> {
      /** What close() waits for at most 2 s, without keeping the process up. */
      const atMost2s = (work: Promise<unknown>) => Promise.race([work, sleep(2000, undefined, { ref: false })]);
      clearInterval(timer);
      clearInterval(leaseTimer);
      // The decks' sweep stops at its next folder; what it has not looked at waits for the next start.
      stopping.abort();
      // Bounded: a document read under way waits for mongoose's buffer while the database is down.
      await atMost2s(sweeping);
      search.service.close();
      await encores.close();
      await webhooks.dispatcher.close();
      // Packaging under way stops; its job stays processing and is done again at the next boot.
      await uploads.close();
      await progress.close();
      // The completion checks of the last flush, bounded: a check not done is caught up by "My learning".
      await atMost2s(certified.completions.idle());
      // What this node held (recordings stopped by the shutdown) is another booting node's to repair now.
      // Bounded: with the database down it would wait for mongoose's buffer, and the lease expires anyway.
      await atMost2s(repos.nodeLeases.release(nodeId)).catch((err: unknown) =>
        leaseLog.warn({ err }, 'could not release this node’s lease'),
      );
      mailer.close();
    },
  };
}

export type Domain = ReturnType<typeof createDomain>;

/**
 * Heartbeats arrive every few seconds per learner; a visible lesson is
 * remembered for a minute, so unpublishing takes effect within that minute.
 * Only "visible" is remembered: a lesson published a moment later counts at once.
 * While the database cannot answer, what was visible stays visible (a stale entry
 * is kept for that), so that heartbeats are still accepted into the buffer through
 * an outage longer than the minute.
 */
export function cachePositive(
  check: (id: string) => Promise<boolean>,
  opts: { ttlMs?: number; max?: number } = {},
): (id: string) => Promise<boolean> {
  const known = new LRUCache<string, true>({
    max: opts.max ?? 100_000,
    ttl: opts.ttlMs ?? 60_000,
    perf: { now: () => Date.now() },
    ttlResolution: 0,
    noDeleteOnStaleGet: true,
  });
  return async (id) => {
    if (known.get(id)) return true;
    let visible: boolean;
    try {
      visible = await check(id);
    } catch (err) {
      if (known.get(id, { allowStale: true })) return true;
      throw err;
    }
    if (visible) known.set(id, true);
    else known.delete(id);
    return visible;
  };
}
