import { SMTP_TEXT } from '../replies.js';
import { offeredMechanisms } from '../../../auth/sasl-mechanisms.js';
import type { SubmissionCommand, SubmissionCommandSession } from './types.js';

/**
 * Extensions served by the backend after login, in the order Dovecot's
 * submission-login lists them (client-authenticate.c cmd_helo_reply).
 * Advertised before login only if the backends offer them: a client may
 * plan its transaction from this EHLO.
 */
const BACKEND_EXTENSIONS = [
  '8BITMIME', 'BINARYMIME', 'BURL', 'CHUNKING', 'DSN', 'ENHANCEDSTATUSCODES', 'SIZE', 'SMTPUTF8', 'PIPELINING', 'VRFY',
] as const;

/**
 * Before the backends' EHLO is known: what every SMTP submission server
 * we proxy to can be relied on for. Not SIZE: a client seeing it sends
 * `MAIL FROM:<…> SIZE=n`, which a backend without RFC 1870 rejects.
 */
const BASELINE_EXTENSIONS: ReadonlySet<string> = new Set(['8BITMIME', 'ENHANCEDSTATUSCODES', 'PIPELINING']);

/** The backends' EHLO lines by keyword (`SIZE 10240000` keeps its parameter). */
function backendExtensions(session: SubmissionCommandSession): ReadonlyMap<string, string> {
  const backend = session.context.backendPreloginCapabilities();
  const byKeyword = new Map<string, string>();
  for (const line of backend ?? BASELINE_EXTENSIONS) {
    const keyword = (line.split(' ')[0] ?? '').toUpperCase();
    if (keyword !== '') byKeyword.set(keyword, line);
  }
  return byKeyword;
}

/** The EHLO keywords after the greeting line, in Dovecot's order. */
export function ehloExtensions(session: SubmissionCommandSession): string[] {
  const backend = backendExtensions(session);
  const lines: string[] = [];
  const add = (keyword: (typeof BACKEND_EXTENSIONS)[number]): void => {
    const line = backend.get(keyword);
    if (line !== undefined) lines.push(line);
  };
  add('8BITMIME');
  // Both mechanisms send the password in the clear: none before TLS from untrusted networks.
  if (session.plaintextAllowed()) lines.push(`AUTH ${offeredMechanisms(session.context.oauth2).join(' ')}`);
  for (const keyword of ['BINARYMIME', 'BURL', 'CHUNKING', 'DSN', 'ENHANCEDSTATUSCODES', 'SIZE', 'SMTPUTF8'] as const) add(keyword);
  if (session.context.secureContext !== undefined && !session.tlsActive) lines.push('STARTTLS');
  add('PIPELINING');
  add('VRFY');
  return lines;
}

/** EHLO and HELO (RFC 5321 §4.1.1.1); HELO is the old form without extensions. */
function helloCommand(name: 'EHLO' | 'HELO'): SubmissionCommand {
  return {
    name,
    run(session, args) {
      const domain = args.trim().split(' ')[0] ?? '';
      if (domain === '') {
        session.reply(SMTP_TEXT.missingHostname);
        return 'invalid';
      }
      session.helo = domain;
      if (name === 'HELO') {
        session.reply(`250 ${session.hostname}`);
        return 'ok';
      }
      const extensions = ehloExtensions(session);
      session.reply(extensions.length === 0 ? `250 ${session.hostname}` : `250-${session.hostname}`);
      extensions.forEach((line, i) => session.reply(`${i === extensions.length - 1 ? '250 ' : '250-'}${line}`));
      return 'ok';
    },
  };
}

export const ehloCommand = helloCommand('EHLO');
export const heloCommand = helloCommand('HELO');
