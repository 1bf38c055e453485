import type { PollResult } from '../../../server/protocol/polls';
import { t } from '../kit/i18n';
import '../styles/polls.css';

// A poll's results as a bar chart: plain CSS widths (set through the DOM, which the CSP allows),
// with the count and share in text beside each bar for screen readers and print.

export interface PollCounts {
  id: string;
  options: string[];
  counts: number[];
  voters: number;
  myChoices?: number[] | null;
}

export function PollBars({ poll, votes }: { poll: PollCounts; votes: (count: number) => string }) {
  return (
    <ol class="poll-bars" data-testid="poll-results" data-poll={poll.id}>
      {poll.options.map((option, i) => {
        const count = poll.counts[i] ?? 0;
        const share = poll.voters ? Math.round((count / poll.voters) * 100) : 0;
        const mine = poll.myChoices?.includes(i) ?? false;
        return (
          <li key={i} data-testid="poll-result" data-count={count} class={mine ? 'mine' : undefined}>
            <span class="option">
              {option}
              {mine && <span class="muted"> ✓</span>}
            </span>
            <span class="bar" aria-hidden="true">
              <span class="fill" style={{ width: `${share}%` }} />
            </span>
            <span class="figure">
              {votes(count)} · {share}%
            </span>
          </li>
        );
      })}
    </ol>
  );
}

/** The replay's polls: each from the moment it opened, with its final results. */
export function ReplayPolls({ polls, nowMs }: { polls: PollResult[]; nowMs: number }) {
  const shown = polls.filter((p) => p.openedOffsetMs <= nowMs);
  if (polls.length === 0) return null;
  return (
    <section class="panel polls" aria-labelledby="replay-polls-title">
      <h2 id="replay-polls-title">{t('room:polls.title')}</h2>
      <ol id="replay-polls" data-testid="replay-polls">
        {shown.length === 0 && <li class="empty">{t('room:polls.later')}</li>}
        {shown.map((p) => (
          <li key={p.id} class="poll" data-testid="replay-poll">
            <h3>{p.question}</h3>
            <PollBars poll={p} votes={(count) => t('room:polls.votes', { count })} />
            <p class="muted">{t('room:polls.voters', { count: p.voters })}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}
