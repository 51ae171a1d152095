import { BackendLineError, BackendLines } from './backend-lines.js';
import type { CapabilityConversation } from './probe-conversation.js';

/** A backend's reply: its status and the text of each line (RFC 5321 §4.2, multi-line with `ddd-`). */
export interface SmtpReply {
  readonly status: number;
  readonly lines: readonly string[];
  /** The last line as received, for forwarding a 235 and for logs. */
  readonly last: string;
}

/** A reply longer than this is a broken or hostile backend (Dovecot 2.4 caps AUTH replies alike). */
const MAX_REPLY_LINES = 100;

/**
 * Read one whole reply: every line has the same status, the last one is
 * `ddd ` (or `ddd` alone). Throws BackendLineError on anything else.
 */
export async function readReply(lines: BackendLines): Promise<SmtpReply> {
  const texts: string[] = [];
  let status: number | undefined;
  for (;;) {
    const line = await lines.next();
    const match = /^([2-5]\d\d)([ -]|$)/.exec(line);
    if (match === null) throw new BackendLineError('socket', `invalid SMTP reply line: ${line.slice(0, 160)}`);
    const code = Number(match[1]);
    if (status !== undefined && code !== status) throw new BackendLineError('socket', `inconsistent SMTP reply: ${line.slice(0, 160)}`);
    status = code;
    texts.push(line.slice(4));
    if (match[2] !== '-') return { status, lines: texts, last: line };
    if (texts.length >= MAX_REPLY_LINES) throw new BackendLineError('socket', 'backend sent too many reply lines');
  }
}

/** The EHLO reply's keywords with their parameters, the greeting line left out (RFC 5321 §4.1.1.1). */
export function ehloCapabilities(reply: SmtpReply): string[] {
  return reply.lines.slice(1).map((text) => text.trim()).filter((text) => text !== '');
}

/** The capability line for `keyword` (`AUTH PLAIN LOGIN`), case-insensitive, if any. */
export function findCapability(capabilities: readonly string[], keyword: string): string | undefined {
  const upper = keyword.toUpperCase();
  return capabilities.find((line) => (line.split(' ')[0] ?? '').toUpperCase() === upper);
}

/**
 * The pre-login capability exchange of the SMTP family for the probes
 * (`EHLO` for Submission, `LHLO` for LMTP, RFC 2033 §4.1): the keywords with
 * their parameters (`SIZE 10240000`, `BURL imap`), keyword upper-cased;
 * AUTH, STARTTLS and XCLIENT are the director's own business with the
 * backend and are left out.
 */
export function smtpCapabilityProbe(hello: 'EHLO' | 'LHLO'): CapabilityConversation {
  return async (socket, deadline) => {
    const lines = new BackendLines(socket, deadline);
    try {
      const banner = await readReply(lines);
      if (banner.status !== 220) throw new Error('unexpected greeting');
      socket.write(`${hello} probe\r\n`);
      const reply = await readReply(lines);
      if (reply.status !== 250) throw new Error(`${hello} refused`);
      socket.write('QUIT\r\n');
      return ehloCapabilities(reply)
        .map((line) => {
          const space = line.indexOf(' ');
          return space < 0 ? line.toUpperCase() : `${line.slice(0, space).toUpperCase()}${line.slice(space)}`;
        })
        .filter((line) => !/^(AUTH|STARTTLS|XCLIENT)\b/.test(line));
    } finally {
      lines.detach();
    }
  };
}
