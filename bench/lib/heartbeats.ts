// Realistic player heartbeats, and the bookkeeping that lets the benchmark prove none was lost.
//
// Each learner watches one lesson or seminar. The player sends a heartbeat every STEP
// media seconds carrying everything watched since the page opened (as the real player
// does), so within a page session the interval grows: [[start, start+5]], [[start, start+10]], …
// Every SESSION heartbeats the learner reloads the page and seeks GAP seconds ahead, which
// starts a new interval. What the database must hold for a learner is then one interval per
// page session, [start, highest `to` the server accepted], so a heartbeat that went missing on
// the way to the database shows as a shorter interval, not hidden by a later one.

export const STEP_SECONDS = 5;
export const SESSION_HEARTBEATS = 30;
export const GAP_SECONDS = 20;
export const DURATION_SECONDS = 6 * 3600;

export interface Learner {
  userId: string;
  token: string;
  contentId: string;
}

export interface PageSession {
  start: number;
  /** Highest `to` put in a heartbeat (an upper bound of what the server may have stored). */
  sentTo: number;
  /** Highest `to` of a heartbeat answered 202 (what the server must store). */
  acceptedTo: number;
}

export interface LearnerState {
  userId: string;
  contentId: string;
  sent: number;
  accepted: number;
  /** sentAt of the latest heartbeat built; strictly increasing per learner. */
  lastSentAt: number;
  /** position of that heartbeat */
  lastPosition: number;
  sessions: PageSession[];
}

export interface Heartbeat {
  contentId: string;
  intervals: Array<[number, number]>;
  position: number;
  durationSeconds: number;
  sentAt: number;
}

export function initialState(l: Learner, index: number, clockBase: number): LearnerState {
  const start = (index % 12) * 60;
  return {
    userId: l.userId,
    contentId: l.contentId,
    sent: 0,
    accepted: 0,
    lastSentAt: clockBase,
    lastPosition: start,
    sessions: [{ start, sentTo: start, acceptedTo: start }],
  };
}

/** Builds the learner's next heartbeat and records it as sent; returns it with its page session. */
export function nextHeartbeat(s: LearnerState): { hb: Heartbeat; session: number } {
  let session = s.sessions.length - 1;
  let current = s.sessions[session]!;
  if (s.sent > 0 && s.sent % SESSION_HEARTBEATS === 0) {
    const start = current.sentTo + GAP_SECONDS;
    current = { start, sentTo: start, acceptedTo: start };
    s.sessions.push(current);
    session++;
  }
  const to = current.sentTo + STEP_SECONDS;
  if (to > DURATION_SECONDS) throw new Error(`learner ${s.userId} ran past the end of the recording; raise DURATION_SECONDS`);
  current.sentTo = to;
  s.sent++;
  s.lastSentAt++;
  s.lastPosition = to;
  return {
    hb: { contentId: s.contentId, intervals: [[current.start, to]], position: to, durationSeconds: DURATION_SECONDS, sentAt: s.lastSentAt },
    session,
  };
}

export function markAccepted(s: LearnerState, session: number, to: number): void {
  s.accepted++;
  const p = s.sessions[session]!;
  if (to > p.acceptedTo) p.acceptedTo = to;
}
