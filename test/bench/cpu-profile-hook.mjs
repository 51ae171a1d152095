// Loaded into the director with NODE_OPTIONS=--import (Node 20 refuses --cpu-prof
// there, and test/harness/director.ts has no way to pass node flags yet).
// Samples like --cpu-prof (1 ms), but only between two SIGUSR2s, so start-up and
// warm-up stay out: the first starts the profiler, the second writes
// MD_BENCH_CPU_PROFILE.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.MD_BENCH_CPU_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let state = 'idle';
  process.on('SIGUSR2', () => {
    if (state === 'idle') {
      state = 'running';
      session.post('Profiler.start');
    } else if (state === 'running') {
      state = 'done';
      session.post('Profiler.stop', (err, result) => {
        if (!err && result) writeFileSync(out, JSON.stringify(result.profile));
      });
    }
  });
}
