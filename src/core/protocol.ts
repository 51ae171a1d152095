/** The client-facing protocols a director speaks. */
export type Protocol = 'imap' | 'pop3' | 'lmtp' | 'submission' | 'sieve';

export const DEFAULT_PORTS: Readonly<Record<Protocol, number>> = {
  imap: 143,
  pop3: 110,
  lmtp: 24,
  submission: 587,
  sieve: 4190,
};
