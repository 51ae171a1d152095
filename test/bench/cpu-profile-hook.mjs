// Loaded into the director with NODE_OPTIONS=--import (Node 20 refuses --cpu-prof
// there, and test/harness/director.ts has no way to pass node flags yet).
// Samples like --cpu-prof; SIGUSR2 writes MD_BENCH_CPU_PROFILE and stops.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.MD_BENCH_CPU_PROFILE;
if (out) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // A session on the main thread answers synchronously, so this also works in 'exit'.
    session.post('Profiler.stop', (err, result) => {
      if (!err && result) writeFileSync(out, JSON.stringify(result.profile));
    });
  };
  process.on('SIGUSR2', write);
  process.on('exit', write);
}
