import { PROTOCOL_SPECS, type Protocol, type ProtocolSpec } from '../core/protocol.js';
import type { CapabilityConversation } from '../net/probe-conversation.js';
import type { FrontendDriver } from '../session/frontend.js';
import { imapDriver } from './imap/driver.js';
import { imapCapabilityProbe } from './imap/probe.js';
import { lmtpCapabilityProbe } from './lmtp/probe.js';
import { pop3Driver } from './pop3/driver.js';
import { pop3CapabilityProbe } from './pop3/probe.js';
import { sieveDriver } from './sieve/driver.js';
import { sieveCapabilityProbe } from './sieve/probe.js';
import { submissionDriver } from './submission/driver.js';
import { submissionCapabilityProbe } from './submission/probe.js';

/**
 * Every front end the director serves, in one table: a new protocol is a
 * folder under src/protocols/ and one row here. Listen keys and default
 * backend ports come from core/protocol.ts (the config reads them there);
 * this adds the driver and the probe that learns what the backends offer
 * before login.
 */
export interface FrontendProtocol extends ProtocolSpec {
  readonly driver: FrontendDriver;
  readonly probe: CapabilityConversation;
}

const IMPLEMENTATIONS: ReadonlyMap<Protocol, Pick<FrontendProtocol, 'driver' | 'probe'>> = new Map([
  ['imap', { driver: imapDriver, probe: imapCapabilityProbe }],
  ['pop3', { driver: pop3Driver, probe: pop3CapabilityProbe }],
  ['submission', { driver: submissionDriver, probe: submissionCapabilityProbe }],
  ['sieve', { driver: sieveDriver, probe: sieveCapabilityProbe }],
]);

export const FRONTEND_PROTOCOLS: readonly FrontendProtocol[] = PROTOCOL_SPECS.flatMap((spec) => {
  const implementation = IMPLEMENTATIONS.get(spec.protocol);
  return implementation === undefined ? [] : [{ ...spec, ...implementation }];
});

/**
 * LMTP is served by its own connection handler (protocols/lmtp/driver.ts,
 * opened by app/frontends.ts): no login, so no FrontendDriver; its probe
 * still tells LHLO what the backends offer.
 */
const PROBE_ONLY: ReadonlyMap<Protocol, CapabilityConversation> = new Map([['lmtp', lmtpCapabilityProbe]]);

/** The probe conversations by protocol, for the ring's backend probes. */
export function capabilityProbes(): ReadonlyMap<Protocol, CapabilityConversation> {
  return new Map([...FRONTEND_PROTOCOLS.map((p) => [p.protocol, p.probe] as const), ...PROBE_ONLY]);
}
