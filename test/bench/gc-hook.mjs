// Loaded into a director with NODE_OPTIONS="--expose-gc --import" by test/bench/lmtp-memory.ts:
// on SIGUSR2, a full GC, then process.memoryUsage() appended as a JSON line to MD_GC_OUT.
import { appendFileSync } from 'node:fs';
const out = process.env.MD_GC_OUT;
if (out && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const after = process.memoryUsage();
    appendFileSync(out, JSON.stringify(after) + '\n');
  });
}
