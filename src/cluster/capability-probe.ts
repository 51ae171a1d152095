import type { Socket } from 'node:net';
import { connectBackend } from '../net/backend-connect.js';
import { BackendLines } from '../net/backend-lines.js';
import { Deadline } from '../net/deadline.js';
import { ignoreSocketError } from '../net/ignore-error.js';
import { capabilityCode, untaggedCapability, type CapabilitySet } from '../protocols/imap/capabilities.js';

/**
 * One probe conversation: connect (no reconnect: the next round is the
 * retry), read lines with the backend logins' reader, close. Rejects with
 * BackendConnectError or BackendLineError (code `timeout` when `timeoutMs`
 * ran out) or with the conversation's own Error.
 */
async function converse<T>(host: string, port: number, timeoutMs: number, talk: (lines: BackendLines, socket: Socket) => Promise<T>): Promise<T> {
  const deadline = new Deadline(timeoutMs);
  let socket: Socket | undefined;
  let lines: BackendLines | undefined;
  try {
    socket = await connectBackend({ host, port, sourceIp: undefined, tls: 'no', deadline, sharedReads: true });
    lines = new BackendLines(socket, deadline);
    return await talk(lines, socket);
  } finally {
    lines?.detach();
    socket?.on('error', ignoreSocketError);
    socket?.destroy();
    deadline.clear();
  }
}

const IMAP_GREETING = /^\* OK\b/i;
const POP3_OK = /^\+OK\b/;
const PROBE_TAG = /^p /i;

/** Connect and read the greeting only: `* OK` (IMAP) or `+OK` (POP3). */
export function probeGreeting(host: string, port: number, timeoutMs: number): Promise<void> {
  return converse(host, port, timeoutMs, async (lines) => {
    const greeting = await lines.next();
    if (!IMAP_GREETING.test(greeting) && !POP3_OK.test(greeting)) throw new Error('unexpected greeting');
  });
}

function upperCased(caps: CapabilitySet | undefined): Set<string> {
  return new Set((caps?.original ?? []).map((cap) => cap.toUpperCase()));
}

/** The IMAP capabilities before login: from the greeting's code, else from `CAPABILITY`. */
export function probeImapCapabilities(host: string, port: number, timeoutMs: number): Promise<Set<string>> {
  return converse(host, port, timeoutMs, async (lines, socket) => {
    const greeting = await lines.next();
    if (!IMAP_GREETING.test(greeting)) throw new Error('unexpected greeting');
    const inGreeting = capabilityCode(greeting.slice(4).trimStart());
    if (inGreeting !== undefined) return upperCased(inGreeting);
    socket.write('p CAPABILITY\r\n');
    let caps: CapabilitySet | undefined;
    for (;;) {
      const line = lines.buffered() ?? (await lines.next());
      caps = untaggedCapability(line) ?? caps;
      if (PROBE_TAG.test(line)) return upperCased(caps);
    }
  });
}

/** The POP3 CAPA names (RFC 2449), upper-cased; empty when the backend answers CAPA with -ERR. */
export function probePop3Capabilities(host: string, port: number, timeoutMs: number): Promise<Set<string>> {
  return converse(host, port, timeoutMs, async (lines, socket) => {
    if (!POP3_OK.test(await lines.next())) throw new Error('unexpected greeting');
    socket.write('CAPA\r\n');
    const caps = new Set<string>();
    if (!POP3_OK.test(await lines.next())) return caps;
    for (;;) {
      const line = lines.buffered() ?? (await lines.next());
      if (line === '.') return caps;
      const name = line.split(' ')[0];
      if (name !== undefined && name !== '') caps.add(name.toUpperCase());
    }
  });
}
