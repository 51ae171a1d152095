/** The client-facing protocols a director speaks. */
export type Protocol = 'imap' | 'pop3' | 'lmtp' | 'submission' | 'sieve';

/**
 * What every layer needs to know of a protocol, in one table: its config
 * listen keys (plain, with STARTTLS where the protocol has it; implicit TLS)
 * and the backend port used when a backend names none. The drivers, probes
 * and capability parsers are registered in src/protocols/registry.ts.
 */
/** The config's `listen` keys of the mail ports. */
export type MailListenKey = 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'submission' | 'submissions' | 'lmtp' | 'sieve';

export interface ProtocolSpec {
  readonly protocol: Protocol;
  readonly listen: { readonly plain: MailListenKey; readonly implicitTls?: MailListenKey };
  readonly defaultPort: number;
}

export const PROTOCOL_SPECS: readonly ProtocolSpec[] = [
  { protocol: 'imap', listen: { plain: 'imap', implicitTls: 'imaps' }, defaultPort: 143 },
  { protocol: 'pop3', listen: { plain: 'pop3', implicitTls: 'pop3s' }, defaultPort: 110 },
  { protocol: 'submission', listen: { plain: 'submission', implicitTls: 'submissions' }, defaultPort: 587 },
  { protocol: 'lmtp', listen: { plain: 'lmtp' }, defaultPort: 24 },
  { protocol: 'sieve', listen: { plain: 'sieve' }, defaultPort: 4190 },
];

export const PROTOCOLS: readonly Protocol[] = PROTOCOL_SPECS.map((p) => p.protocol);

export const DEFAULT_PORTS: Readonly<Record<Protocol, number>> = Object.fromEntries(
  PROTOCOL_SPECS.map((p) => [p.protocol, p.defaultPort]),
) as Record<Protocol, number>;

const NAMES: ReadonlySet<string> = new Set(PROTOCOLS);

export function isProtocol(name: string): name is Protocol {
  return NAMES.has(name);
}
