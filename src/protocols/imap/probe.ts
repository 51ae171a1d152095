import type { CapabilityConversation } from '../../net/probe-conversation.js';
import { BackendLines } from '../../net/backend-lines.js';
import { capabilityCode, untaggedCapability, type CapabilitySet } from './capabilities.js';

const GREETING = /^\* OK\b/i;
const PROBE_TAG = /^p /i;

function upperCased(caps: CapabilitySet | undefined): string[] {
  return (caps?.original ?? []).map((cap) => cap.toUpperCase());
}

/** The IMAP capabilities before login: from the greeting's code, else from `CAPABILITY` (RFC 3501 §7.1). */
export const imapCapabilityProbe: CapabilityConversation = async (socket, deadline) => {
  const lines = new BackendLines(socket, deadline);
  try {
    const greeting = await lines.next();
    if (!GREETING.test(greeting)) throw new Error('unexpected greeting');
    const inGreeting = capabilityCode(greeting.slice(4).trimStart());
    if (inGreeting !== undefined) return upperCased(inGreeting);
    socket.write('p CAPABILITY\r\n');
    let caps: CapabilitySet | undefined;
    for (;;) {
      const line = lines.buffered() ?? (await lines.next());
      caps = untaggedCapability(line) ?? caps;
      if (PROBE_TAG.test(line)) return upperCased(caps);
    }
  } finally {
    lines.detach();
  }
};
