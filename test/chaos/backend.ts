// A Dovecot backend of the harness that a chaos or soak run can SIGKILL and
// start again on the same config, ports and log (scripts/chaos, scripts/soak).
import { mkdir, readFile } from 'node:fs/promises';
import type { DovecotHandle } from '../harness/dovecot.js';
import { spawnLogged, waitForPort, type ProcessHandle } from '../harness/process.js';

/** A backend the script can SIGKILL and start again on the same config, ports and log. */
export class ChaosBackend {
  readonly handle: DovecotHandle;
  up = true;
  inRing = true;
  /** When each kill completed (epoch ms): sessions without a logout line ended then. */
  readonly kills: number[] = [];
  #proc: ProcessHandle | undefined;

  constructor(handle: DovecotHandle) {
    this.handle = handle;
  }

  get id(): string {
    return this.handle.id;
  }

  async kill(): Promise<void> {
    this.up = false;
    if (this.#proc === undefined) await this.handle.kill();
    else await this.#proc.kill();
    this.kills.push(Date.now());
  }

  async restart(): Promise<void> {
    const config = await readFile(this.handle.configFile, 'utf8');
    const baseDir = /^base_dir = (.*)$/m.exec(config)?.[1];
    // The harness removes a temp base_dir on kill.
    if (baseDir !== undefined) await mkdir(baseDir, { recursive: true });
    this.#proc = spawnLogged({
      name: `dovecot ${this.id} (chaos restart)`,
      command: '/usr/sbin/dovecot',
      args: ['-F', '-c', this.handle.configFile],
      logFile: this.handle.logFile,
    });
    await waitForPort(this.handle.host, this.handle.imap, 10_000, { alive: this.#proc.alive, what: `dovecot ${this.id}`, logFile: this.handle.logFile });
    this.up = true;
  }

  async stop(): Promise<void> {
    if (this.#proc !== undefined) await this.#proc.stop();
    else await this.handle.stop();
  }
}
