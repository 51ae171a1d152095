import type { CapabilityConversation } from '../../net/probe-conversation.js';
import { BackendLines } from '../../net/backend-lines.js';

const OK = /^\+OK\b/;

/** The POP3 CAPA names (RFC 2449), upper-cased; empty when the backend answers CAPA with -ERR. */
export const pop3CapabilityProbe: CapabilityConversation = async (socket, deadline) => {
  const lines = new BackendLines(socket, deadline);
  try {
    if (!OK.test(await lines.next())) throw new Error('unexpected greeting');
    socket.write('CAPA\r\n');
    const caps = new Set<string>();
    if (!OK.test(await lines.next())) return [];
    for (;;) {
      const line = lines.buffered() ?? (await lines.next());
      if (line === '.') return [...caps];
      const name = line.split(' ')[0];
      if (name !== undefined && name !== '') caps.add(name.toUpperCase());
    }
  } finally {
    lines.detach();
  }
};
