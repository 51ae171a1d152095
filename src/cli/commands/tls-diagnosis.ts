import { connect } from 'node:tls';

/** How long the CLI spends finding out why a plaintext call failed. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * A plaintext admin call failed: when the port answers a TLS handshake, it
 * is a `grpc_tls` port that wants a client certificate, and gRPC's own
 * "Failed to connect" / "Connection dropped" does not say so. Returns the
 * sentence to print, or undefined when the port does not speak TLS (or
 * nothing answers), so the caller keeps gRPC's reason.
 */
export async function plaintextRefusedWhy(target: string): Promise<string | undefined> {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  if (match === null) return undefined;
  const host = match[1] ?? '';
  const port = Number(match[2]);
  const speaksTls = await new Promise<boolean>((resolve) => {
    // Only to learn whether the port speaks TLS: nothing is sent after the handshake.
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: undefined });
    const done = (tls: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(tls);
    };
    const timer = setTimeout(() => done(false), PROBE_TIMEOUT_MS);
    socket.once('secureConnect', () => done(true));
    // An alert from the server (certificate required, handshake failure) is TLS too.
    socket.once('error', (err: NodeJS.ErrnoException) => done(typeof err.code === 'string' && /^ERR_SSL_|^EPROTO$/.test(err.code)));
  });
  if (!speaksTls) return undefined;
  return (
    'the admin port requires mutual TLS (grpc_tls): pass --ca, --cert and --key (or MAIL_DIRECTOR_CA, MAIL_DIRECTOR_CERT, MAIL_DIRECTOR_KEY), ' +
    "a client certificate from the ring's grpc_tls.ca whose CN or DNS name is listed in grpc_tls.admins"
  );
}
