import { z } from 'zod';

export const objectId = z.string().regex(/^[0-9a-f]{24}$/, 'must be a 24-character hex id');
export const idParams = z.object({ id: objectId });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from a previous page')
    .optional()
    .meta({
      description:
        'Opaque: the nextCursor of the previous page, unchanged (base64url). Any other value is 400 invalid_cursor; absent, the first page.',
    }),
});
export type PageQuery = z.infer<typeof pageQuery>;

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const locale = z.enum(['ru', 'en']);
export const role = z.enum(['admin', 'lecturer', 'learner']);
