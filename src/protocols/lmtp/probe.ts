import type { CapabilityConversation } from '../../net/probe-conversation.js';
import { BackendLines } from '../../net/backend-lines.js';
import { ehloCapabilities, readReply } from '../../net/smtp-reply.js';

/**
 * The backend's LHLO keywords with their parameters (`SIZE 10240000`),
 * keyword upper-cased; STARTTLS, XCLIENT and AUTH are the director's own
 * business with the backend and are left out.
 */
export const lmtpCapabilityProbe: CapabilityConversation = async (socket, deadline) => {
  const lines = new BackendLines(socket, deadline);
  try {
    const banner = await readReply(lines);
    if (banner.status !== 220) throw new Error('unexpected greeting');
    socket.write('LHLO probe\r\n');
    const lhlo = await readReply(lines);
    if (lhlo.status !== 250) throw new Error('LHLO refused');
    socket.write('QUIT\r\n');
    return ehloCapabilities(lhlo)
      .map((line) => {
        const space = line.indexOf(' ');
        return space < 0 ? line.toUpperCase() : `${line.slice(0, space).toUpperCase()}${line.slice(space)}`;
      })
      .filter((line) => !/^(AUTH|STARTTLS|XCLIENT)\b/.test(line));
  } finally {
    lines.detach();
  }
};
