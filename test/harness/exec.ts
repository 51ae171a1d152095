import { execFile } from 'node:child_process';
import { HarnessError } from './errors.js';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a short command to completion; a non-zero exit becomes a HarnessError with its stderr. */
export function run(
  command: string,
  args: readonly string[],
  opts: { input?: string; cwd?: string; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, uid: opts.uid, gid: opts.gid },
      (err, stdout, stderr) => {
        if (err) {
          reject(new HarnessError('command_failed', `${command} ${args[0] ?? ''} failed: ${stderr.trim() || err.message}`, { cause: err }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
