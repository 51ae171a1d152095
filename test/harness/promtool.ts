import { spawn } from 'node:child_process';

/**
 * `promtool check metrics` (Debian's prometheus package: Prometheus's own
 * exposition parser and linter) on an exposition text: its exit code and
 * everything it printed (empty when it has no complaint).
 */
export function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** The value of one sample, labels in any order and all of them given; undefined when absent. */
export function metricSample(text: string, name: string, labels: Readonly<Record<string, string>>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1] ?? '', x[2] ?? '']));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v) && got.size === Object.keys(labels).length) {
      return m[3] === '+Inf' ? Infinity : Number(m[3]);
    }
  }
  return undefined;
}
