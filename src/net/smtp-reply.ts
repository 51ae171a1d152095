import { BackendLineError, type BackendLines } from './backend-lines.js';

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
