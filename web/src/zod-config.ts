import { z } from 'zod';

// Imported first by main.tsx, before any schema exists: zod's JIT probes `new Function`,
// which the pages' Content-Security-Policy (script-src 'self', no eval) refuses and reports.
// Schemas read this setting when they are built, so it must run before the protocol module.
z.config({ jitless: true });
