import type ru from '../ru/learning';
import type { Translation } from '../resources';

// English: courses (the catalogue, a course's page, its lessons) and "My learning".
export default {
  catalogue: {
    title: 'Courses',
    intro: 'The centre’s courses, built from recorded seminars and text lessons. Enrol to learn at your own pace.',
    empty: 'No courses are published yet.',
    loading: 'Loading courses…',
    open: 'Open the course',
    track: 'Track: {{track}}',
    lessons_one: '{{count}} lesson',
    lessons_other: '{{count}} lessons',
    more: 'Show more',
  },
  course: {
    loading: 'Loading the course…',
    enrol: 'Enrol in the course',
    leave: 'Leave the course',
    enrolled: 'You are enrolled in this course.',
    enrolledNow: 'You have enrolled in the course.',
    left: 'You have left the course.',
    signInToEnrol: 'Sign in to enrol',
    modules: 'Modules and lessons',
    unpublished: 'This course is not published: only its lecturers see it.',
  },
  kind: {
    text: 'Text',
    recording: 'Seminar recording',
    hls: 'Video',
  },
  lesson: {
    loading: 'Loading the lesson…',
    previous: 'Previous: {{title}}',
    next: 'Next: {{title}}',
    backToCourse: 'Back to “{{title}}”',
    markRead: 'Mark as read',
    read: 'Lesson read.',
    watch: 'Watch the recording',
    notText: 'This lesson is a recording. It opens in the player.',
    navigation: 'Course navigation',
  },
  learning: {
    title: 'My learning',
    empty: 'You are not enrolled in any course yet.',
    browse: 'Find a course',
    lessons: 'Lessons completed: {{done}} of {{total}}',
    watched: 'Watched: {{percent}}% of the course',
    lessonsBar: 'Lessons completed: {{percent}}%',
    complete: 'completed',
    continue: 'Continue',
    continueAt: 'Continue “{{title}}” from {{time}}',
    continueLesson: 'Continue “{{title}}”',
    done: 'Course completed',
    open: 'Open',
    percent: '{{percent}}%',
  },
} satisfies Translation<typeof ru>;
