import type { CapabilityConversation } from '../../net/probe-conversation.js';
import { BackendLines } from '../../net/backend-lines.js';
import { ehloCapabilities, readReply } from '../../net/smtp-reply.js';

/**
 * The EHLO keywords with their parameters (`SIZE 10240000`, `BURL imap`),
 * keyword upper-cased (RFC 5321 §4.1.1.1); AUTH, STARTTLS and XCLIENT are
 * the director's own business with the backend and are left out.
 */
export const submissionCapabilityProbe: CapabilityConversation = async (socket, deadline) => {
  const lines = new BackendLines(socket, deadline);
  try {
    const banner = await readReply(lines);
    if (banner.status !== 220) throw new Error('unexpected greeting');
    socket.write('EHLO probe\r\n');
    const ehlo = await readReply(lines);
    if (ehlo.status !== 250) throw new Error('EHLO refused');
    socket.write('QUIT\r\n');
    return ehloCapabilities(ehlo)
      .map((line) => {
        const space = line.indexOf(' ');
        return space < 0 ? line.toUpperCase() : `${line.slice(0, space).toUpperCase()}${line.slice(space)}`;
      })
      .filter((line) => !/^(AUTH|STARTTLS|XCLIENT)\b/.test(line));
  } finally {
    lines.detach();
  }
};
