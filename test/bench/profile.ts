/** Top self-time functions of a V8 .cpuprofile (as written by --cpu-prof or the inspector). */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFunction {
  readonly name: string;
  /** file:line, relative to the repository when inside it. */
  readonly where: string;
  readonly selfMs: number;
  /** Share of the sampled non-idle time. */
  readonly percent: number;
}

/** Which part of the process a frame belongs to, for a coarse breakdown. */
function area(name: string, url: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8/libuv (program)';
  if (url === '') return 'native built-ins';
  if (url.startsWith('node:')) return 'node: internals';
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return `node_modules/${mod[1] ?? ''}`;
  const src = /^\/?src\/([^/]+)/.exec(url);
  if (src) return `src/${src[1] ?? ''}`;
  return 'other';
}

export function topSelfTime(profile: CpuProfile, repoRoot: string, count = 10): { busyMs: number; top: HotFunction[]; areas: Array<{ area: string; selfMs: number; percent: number }> } {
  const areas = new Map<string, number>();
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i] ?? -1);
    // Each delta is the time since the previous sample; charge it to the sample that ends it.
    const us = profile.timeDeltas[i] ?? 0;
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busyUs += us;
    const url = node.callFrame.url.replace(/^file:\/\//, '').replace(repoRoot, '');
    const where = url === '' ? '' : `${url}:${node.callFrame.lineNumber + 1}`;
    const name = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
    const a = area(node.callFrame.functionName, url);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const key = `${name}@${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    self.set(key, entry);
  }
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: busyUs === 0 ? 0 : (100 * e.us) / busyUs }));
  const byArea = [...areas.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ area: name, selfMs: us / 1000, percent: busyUs === 0 ? 0 : (100 * us) / busyUs }));
  return { busyMs: busyUs / 1000, top, areas: byArea };
}
