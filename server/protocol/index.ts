// The wire protocol, shared by server/ and web/: every REST body and Socket.IO
// event is defined here once, as a zod schema, and parsed on arrival.
export * from './errors';
export * from './health';
export * from './common';
export * from './accounts';
export * from './seminars';
export * from './courses';
export * from './progress';
export * from './notifications';
export * from './live';
export * from './recordings';
export * from './workspace';
export * from './analytics';
export * from './uploads';
export * from './polls';
export * from './slides';
export * from './webhooks';
export * from './reactions';
export * from './presence-checks';
export * from './quizzes';
export * from './certificates';
export * from './portfolios';
export * from './articles';
export * from './search';
export * from './subtitles';
export * from './encores';
