import { offeredMechanisms } from '../../auth/sasl-mechanisms.js';
import { sieveString } from './quote.js';
import { SIEVE_TEXT } from './replies.js';

/**
 * Pre-login capabilities (RFC 5804 §1.7), in Pigeonhole's order
 * (managesieve-login/client.c client_send_capabilities).
 *
 * Backend capabilities (FrontendContext.backendPreloginCapabilities) for
 * `sieve` are one item per extension, so that the ring's intersection over
 * backends is a set intersection: `SIEVE <extension>` and
 * `NOTIFY <method>`; backendCapabilityItems() makes them from a backend's
 * capability listing.
 */

/**
 * When the backends' capabilities are not known yet: the extensions every
 * Pigeonhole since 0.4 (Dovecot 2.2) enables by default. A client may check
 * a script against this list; the backend checks it again on PUTSCRIPT.
 */
export const BASELINE_SIEVE_EXTENSIONS: readonly string[] = [
  'fileinto', 'reject', 'envelope', 'encoded-character', 'vacation', 'subaddress', 'comparator-i;ascii-numeric',
  'relational', 'regex', 'imap4flags', 'copy', 'include', 'variables', 'body', 'enotify', 'environment', 'mailbox',
  'date', 'ihave',
];
export const BASELINE_NOTIFY_METHODS: readonly string[] = ['mailto'];

export interface CapabilityState {
  readonly tlsActive: boolean;
  readonly starttlsAvailable: boolean;
  readonly plaintextAllowed: boolean;
  /** XOAUTH2 and OAUTHBEARER are configured. */
  readonly oauth2: boolean;
  readonly backend: ReadonlySet<string> | undefined;
}

/** `SIEVE x` / `NOTIFY y` items from a backend's capability pairs (name, value), e.g. from its greeting. */
export function backendCapabilityItems(pairs: Iterable<readonly [string, string | undefined]>): string[] {
  const items: string[] = [];
  for (const [name, value] of pairs) {
    const upper = name.toUpperCase();
    if ((upper === 'SIEVE' || upper === 'NOTIFY') && value !== undefined) {
      for (const word of value.split(' ')) if (word !== '') items.push(`${upper} ${word}`);
    }
  }
  return items;
}

function fromBackend(backend: ReadonlySet<string>, name: 'SIEVE' | 'NOTIFY'): string[] {
  const prefix = `${name} `;
  const out: string[] = [];
  for (const item of backend) if (item.startsWith(prefix)) out.push(item.slice(prefix.length));
  return out;
}

/** The capability lines, CRLF included, without the closing OK. */
export function capabilityLines(state: CapabilityState): string {
  const sieve = state.backend === undefined ? BASELINE_SIEVE_EXTENSIONS : fromBackend(state.backend, 'SIEVE');
  const notify = state.backend === undefined ? BASELINE_NOTIFY_METHODS : fromBackend(state.backend, 'NOTIFY');
  let text = `"IMPLEMENTATION" ${sieveString(SIEVE_TEXT.implementation)}\r\n"SIEVE" ${sieveString(sieve.join(' '))}\r\n`;
  if (notify.length > 0) text += `"NOTIFY" ${sieveString(notify.join(' '))}\r\n`;
  // Every mechanism sends a secret in the clear: none before TLS from an untrusted network, as Pigeonhole shows `"SASL" ""`.
  text += `"SASL" ${sieveString(state.plaintextAllowed ? offeredMechanisms(state.oauth2).join(' ') : '')}\r\n`;
  if (state.starttlsAvailable && !state.tlsActive) text += '"STARTTLS"\r\n';
  text += '"VERSION" "1.0"\r\n';
  return text;
}
