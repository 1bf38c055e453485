import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../server/logger';
import { defaultFerretDbBin, EmbeddedFerretDb } from '../server/store/embedded-ferretdb';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A real FerretDB shared by the run; each test file uses its own database on it. */
    mongoServerUri: string;
  }
}

// One embedded FerretDB for the whole run; a test that needs to prove the
// embedded start-up itself starts its own.
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lectern-test-db-'));
  const db = await EmbeddedFerretDb.start({
    bin: process.env.FERRETDB_BIN ?? defaultFerretDbBin(),
    sqliteDir: dir,
    logger: createLogger('silent'),
  });
  project.provide('mongoServerUri', db.uri);
  return async () => {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
