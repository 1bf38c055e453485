import type { Translation } from '../resources';
import type ru from '../ru/portal';

export default {
  seminars: {
    title: 'Seminars',
    empty: 'No seminars yet.',
    watch: 'Watch',
    studio: 'Studio',
    replay: 'Recording',
  },
  seminar: {
    when: 'Starts: {{time}} ({{zone}})',
    yourTime: 'Your time: {{time}}',
    duration_one: '{{count}} minute',
    duration_other: '{{count}} minutes',
    registered_one: '{{count}} of {{capacity}} seat taken',
    registered_other: '{{count}} of {{capacity}} seats taken',
    track: 'Track: {{track}}',
    loading: 'Loading the seminar…',
  },
  learning: {
    title: 'My learning',
    empty: 'You are not enrolled in any course yet.',
    summary: 'Lessons done: {{done}} of {{total}} · {{percent}}%',
    complete: 'done',
    continue: 'Continue from {{time}}',
    open: 'Watch',
    progress: 'Watched: {{percent}}%',
  },
} satisfies Translation<typeof ru>;
