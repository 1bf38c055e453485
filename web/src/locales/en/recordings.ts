import type ru from '../ru/recordings';
import type { Translation } from '../resources';

// English: the workspace's recordings page.
export default {
  title: 'Recordings',
  intro:
    'Recordings of your seminars. Cut the start and the end, rename them, download one as a single MP4. Add a recording to a course in the course builder.',
  loading: 'Loading…',
  empty: 'No recordings yet: they appear after a seminar has been live.',
  more: 'Show more',
  refresh: 'Refresh',
  untitled: 'Untitled',
  seminar: 'Seminar: {{title}}',
  status: {
    recording: 'recording',
    ready: 'ready',
    failed: 'not recorded',
  },
  cut: 'Cut: from {{start}} to {{end}} of {{total}}',
  inCourses: 'In courses:',
  draftCourse: 'draft',
  watch: 'Watch',
  save: 'Save',
  close: 'Close',
  rename: {
    open: 'Rename',
    label: 'Recording title',
    hint: 'Leave it empty for the seminar’s title, “{{title}}”, again.',
  },
  renamed: 'Title saved.',
  trim: {
    open: 'Trim',
    hint: 'The recording is {{total}} long. Times as minutes:seconds (or hours:minutes:seconds). It is cut at segment boundaries, to the nearest second.',
    start: 'Start',
    end: 'End',
    timeHint: 'Enter a time like 1:05 or 1:02:03.',
    apply: 'Trim',
    reset: 'Restore the whole recording',
  },
  trimmed: 'Trimmed: it is now {{duration}} long.',
  untrimmed: 'The whole recording plays again.',
  download: 'Download MP4',
  downloadStarted: 'The download has started.',
  delete: 'Delete',
  confirmDelete: 'Delete the recording “{{title}}” and its files? This cannot be undone.',
  confirmDeleteWithCourses:
    'Delete the recording “{{title}}” and its files? Its lesson will be taken out of the draft courses: {{courses}}. This cannot be undone.',
  deleted: 'Recording “{{title}}” deleted.',
  deleteBlocked: 'This recording is a lesson of a published course: it cannot be deleted while the course is published.',
} satisfies Translation<typeof ru>;
