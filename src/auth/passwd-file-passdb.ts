import { readFile, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { PasswdFilePassdbConfig } from '../config/types.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from './passdb.js';
import type { UserFields } from './fields.js';
import { parsePasswdFile } from './passwd-file.js';
import type { PasswdFileEntry } from './passwd-file.js';
import { parseUserFields } from './parse-fields.js';
import type { CryptLimits } from './schemes.js';
import { checkStoredPassword } from './stored-password.js';
import { checkUsername, DEFAULT_MAX_USERNAME_LENGTH } from './username.js';

interface Snapshot {
  /** mtime, size and inode: any of them changing means the file was replaced or edited. */
  readonly version: string;
  readonly entries: ReadonlyMap<string, PasswdFileEntry>;
}

type Found =
  | { readonly kind: 'found'; readonly entry: PasswdFileEntry; readonly fields: UserFields }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'tempfail'; readonly detail: string };

export interface PasswdFilePassdbOptions {
  readonly maxUsernameLength?: number;
  /** What a stored hash may ask for; the defaults unless given. */
  readonly cryptLimits?: CryptLimits | undefined;
}

/** Users from a Dovecot passwd-file, re-read whenever the file changes. */
export class PasswdFilePassdb implements Passdb {
  readonly #path: string;
  readonly #log: Logger;
  readonly #maxUsernameLength: number;
  readonly #cryptLimits: CryptLimits | undefined;
  #snapshot: Snapshot | undefined;
  #loading: Promise<Snapshot> | undefined;

  constructor(config: PasswdFilePassdbConfig, log: Logger, options: PasswdFilePassdbOptions = {}) {
    this.#path = config.path;
    this.#log = log.child({ passdb: 'passwd-file', path: config.path });
    this.#maxUsernameLength = options.maxUsernameLength ?? DEFAULT_MAX_USERNAME_LENGTH;
    this.#cryptLimits = options.cryptLimits;
  }

  /** Concurrent requests share one stat + read. */
  #current(): Promise<Snapshot> {
    this.#loading ??= this.#refresh().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #refresh(): Promise<Snapshot> {
    const info = await stat(this.#path);
    const version = `${info.mtimeMs}/${info.size}/${info.ino}`;
    if (this.#snapshot?.version === version) return this.#snapshot;
    const parsed = parsePasswdFile(await readFile(this.#path, 'utf8'));
    for (const { line, problem } of parsed.problems) this.#log.warn({ line, problem }, 'passwd-file line ignored');
    this.#log.info({ users: parsed.entries.size }, 'passwd-file loaded');
    this.#snapshot = { version, entries: parsed.entries };
    return this.#snapshot;
  }

  async #find(user: string): Promise<Found> {
    let snapshot: Snapshot;
    try {
      snapshot = await this.#current();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.error({ err }, 'cannot read passwd-file');
      return { kind: 'tempfail', detail: `passwd-file unreadable: ${message}` };
    }
    const entry = snapshot.entries.get(user);
    if (entry === undefined) return { kind: 'not_found' };
    const parsed = parseUserFields(user, entry.fields);
    if ('error' in parsed) {
      this.#log.warn({ user, problem: parsed.error }, 'passwd-file entry has a malformed field');
      return { kind: 'tempfail', detail: `malformed field: ${parsed.error}` };
    }
    return { kind: 'found', entry, fields: parsed.fields };
  }

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const name = checkUsername(request.user, this.#maxUsernameLength);
    if (!name.ok) return { kind: 'fail', detail: `invalid user name (${name.reason})` };
    const found = await this.#find(name.user);
    if (found.kind === 'tempfail') return found;
    if (found.kind === 'not_found') return { kind: 'fail', detail: 'unknown user' };
    return checkStoredPassword(found.fields, found.entry.password, request.password, this.#cryptLimits, this.#log, name.user);
  }

  async lookup(user: string): Promise<LookupResult> {
    const name = checkUsername(user, this.#maxUsernameLength);
    if (!name.ok) return { kind: 'not_found' };
    const found = await this.#find(name.user);
    return found.kind === 'found' ? { kind: 'ok', fields: found.fields } : found;
  }

  flushCache(): number {
    return 0;
  }

  async close(): Promise<void> {
    this.#snapshot = undefined;
  }
}
