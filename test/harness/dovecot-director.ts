import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mailAccount } from './dovecot.js';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { LineClient } from './lines.js';
import { freePort } from './ports.js';
import { spawnLogged, waitForPort, waitForSocket } from './process.js';

/**
 * A Dovecot 2.3 director (a ring of one) placing users over mail servers by
 * IP, as a cluster that runs Dovecot's director today has it: the other side
 * of the comparison in docs/migrate-from-dovecot-director.md. It only needs
 * the backends' addresses; nobody logs in through it.
 */
export interface DovecotDirectorOptions {
  readonly dir: string;
  /** director_mail_servers: IP addresses, `IP@tag` for a tagged ring. */
  readonly mailServers: readonly string[];
  /** director_username_hash (default Dovecot's %Lu). */
  readonly usernameHash?: string;
}

/** One `doveadm director status USER`: the director's "Hashed:" host, '' when no host is up. */
export interface DirectorLookup {
  readonly user: string;
  readonly hashed: string;
}

export interface DovecotDirectorHandle {
  readonly configFile: string;
  readonly logFile: string;
  readonly pid: number;
  /** `doveadm -c CONF director ARGS...`; its stdout. */
  doveadm(...args: string[]): Promise<string>;
  /** The "Hashed:" line of `doveadm director status USER` for one user, by running doveadm. */
  statusUser(user: string, tag?: string): Promise<string>;
  /**
   * The same answer for many users over one connection to the director's
   * doveadm socket: the USER-LOOKUP request `doveadm director status USER`
   * sends (src/doveadm/doveadm-director.c), pipelined, since a thousand
   * doveadm processes take minutes on a shared two-core machine.
   */
  lookupMany(users: readonly string[], tag?: string): Promise<DirectorLookup[]>;
  stop(): Promise<void>;
}

// Unix socket paths are limited to 107 bytes; base_dir plus "login/proxy-notify" must fit.
const MAX_BASE_DIR = 80;

/** Dovecot's tab escaping (str_append_tabescaped in src/lib/strescape.c). */
function tabEscape(text: string): string {
  return text.replace(/[\x01\t\r\n]/g, (c) => ({ '\x01': '\x011', '\t': '\x01t', '\r': '\x01r', '\n': '\x01n' })[c] ?? c);
}

export async function startDovecotDirector(opts: DovecotDirectorOptions): Promise<DovecotDirectorHandle> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  let baseDir = join(dir, 'run');
  let ownBaseDir: string | undefined;
  if (baseDir.length > MAX_BASE_DIR) {
    ownBaseDir = await mkdtemp(join(tmpdir(), 'dd-'));
    baseDir = ownBaseDir;
  }
  const stateDir = join(dir, 'state');
  for (const d of [baseDir, stateDir]) await mkdir(d, { recursive: true });
  const port = await freePort('127.0.0.1');
  const logFile = join(dir, 'dovecot-director.log');
  const configFile = join(dir, 'dovecot-director.conf');
  const account = mailAccount();
  await writeFile(
    configFile,
    [
      '# Written by test/harness/dovecot-director.ts: a Dovecot director ring of one, no mail protocols.',
      `instance_name = md-dovecot-director-${port}`,
      `base_dir = ${baseDir}`,
      `state_dir = ${stateDir}`,
      'listen = 127.0.0.1',
      'protocols =',
      `log_path = ${logFile}`,
      'ssl = no',
      account.settings,
      `director_servers = 127.0.0.1:${port}`,
      `director_mail_servers = ${opts.mailServers.join(' ')}`,
      `director_username_hash = ${opts.usernameHash ?? '%Lu'}`,
      'service director {',
      '  unix_listener login/director {',
      '    mode = 0666',
      '  }',
      '  fifo_listener login/proxy-notify {',
      '    mode = 0666',
      '  }',
      '  unix_listener director-userdb {',
      '    mode = 0600',
      '  }',
      '  inet_listener {',
      '    address = 127.0.0.1',
      `    port = ${port}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const proc = spawnLogged({ name: 'dovecot director', command: '/usr/sbin/dovecot', args: ['-F', '-c', configFile], logFile });
  const adminSocket = join(baseDir, 'director-admin');
  try {
    await waitForPort('127.0.0.1', port, 10_000, { alive: proc.alive, what: 'dovecot director', logFile });
    await waitForSocket(adminSocket, 10_000, { alive: proc.alive, what: 'dovecot director (director-admin)', logFile });
  } catch (err) {
    await proc.kill();
    throw err;
  }

  const doveadm = async (...args: string[]): Promise<string> => (await run('doveadm', ['-c', configFile, 'director', ...args])).stdout;

  return {
    configFile,
    logFile,
    pid: proc.pid,
    doveadm,
    statusUser: async (user, tag) => {
      // doveadm director status [<user>] [<tag>]
      const out = await doveadm('status', user, ...(tag === undefined || tag === '' ? [] : [tag]));
      const hashed = /^Hashed: (.*)$/m.exec(out);
      if (hashed === null) throw new HarnessError('protocol_error', `doveadm director status ${user}: no "Hashed:" line in ${JSON.stringify(out)}`);
      return hashed[1]!.trim();
    },
    lookupMany: async (users, tag = '') => {
      const client = await LineClient.connectPath(adminSocket);
      try {
        client.write('VERSION\tdirector-doveadm\t1\t0\n');
        const version = await client.readLine();
        if (!version.startsWith('VERSION\tdirector-doveadm\t1\t')) throw new HarnessError('protocol_error', `director handshake: ${JSON.stringify(version)}`);
        client.write(users.map((u) => `USER-LOOKUP\t${tabEscape(u)}\t${tabEscape(tag)}\n`).join(''));
        const out: DirectorLookup[] = [];
        for (const user of users) {
          // current host, its expiry, hashed host, host with the initial config (doveadm's four columns).
          const fields = (await client.readLine(10_000)).split('\t');
          if (fields.length !== 4) throw new HarnessError('protocol_error', `USER-LOOKUP ${user}: ${JSON.stringify(fields)}`);
          out.push({ user, hashed: fields[2]! });
        }
        return out;
      } finally {
        client.close();
      }
    },
    stop: async () => {
      await proc.stop();
      if (ownBaseDir !== undefined) await rm(ownBaseDir, { recursive: true, force: true });
    },
  };
}
