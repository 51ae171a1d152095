import { offeredMechanisms } from '../../../auth/sasl-mechanisms.js';
import type { Pop3Command, Pop3CommandSession } from './types.js';

/** Capabilities the backend serves after login, in Dovecot's order (pop3-capability.h). */
const POST_LOGIN_CAPABILITIES = ['TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE'] as const;

/** SASL mechanisms offered now: all send a secret in the clear, so none before TLS from untrusted networks. */
export function advertisedMechanisms(session: Pop3CommandSession): readonly string[] {
  return session.plaintextAllowed() ? offeredMechanisms(session.context.oauth2) : [];
}

/** The CAPA lines (without the `+OK` and the final `.`). */
export function capabilityLines(session: Pop3CommandSession): string[] {
  const backend = session.context.backendPreloginCapabilities();
  const backendNames =
    backend === undefined ? undefined : new Set([...backend].map((c) => (c.split(' ')[0] ?? '').toUpperCase()));
  const lines: string[] = ['CAPA'];
  for (const cap of POST_LOGIN_CAPABILITIES) {
    // A client may rely on CAPA from before login: never promise what a backend lacks.
    if (backendNames === undefined || backendNames.has(cap)) lines.push(cap);
  }
  if (session.context.secureContext !== undefined && !session.tlsActive) lines.push('STLS');
  if (session.plaintextAllowed()) lines.push('USER');
  const mechanisms = advertisedMechanisms(session);
  if (mechanisms.length > 0) lines.push(`SASL ${mechanisms.join(' ')}`);
  return lines;
}

export const capaCommand: Pop3Command = {
  name: 'CAPA',
  run(session) {
    session.reply('+OK');
    for (const line of capabilityLines(session)) session.reply(line);
    session.reply('.');
    return 'ok';
  },
};
