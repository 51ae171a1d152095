import { checkConfig, formatProblem } from '../config/load.js';

/** `mail-director config check FILE`: every problem with file, line and key; non-zero exit on any. */
export function configCheck(file: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream, json: boolean): number {
  const { problems } = checkConfig(file);
  if (json) {
    out.write(JSON.stringify({ file, ok: problems.length === 0, problems }, null, 2) + '\n');
  } else if (problems.length === 0) {
    out.write(`${file}: OK\n`);
  } else {
    for (const problem of problems) err.write(formatProblem(problem) + '\n');
  }
  return problems.length === 0 ? 0 : 1;
}
