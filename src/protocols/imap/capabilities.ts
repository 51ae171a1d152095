/** What imap-login announces before login (Dovecot's CAPABILITY_BANNER_STRING plus LITERAL+). */
export const BASE_PRELOGIN_CAPABILITIES: readonly string[] = [
  'IMAP4rev1',
  'SASL-IR',
  'LOGIN-REFERRALS',
  'ID',
  'ENABLE',
  'IDLE',
  'LITERAL+',
];

/** Mechanisms this driver accepts from clients. */
export const CLIENT_MECHANISMS: readonly string[] = ['PLAIN', 'LOGIN'];

export interface PreloginCapabilityInput {
  readonly tlsActive: boolean;
  /** A certificate is configured, so STARTTLS can be offered. */
  readonly starttlsAvailable: boolean;
  readonly plaintextAllowed: boolean;
  /** What every backend announced before login; undefined while unknown. */
  readonly backendCapabilities: ReadonlySet<string> | undefined;
}

/**
 * The pre-login capability list. Capabilities the backends would have to
 * honour after login are only announced when every backend has them
 * (SPEC §5); STARTTLS and the AUTH= list describe this director itself.
 */
export function preloginCapabilities(input: PreloginCapabilityInput): string[] {
  const backend = input.backendCapabilities === undefined ? undefined : upperSet(input.backendCapabilities);
  const caps = BASE_PRELOGIN_CAPABILITIES.filter(
    (cap) => cap === 'IMAP4rev1' || backend === undefined || backend.has(cap.toUpperCase()),
  );
  if (input.starttlsAvailable && !input.tlsActive) caps.push('STARTTLS');
  if (input.plaintextAllowed) caps.push(...CLIENT_MECHANISMS.map((mech) => `AUTH=${mech}`));
  else caps.push('LOGINDISABLED');
  return caps;
}

function upperSet(values: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const value of values) out.add(value.toUpperCase());
  return out;
}
