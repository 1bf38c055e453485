import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

// The fan-out's Go viewers decide what a viewer counts as a decodable frame and which NACKs it
// sends (bench/viewers); their go tests run with the suite, so CI holds the bench's load model.
const dir = path.resolve(__dirname, '../../bench/viewers');

it('passes the Go viewers’ own tests (reassembler, NACK clearing, interceptor order)', async () => {
  const { stdout } = await promisify(execFile)('go', ['test', '-count=1', '-v', '.'], {
    cwd: dir,
    timeout: 240_000,
    maxBuffer: 8 << 20,
  });
  expect(stdout).toMatch(/^ok\s+\S+/m);
  for (const name of ['TestAKeyFrameAfterASkippedNumberEndsTheWaitAndTheNacks', 'TestTheViewersGeneratorSendsNoNackForAClearedPacket'])
    expect(stdout).toContain(`--- PASS: ${name}`);
}, 300_000);
