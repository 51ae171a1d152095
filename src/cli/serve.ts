import cluster from 'node:cluster';
import { Director } from '../app/director.js';
import { runWorker } from '../app/workers/worker.js';
import { ConfigError, formatProblem } from '../config/load.js';

/**
 * `mail-director serve --config FILE [--id ID]`: run a director until
 * SIGTERM. With `director.workers` > 1 this process forks the workers,
 * which run this same command and land in runWorker.
 */
export async function serve(configFile: string, id: string | undefined): Promise<number> {
  if (cluster.isWorker) return runWorker(configFile, id);
  let director: Director;
  try {
    director = Director.fromFile(configFile, id);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(formatProblem(problem) + '\n');
      return 78; // EX_CONFIG
    }
    throw error;
  }
  // nginx's signal for logrotate's postrotate (packaging/mail-director.logrotate). Taken
  // before the ports open: Node's own SIGUSR1 action would start the inspector.
  process.on('SIGUSR1', () => director.reopenLog());
  try {
    await director.start();
  } catch (error: unknown) {
    director.log.fatal({ err: error }, 'director failed to start');
    process.stderr.write(`mail-director: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    await director.stop().catch(() => undefined);
    return 1;
  }
  process.on('SIGHUP', () => {
    // reload() catches its own failures; this guard keeps any slip from ending every session.
    try {
      director.reload();
    } catch (error: unknown) {
      director.log.error({ err: error }, 'reload failed; keeping the running config');
    }
  });
  const shutdown = (signal: string): void => {
    director.log.info({ signal }, 'draining');
    director.drain().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    director.log.fatal({ err: error }, 'uncaught exception');
    director.log.flush();
    process.exit(70);
  });
  return new Promise<number>(() => undefined);
}
