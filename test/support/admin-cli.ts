import { execFile } from 'node:child_process';

export interface AdminCliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The generated password, when the command created the account. */
  password?: string;
}

/** `npm run admin -- <args>` as the operator runs it: a child process with the given environment. */
export function runAdminCli(args: string[], env: NodeJS.ProcessEnv): Promise<AdminCliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/ops/admin-cli.ts', ...args],
      { env: { ...process.env, NODE_ENV: 'development', MONGODB_URI: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const password = /^password: (\S+)$/m.exec(stdout)?.[1];
        resolve({ code, stdout, stderr, ...(password ? { password } : {}) });
      },
    );
  });
}
