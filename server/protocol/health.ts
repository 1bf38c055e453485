import { z } from 'zod';

const check = z.object({ ok: z.boolean(), error: z.string().optional() });

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: check.extend({ latencyMs: z.number().optional(), embedded: z.boolean() }),
    mediasoup: check.extend({
      version: z.string(),
      size: z.number().int(),
      alive: z.number().int(),
      replaced: z.number().int(),
      workers: z.array(z.object({ slot: z.number().int(), pid: z.number().int(), routers: z.number().int() })),
    }),
    ffmpeg: check.extend({ version: z.string().optional() }),
    /** Recorders of live seminars; one that gave up is listed with why (it does not make the node unready). */
    recorders: check.extend({
      active: z.number().int(),
      stopped: z.array(z.object({ seminarId: z.string(), recordingId: z.string(), kind: z.enum(['main', 'screen']), reason: z.string() })),
    }),
  }),
});
export type Readiness = z.infer<typeof readinessSchema>;

export const healthSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
export type Health = z.infer<typeof healthSchema>;
