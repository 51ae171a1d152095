import { Server } from '@grpc/grpc-js';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { GrpcServerError } from './errors.js';
import { formatHostPort, KEEPALIVE_OPTIONS, serverCredentials } from './security.js';
import type { MutualTls } from './security.js';

export interface GrpcServiceBinding {
  readonly definition: ServiceDefinition;
  readonly handlers: UntypedServiceImplementation;
}

export interface GrpcServerHandle {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stop accepting calls, let running ones finish for up to `graceMs`, then cut them. */
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_CLOSE_GRACE_MS = 2_000;

export async function startGrpcServer(
  address: { readonly host: string; readonly port: number },
  services: readonly GrpcServiceBinding[],
  tls: MutualTls | undefined,
): Promise<GrpcServerHandle> {
  const credentials = serverCredentials(address.host, address.port, tls);
  const target = formatHostPort(address.host, address.port);
  const server = new Server({ ...KEEPALIVE_OPTIONS });
  for (const service of services) server.addService(service.definition, service.handlers);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, credentials, (err, boundPort) => {
      if (err !== null) reject(new GrpcServerError('bind_failed', target, err.message, { cause: err }));
      else resolve(boundPort);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port,
    close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}
