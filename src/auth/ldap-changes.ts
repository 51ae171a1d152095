import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { LdapPassdbConfig } from '../config/types.js';
import { LdapDirectory } from '../adapters/ldap/directory.js';
import type { SearchSpec } from '../adapters/ldap/directory.js';
import type { Deadline } from '../adapters/ldap/deadline.js';
import type { FoundEntry } from '../adapters/ldap/entry.js';
import { LdapError } from '../adapters/ldap/errors.js';
import { FilterTemplate } from '../adapters/ldap/filter.js';
import { LdapUserNamer } from './ldap-user-name.js';
import { formatGeneralizedTime, parseGeneralizedTime } from '../adapters/ldap/generalized-time.js';
import type { UserFields } from './fields.js';
import { entryToRawFields, mappedAttributes } from './ldap-fields.js';
import { parseUserFields } from './parse-fields.js';

/** One LDAP entry seen modified. */
export interface LdapUserChange {
  /** The user name the entry stands for (see `LdapChangeWatcher`). */
  readonly user: string;
  readonly dn: string;
  /** The entry's modifyTimestamp, ms since the epoch, by the LDAP server's clock (whole seconds on OpenLDAP). */
  readonly modifiedAt: number;
  /** The entry's fields as a login would now see them; undefined when a field is malformed. */
  readonly fields: UserFields | undefined;
}

/** Called once per poll that found changes, with all of them (never with an empty list). */
export type UsersChangedListener = (changes: readonly LdapUserChange[]) => void;

export interface UserChangeSource {
  /** Returns a function that removes the listener. */
  onUsersChanged(listener: UsersChangedListener): () => void;
}

/** The part of LdapDirectory the watcher uses; tests pass a fake. */
export interface ChangeDirectory {
  findAll(spec: SearchSpec, deadline: Deadline): Promise<FoundEntry[]>;
  deadline(): Deadline;
  close(): Promise<void>;
}

export interface LdapChangeWatcherOptions {
  /** Default: a directory of the watcher's own (see the class comment). */
  readonly directory?: ChangeDirectory;
  readonly now?: () => number;
  /** How far before start the first search looks, so a server clock somewhat behind ours loses nothing. */
  readonly startWindowMs?: number;
  /** At most one "poll failed" line per this interval while LDAP stays down. */
  readonly errorLogIntervalMs?: number;
  /**
   * How far before the newest modifyTimestamp seen each search starts (default 1 s,
   * for whole-second timestamps). With replicas behind the configured URIs, make it
   * the replication lag to expect: a change replicated late keeps its original,
   * older timestamp. Repeats cost a little bandwidth, never a duplicate event.
   */
  readonly overlapMs?: number;
}

const MODIFY_TIMESTAMP = 'modifytimestamp';
/** OpenLDAP's change sequence number: microseconds, so two changes within one second still differ. */
const ENTRY_CSN = 'entrycsn';
/** What a probe asks for: enough to recognise an entry version already seen (see fingerprint). */
const PROBE_ATTRIBUTES: readonly string[] = Object.freeze(['modifyTimestamp', 'entryCSN']);
/** modifyTimestamp has whole seconds: search from one second before the newest change seen. */
const OVERLAP_MS = 1000;
const DEFAULT_START_WINDOW_MS = 5 * 60_000;
const DEFAULT_ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Notices LDAP entries modified after it started (password, mailHost, ...)
 * by searching the passdb base every `passdb.change_poll` for
 * `(modifyTimestamp>=T)`, T being the newest modifyTimestamp seen less one
 * second; entries already reported are recognised by (DN, modifyTimestamp,
 * entryCSN, attribute values) and not reported again.
 *
 * Every poll sees the entries of the newest second again. Where every
 * entry has an entryCSN (OpenLDAP), a poll first asks only for DNs,
 * timestamps and CSNs, and searches with the field attributes only when
 * one of them is a version not seen yet: a quiet directory costs a small
 * answer per poll instead of decoding the whole burst again.
 *
 * Why polling: persistent search (draft-ietf-ldapext-psearch) would push
 * changes, but OpenLDAP's slapd does not implement it, and syncrepl
 * (RFC 4533) needs the syncprov overlay configured on the server. A
 * modifyTimestamp search works against any server with no server-side setup;
 * `index modifyTimestamp eq` on the server keeps it cheap on large trees.
 * Deleted entries are not seen (nothing is left to match); a deleted user
 * fails the LDAP lookup at the next uncached login anyway.
 *
 * The watcher has its own LdapDirectory (one search connection per URI)
 * instead of the passdb's: a poll that hits its deadline destroys its socket,
 * which must not fail the logins multiplexed on the same connection, and a
 * poll's failures must not put URIs in backoff for logins.
 *
 * The user name of an entry: ldap-user-name.ts.
 */
