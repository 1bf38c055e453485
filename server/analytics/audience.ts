import type { AudienceRepository } from '../live/audience-model';
import { presenceTally } from '../live/presence-checks';
import type { AttendanceSpan } from './model';

// Reactions and presence checks in the seminar analytics (issue 15): reactions per step of the
// viewers' timeline (the "engagement" line), and each attendee's passed checks for the CSV.

export type AudienceReads = Pick<AudienceRepository, 'reactionWindows' | 'checks' | 'answersOf'>;

const BATCH = 1000;

/** Reactions summed into the viewer timeline's steps; one outside the session lands on its nearest end. */
export async function engagementLine(
  repo: AudienceReads,
  seminarId: string,
  timeline: { fromMs: number; stepSeconds: number; steps: number },
): Promise<{ line: number[]; total: number }> {
  const line = new Array<number>(timeline.steps).fill(0);
  let total = 0;
  for await (const batch of repo.reactionWindows(seminarId, BATCH)) {
    for (const w of batch) {
      total += w.total;
      if (!timeline.steps) continue;
      const step = Math.floor((w.at.getTime() - timeline.fromMs) / 1000 / timeline.stepSeconds);
      line[Math.min(timeline.steps - 1, Math.max(0, step))]! += w.total;
    }
  }
  return { line, total };
}

/** "passed of asked" for each of these attendees, given their spans. */
export async function presenceOf(
  repo: AudienceReads,
  seminarId: string,
  spansOf: ReadonlyMap<string, AttendanceSpan[]>,
  openEnd: number,
): Promise<Map<string, { passed: number; asked: number }>> {
  const [checks, answers] = await Promise.all([repo.checks(seminarId), repo.answersOf(seminarId, [...spansOf.keys()])]);
  const answersOf = new Map<string, Array<{ checkId: string }>>();
  for (const a of answers) answersOf.set(a.userId, [...(answersOf.get(a.userId) ?? []), a]);
  return new Map([...spansOf].map(([userId, spans]) => [userId, presenceTally(checks, spans, answersOf.get(userId) ?? [], openEnd)]));
}
