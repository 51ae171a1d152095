import type { Socket } from 'node:net';
import { connectBackend } from './backend-connect.js';
import { Deadline } from './deadline.js';
import { ignoreSocketError } from './ignore-error.js';

/**
 * A protocol's pre-login capability exchange with a backend, for the ring's
 * probes: given the connected socket and the probe's deadline, read what the
 * protocol announces before login (each protocol folder has one, next to
 * its backend login). Rejects when the backend does not speak the protocol.
 */
export type CapabilityConversation = (socket: Socket, deadline: Deadline) => Promise<readonly string[]>;

/**
 * One probe conversation: connect (no reconnect: the next round is the
 * retry), talk, close. Rejects with BackendConnectError, a reader error
 * (code `timeout` when `timeoutMs` ran out) or the conversation's own Error.
 */
export async function converse<T>(host: string, port: number, timeoutMs: number, talk: (socket: Socket, deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(timeoutMs);
  let socket: Socket | undefined;
  try {
    socket = await connectBackend({ host, port, sourceIp: undefined, tls: 'no', deadline, sharedReads: true });
    return await talk(socket, deadline);
  } finally {
    socket?.on('error', ignoreSocketError);
    socket?.destroy();
    deadline.clear();
  }
}
