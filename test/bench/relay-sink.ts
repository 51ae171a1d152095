/**
 * The MTA behind the backend's submission service, for login benches: Dovecot's
 * submission connects to its relay (submission_relay_host) for each session
 * and answers QUIT with "421 Failed to connect to relay server" when nobody
 * listens. This sink greets, answers EHLO and QUIT, and says 250 to anything
 * else; no mail is relayed in the login scenario. It runs in the orchestrator
 * (pinned with slapd and the backend), not in a proxy under test.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface RelaySink {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

function serve(socket: Socket): void {
  let buffered = '';
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.write('220 relay-sink ESMTP\r\n');
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    let eol = buffered.indexOf('\r\n');
    while (eol >= 0) {
      const line = buffered.slice(0, eol);
      buffered = buffered.slice(eol + 2);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') socket.write('250-relay-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
      else if (verb === 'QUIT') {
        socket.end('221 2.0.0 Bye\r\n');
        return;
      } else socket.write('250 2.0.0 OK\r\n');
      eol = buffered.indexOf('\r\n');
    }
  });
}

export async function startRelaySink(host: string): Promise<RelaySink> {
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    serve(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay sink: no port');
  return {
    host,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}
