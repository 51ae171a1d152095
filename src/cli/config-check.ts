import { checkConfig, formatProblem } from '../config/load.js';

/** `mail-director config check FILE`: every problem with file, line and key; non-zero exit on any. */
export function configCheck(file: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream, json: boolean): number {
  const { problems, warnings } = checkConfig(file);
  if (json) {
    out.write(JSON.stringify({ file, ok: problems.length === 0, problems, warnings }, null, 2) + '\n');
    return problems.length === 0 ? 0 : 1;
  }
  // Warnings do not change the exit code: the file loads as it is.
  for (const warning of warnings) err.write(formatProblem({ ...warning, message: `warning: ${warning.message}` }) + '\n');
  if (problems.length === 0) {
    out.write(`${file}: OK\n`);
  } else {
    for (const problem of problems) err.write(formatProblem(problem) + '\n');
  }
  return problems.length === 0 ? 0 : 1;
}
