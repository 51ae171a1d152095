import { Secret } from '../../../src/core/secret.js';
import type { BackendLoginParams } from '../../../src/session/backend-login.js';

/** A backend login's parameters for unit tests of the protocols' backend logins (a fake backend on `port`). */
export function backendLoginParams(localPort: number, overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  return {
    host: '127.0.0.1',
    port: 1,
    sourceIp: undefined,
    ssl: 'no',
    starttls: 'no',
    tls: { ca: undefined, clientCert: undefined, clientKey: undefined },
    user: 'alice',
    password: new Secret('pw 1'),
    master: undefined,
    proxyMech: undefined,
    timeoutMs: 2_000,
    nopipelining: false,
    notTrusted: false,
    ttl: 4,
    sessionId: 'SeSsIoN',
    client: { remoteIp: '::ffff:192.0.2.7', remotePort: 4711, localIp: '127.0.0.1', localPort },
    forward: {},
    clientId: undefined,
    ...overrides,
  };
}
