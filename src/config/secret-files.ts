import { readFileSync, statSync } from 'node:fs';

/**
 * Secrets the config names or holds (bind_password, bind_password_file, TLS
 * private keys): read at load, and a warning when another user of the host
 * could read them too. A warning, not a problem: a copy under test or in a
 * container may be fine as it is, but a director on a shared host is not.
 */

/** Permission bits that let every user of the host read the file. */
const OTHER_READ = 0o004;

/** The file's permission bits, or undefined when it cannot be stat'ed (reported elsewhere). */
export function fileMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

export function isWorldReadable(mode: number | undefined): boolean {
  return mode !== undefined && (mode & OTHER_READ) !== 0;
}

/** The warning's text: what is exposed and the fix (mode shown as chmod takes it). */
export function worldReadableWarning(path: string, mode: number, holds: string): string {
  return `${path} (mode ${mode.toString(8).padStart(4, '0')}) holds ${holds} and every user of this host can read it: chmod o-r ${path}`;
}

export type SecretFileRead = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

/**
 * A password kept in a file of its own (Dovecot reads `dnpass = <FILE`
 * alike): the whole file, less one line end, so `echo secret > FILE` works.
 */
export function readSecretFile(path: string): SecretFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    return { ok: false, message: `cannot read ${path} (${code})` };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return { ok: false, message: `${path} is empty` };
  if (/[\r\n]/.test(value)) return { ok: false, message: `${path} has more than one line; it must hold the password alone` };
  return { ok: true, value };
}
