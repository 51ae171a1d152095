import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/** How long a live listener has to accept our probe before the file counts as stale. */
const PROBE_TIMEOUT_MS = 1_000;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** Whether something accepts connections on the socket file now. */
function answers(path: string): Promise<boolean | 'unknown'> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('unknown');
    }, PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      const code = errorCode(err);
      // Refused: a socket file nobody listens on (its process died). Gone: removed meanwhile.
      resolve(code === 'ECONNREFUSED' || code === 'ENOENT' ? false : 'unknown');
    });
  });
}

/**
 * Makes `path` free to bind: a socket file left by a run that crashed (no
 * listener behind it) is removed; a live one, or any file that is not a
 * socket, is refused, as a busy TCP port is. Throws with the reason.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err: unknown) {
    if (errorCode(err) !== 'ENOENT') throw new Error(`cannot use ${path}: ${String(err)}`);
    const dir = dirname(path);
    const st = await stat(dir).catch(() => undefined);
    if (st === undefined || !st.isDirectory()) throw new Error(`cannot listen on ${path}: ${dir} is not a directory`);
    return;
  }
  if (!isSocket) throw new Error(`cannot listen on ${path}: it exists and is not a socket`);
  const live = await answers(path);
  if (live === true) throw new Error(`cannot listen on ${path}: another process listens there`);
  if (live === 'unknown') throw new Error(`cannot listen on ${path}: a socket is there and could not be probed`);
  await unlink(path).catch((err: unknown) => {
    if (errorCode(err) !== 'ENOENT') throw err;
  });
}

/** A socket file this process bound: removed at shutdown only if it is still this one. */
export interface OwnedSocketFile {
  readonly path: string;
  /**
   * The file's identity: inode numbers are reused at once on tmpfs (/run),
   * so the change time our chmod set goes with it.
   */
  readonly ino: number;
  readonly ctimeNs: bigint;
}

/**
 * Gives the bound socket its configured permission bits. The socket is
 * created with the process umask first; connecting needs write permission,
 * which the usual umask (022) withholds from everyone but the owner, so the
 * moment before chmod never lets in more than the owner.
 */
export async function ownSocketFile(path: string, mode: number): Promise<OwnedSocketFile> {
  await chmod(path, mode);
  const st = await lstat(path, { bigint: true });
  return { path, ino: Number(st.ino), ctimeNs: st.ctimeNs };
}

/**
 * Removes the socket file at shutdown. Node already unlinks it when the
 * listener closes; this covers the multi-worker primary, and leaves alone a
 * file that another process bound since (a new director started while this
 * one drains).
 */
export async function removeSocketFile(file: OwnedSocketFile): Promise<void> {
  try {
    const st = await lstat(file.path, { bigint: true });
    if (st.isSocket() && Number(st.ino) === file.ino && st.ctimeNs === file.ctimeNs) await unlink(file.path);
  } catch {
    // Already gone.
  }
}
