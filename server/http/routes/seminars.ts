import { z } from 'zod';
import type { CalendarService } from '../../seminars/calendar-service';
import type { SeminarService } from '../../seminars/service';
import {
  calendarFeedView, createSeminarBody, idParams, myRegistrationView, page, pageQuery, registrationView,
  seminarListQuery, seminarView, transitionBody, updateSeminarBody,
} from '../../protocol';
import { route, type RouteSpec } from '../route';

const feedParams = z.object({ file: z.string().regex(/^[A-Za-z0-9_-]{43}\.ics$/, 'must be a calendar feed file') });

export function seminarRoutes(seminars: SeminarService, calendar: CalendarService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/seminars', tag: 'seminars', access: 'public',
      summary: 'Seminars by start time; drafts only to their lecturers and admins',
      query: pageQuery.extend(seminarListQuery.shape), response: page(seminarView),
      handler: ({ actor, query }) => seminars.list(actor, query, query),
    }),
    route({
      method: 'post', path: '/seminars', tag: 'seminars', access: 'seminars:manage', status: 201,
      summary: 'Create a draft seminar; startsAt is wall-clock time in timeZone',
      body: createSeminarBody, response: seminarView,
      handler: ({ actor, body }) => seminars.create(actor, body),
    }),
    route({
      method: 'get', path: '/seminars/:id', tag: 'seminars', access: 'public',
      summary: 'One seminar', params: idParams, response: seminarView,
      handler: ({ actor, params }) => seminars.get(actor, params.id),
    }),
    route({
      method: 'patch', path: '/seminars/:id', tag: 'seminars', access: 'seminars:manage',
      summary: 'Change or move a draft or scheduled seminar (calendars see a higher SEQUENCE)',
      params: idParams, body: updateSeminarBody, response: seminarView,
      handler: ({ actor, params, body }) => seminars.update(actor, params.id, body),
    }),
    route({
      method: 'post', path: '/seminars/:id/transitions', tag: 'seminars', access: 'seminars:manage',
      summary: 'Move along draft → scheduled → live → ended, or cancel; anything else is 409 illegal_transition',
      params: idParams, body: transitionBody, response: seminarView,
      handler: ({ actor, params, body }) => seminars.transition(actor, params.id, body.to),
    }),
    route({
      method: 'get', path: '/seminars/:id/calendar.ics', tag: 'calendar', access: 'public',
      summary: 'The seminar as an iCalendar file', params: idParams, contentType: 'text/calendar', attachment: 'seminar.ics',
      handler: ({ actor, params }) => calendar.seminarIcs(actor, params.id),
    }),
    route({
      method: 'get', path: '/seminars/:id/registration', tag: 'seminars', access: 'seminars:register',
      summary: 'My registration for this seminar', params: idParams, response: registrationView,
      handler: ({ actor, params }) => seminars.registrationOf(actor, params.id),
    }),
    route({
      method: 'put', path: '/seminars/:id/registration', tag: 'seminars', access: 'seminars:register',
      summary: 'Register (idempotent); when full, join the waitlist', params: idParams, response: registrationView,
      handler: ({ actor, params }) => seminars.register(actor, params.id),
    }),
    route({
      method: 'delete', path: '/seminars/:id/registration', tag: 'seminars', access: 'seminars:register', status: 204,
      summary: 'Unregister; a freed seat goes to the head of the waitlist', params: idParams,
      handler: ({ actor, params }) => seminars.unregister(actor, params.id),
    }),
    route({
      method: 'get', path: '/me/registrations', tag: 'seminars', access: 'seminars:register',
      summary: 'My registrations, newest first', query: pageQuery, response: page(myRegistrationView),
      handler: ({ actor, query }) => seminars.myRegistrations(actor, query),
    }),
    route({
      method: 'post', path: '/me/calendar-feed', tag: 'calendar', access: 'profile', status: 201,
      summary: 'Issue my personal calendar feed URL; any earlier URL stops working', response: calendarFeedView,
      handler: ({ actor }) => calendar.rotateFeed(actor),
    }),
    route({
      method: 'get', path: '/calendar/:file', tag: 'calendar', access: 'public',
      summary: 'A personal calendar feed (the token in the URL is the credential)', params: feedParams, contentType: 'text/calendar',
      handler: ({ params }) => calendar.feed(params.file.slice(0, -'.ics'.length)),
    }),
  ];
}