export class LdapChangeWatcher implements UserChangeSource {
  readonly #config: LdapPassdbConfig;
  readonly #log: Logger;
  readonly #directory: ChangeDirectory;
  readonly #ownsDirectory: boolean;
  readonly #filter: FilterTemplate;
  readonly #attributes: string[];
  /**
   * The last full search found entries, each with an entryCSN (OpenLDAP):
   * polls then probe with timestamps and CSNs first (PROBE_ATTRIBUTES).
   */
  #probeFirst = false;
  readonly #namer: LdapUserNamer;
  readonly #now: () => number;
  readonly #startWindowMs: number;
  readonly #errorLogIntervalMs: number;
  readonly #overlapMs: number;
  readonly #listeners = new Set<UsersChangedListener>();
  /** Entries reported (or present at start), by fingerprint, with their modifyTimestamp for pruning. */
  readonly #seen = new Map<string, number>();
  /** Newest modifyTimestamp seen (server clock); before any, our start time less the start window. */
  #highWaterMs = 0;
  /** Changes older than this (our clock, at start) are not reported. */
  #reportFromMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #running = false;
  #primed = false;
  #stopped = false;
  #failures = 0;
  #lastErrorLogMs = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(config: LdapPassdbConfig, log: Logger, options: LdapChangeWatcherOptions = {}) {
    this.#config = config;
    this.#log = log.child({ component: 'ldap-changes' });
    this.#filter = FilterTemplate.parse(config.filter);
    this.#now = options.now ?? Date.now;
    this.#startWindowMs = options.startWindowMs ?? DEFAULT_START_WINDOW_MS;
    this.#errorLogIntervalMs = options.errorLogIntervalMs ?? DEFAULT_ERROR_LOG_INTERVAL_MS;
    this.#overlapMs = Math.max(OVERLAP_MS, options.overlapMs ?? OVERLAP_MS);
    this.#namer = new LdapUserNamer(config, this.#filter);
    const attributes = mappedAttributes(config.fields);
    for (const name of [...this.#namer.attributes, 'modifyTimestamp', 'entryCSN']) {
      if (name !== undefined && !attributes.some((a) => a.toLowerCase() === name.toLowerCase())) attributes.push(name);
    }
    this.#attributes = attributes;
    if (options.directory !== undefined) {
      this.#directory = options.directory;
      this.#ownsDirectory = false;
    } else {
      this.#directory = new LdapDirectory(
        {
          uris: config.uris,
          bindDn: config.bindDn,
          bindPassword: config.bindPassword,
          timeoutMs: config.timeoutMs,
          connectTimeoutMs: config.connectTimeoutMs,
          searchPoolSize: 1,
          // Never used: the watcher does not bind as users, and bind connections are made on demand.
          bindPoolSize: 1,
          startTls: config.startTls,
          ca: config.ca,
        },
        this.#log,
      );
      this.#ownsDirectory = true;
    }
  }

  onUsersChanged(listener: UsersChangedListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Poll now and then every change_poll. Only entries modified from now on are reported. */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    this.#prime();
    this.#schedule(0);
  }

  #prime(): void {
    if (this.#primed) return;
    this.#primed = true;
    const now = this.#now();
    this.#reportFromMs = now - OVERLAP_MS;
    this.#highWaterMs = now - this.#startWindowMs;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const started = Date.now();
      this.#inFlight = this.pollOnce().then(() => {
        this.#inFlight = undefined;
        this.#schedule(Math.max(0, this.#config.changePollMs - (Date.now() - started)));
      });
    }, delayMs);
    // Polling alone must not keep the process alive.
    this.#timer.unref();
  }

  /**
   * One search (the first one also fixes "from now on", as start() does);
   * reports what it found to the listeners and returns it.
   * Never throws: failures are logged (rate-limited) and the next poll retries
   * from the same point, so nothing changed while LDAP was down is lost.
   */
  async pollOnce(): Promise<readonly LdapUserChange[]> {
    this.#prime();
    const floorMs = this.#highWaterMs - this.#overlapMs;
    const pollStartMs = this.#now();
    const started = Date.now();
    let entries: FoundEntry[] | undefined;
    try {
      const spec: SearchSpec = {
        base: this.#config.base,
        scope: this.#config.scope,
        filter: this.#filter.changedSince(formatGeneralizedTime(floorMs)),
        attributes: this.#attributes,
      };
      if (this.#probeFirst) {
        // Every poll sees the newest second's entries again: ask for their
        // versions only, and fetch the fields when one of them is new.
        const probe = await this.#directory.findAll({ ...spec, attributes: PROBE_ATTRIBUTES }, this.#directory.deadline());
        if (probe.every((e) => e.attributes.has(ENTRY_CSN) && this.#seen.has(fingerprint(e)))) entries = probe;
      }
      if (entries === undefined) {
        entries = await this.#directory.findAll(spec, this.#directory.deadline());
        // Versions are told apart by their CSN alone only where every entry has one.
        this.#probeFirst = entries.length > 0 && entries.every((e) => e.attributes.has(ENTRY_CSN));
      }
    } catch (err) {
      this.#pollFailed(err, Date.now() - started);
      return [];
    }
    if (this.#stopped) return [];
    if (this.#failures > 0) {
      this.#log.info({ failures: this.#failures, suppressed: this.#suppressed }, 'LDAP change polling resumed');
      this.#failures = 0;
      this.#suppressed = 0;
      this.#lastErrorLogMs = Number.NEGATIVE_INFINITY;
    }
    const changes = this.#newChanges(entries, floorMs);
    // A quiet directory must not make every poll download the last burst of
    // changes again (all users created at once stayed in the window for
    // good): entries stamped well before this poll began have been seen. The
    // start window is the same allowance for the server's clock running behind ours.
    this.#highWaterMs = Math.max(this.#highWaterMs, pollStartMs - this.#startWindowMs);
    if (changes.length > 0) this.#emit(changes);
    return changes;
  }

  #newChanges(entries: readonly FoundEntry[], floorMs: number): LdapUserChange[] {
    const changes: LdapUserChange[] = [];
    let newest = this.#highWaterMs;
    for (const entry of entries) {
      const stamp = entry.attributes.get(MODIFY_TIMESTAMP)?.[0];
      const modifiedAt = stamp === undefined ? undefined : parseGeneralizedTime(stamp);
      if (modifiedAt === undefined) {
        this.#log.warn({ dn: entry.dn, modifyTimestamp: stamp }, 'LDAP entry without a readable modifyTimestamp; ignored');
        continue;
      }
      newest = Math.max(newest, modifiedAt);
      const key = fingerprint(entry);
      if (this.#seen.has(key)) continue;
      this.#seen.set(key, modifiedAt);
      if (modifiedAt < this.#reportFromMs) continue;
      const change = this.#toChange(entry, modifiedAt);
      if (change !== undefined) changes.push(change);
    }
    this.#highWaterMs = newest;
    // Fingerprints below the next search's floor cannot come back.
    const nextFloor = newest - this.#overlapMs;
    if (nextFloor > floorMs) {
      for (const [key, at] of this.#seen) if (at < nextFloor) this.#seen.delete(key);
    }
    return changes;
  }

  #toChange(entry: FoundEntry, modifiedAt: number): LdapUserChange | undefined {
    const user = this.#namer.userOf(entry);
    if (user === undefined) {
      this.#log.warn({ dn: entry.dn }, 'changed LDAP entry has no user name attribute; ignored');
      return undefined;
    }
    const parsed = parseUserFields(user, entryToRawFields(entry, this.#config.fields));
    if ('error' in parsed) this.#log.warn({ user, dn: entry.dn, problem: parsed.error }, 'changed LDAP entry has a malformed field');
    const fields = 'error' in parsed ? undefined : parsed.fields;
    return { user: fields?.user ?? user, dn: entry.dn, modifiedAt, fields };
  }

  #emit(changes: readonly LdapUserChange[]): void {
    this.#log.debug({ users: changes.map((c) => c.user) }, 'LDAP entries changed');
    for (const listener of [...this.#listeners]) {
      try {
        listener(changes);
      } catch (err) {
        this.#log.error({ err }, 'LDAP change listener failed');
      }
    }
  }

  #pollFailed(err: unknown, durationMs: number): void {
    this.#failures += 1;
    if (this.#stopped) return;
    const now = Date.now();
    if (now - this.#lastErrorLogMs < this.#errorLogIntervalMs) {
      this.#suppressed += 1;
      return;
    }
    this.#lastErrorLogMs = now;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    if (err instanceof LdapError) {
      this.#log.warn(
        { uri: err.uri, kind: err.kind, code: err.code, durationMs, failures: this.#failures, suppressed, err },
        'LDAP change poll failed; retrying',
      );
    } else {
      this.#log.error({ durationMs, failures: this.#failures, suppressed, err }, 'LDAP change poll failed unexpectedly; retrying');
    }
  }

  /** Stop polling; a poll in flight is cut short and reports nothing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    if (this.#ownsDirectory) await this.#directory.close();
    await this.#inFlight;
  }
}

/** Same DN, same timestamp, same CSN and same values: the same version of the entry. */
function fingerprint(entry: FoundEntry): string {
  const stamp = entry.attributes.get(MODIFY_TIMESTAMP)?.[0];
  const csn = entry.attributes.get(ENTRY_CSN)?.[0];
  // A CSN names one version of the entry (it changes with every write, even
  // within a second): no need to hash the values. Each poll sees again the
  // entries of the newest second, so this runs for every one of them.
  if (csn !== undefined) return JSON.stringify([entry.dn.toLowerCase(), stamp, csn]);
  const hash = createHash('sha256');
  const names = [...entry.attributes.keys()].sort();
  for (const name of names) hash.update(JSON.stringify([name, entry.attributes.get(name)]));
  return JSON.stringify([entry.dn.toLowerCase(), stamp, undefined, hash.digest('base64')]);
}

