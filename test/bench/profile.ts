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

export function topSelfTime(profile: CpuProfile, repoRoot: string, count = 10): { busyMs: number; top: HotFunction[] } {
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
    const key = `${name}@${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    self.set(key, entry);
  }
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, percent: busyUs === 0 ? 0 : (100 * e.us) / busyUs }));
  return { busyMs: busyUs / 1000, top };
}
