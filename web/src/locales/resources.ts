// The namespaces: `common` (shell, statuses, errors) loads with the app; each route
// loads its own area's namespace with its code (see ../app.tsx), so the watch page
// never downloads the portal's or the workspace's texts. Russian is the reference:
// every other language must have the same keys.

export const namespaces = [
  'common',
  'portal',
  'room',
  'learning',
  'workspace',
  'account',
  'recordings',
  'analytics',
  'webhooks',
  'people',
  'knowledge',
] as const;
export type Namespace = (typeof namespaces)[number];
export const languages = ['ru', 'en'] as const;
export type Lang = (typeof languages)[number];

/**
 * Another language's file for a Russian one: the same keys, strings for values.
 * Russian needs plural forms English lacks (_few, _many): those are optional.
 */
export type Translation<T> = {
  [K in keyof T as K extends `${string}_${'few' | 'many'}` ? never : K]: T[K] extends string ? string : Translation<T[K]>;
} & {
  [K in keyof T as K extends `${string}_${'few' | 'many'}` ? K : never]?: string;
};
