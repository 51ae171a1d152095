import type { Socket } from 'node:net';
import { newSessionId } from '../../core/ids.js';
import { endpointLogFields, type Endpoint } from '../../net/listener.js';
import { LmtpConnection, type LmtpServerDeps } from './server.js';

/**
 * The LMTP port's connection handler. LMTP has no login, so it is not a
 * FrontendDriver on the session kit: each connection is an LmtpConnection,
 * and each recipient is routed by itself (recipient.ts).
 */
export function serveLmtp(socket: Socket, endpoint: Endpoint, deps: LmtpServerDeps): void {
  const sessionId = newSessionId();
  // A unix socket peer has no address: the log names the socket instead.
  const log = deps.log.child({ session: sessionId, protocol: 'lmtp', ...endpointLogFields(endpoint) });
  new LmtpConnection(socket, endpoint, { ...deps, log }, sessionId).start();
}
