import { observeBackendConnects } from '../../net/backend-connect.js';
import type { Histogram, MetricsRegistry } from './metrics.js';

/**
 * The series the login path feeds, in the process that runs the logins (the
 * director, or each worker, whose registries the primary aggregates).
 * Labels: protocol and result kinds, a fixed set.
 */
export class SessionMetrics {
  readonly #login: Histogram<'protocol' | 'result'>;
  readonly #connect: Histogram<'result'>;

  constructor(registry: MetricsRegistry) {
    this.#login = registry.histogram(
      'maildirector_login_duration_seconds',
      'From the client\'s login command to the reply: authentication, routing, any hold and the backend login, by protocol and result.',
      ['protocol', 'result'],
    );
    this.#connect = registry.histogram(
      'maildirector_backend_connect_duration_seconds',
      'One connect attempt to a backend for a login or an LMTP delivery (TCP, and TLS for ssl=yes), by result: ok, refused, timeout, tls, network.',
      ['result'],
    );
  }

  observeLogin(protocol: string, result: string, seconds: number): void {
    this.#login.observe({ protocol, result }, seconds);
  }

  /** Makes this process's backend connects (net/backend-connect.ts) feed the connect histogram. */
  watchBackendConnects(): void {
    observeBackendConnects((seconds, result) => this.#connect.observe({ result }, seconds));
  }
}
