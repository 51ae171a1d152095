import { createServer, type Server, type Socket } from 'node:net';

/** What one fake LMTP backend saw: command lines, and each message's bytes exactly as received. */
export interface FakeLmtpBackend {
  readonly port: number;
  readonly commands: string[];
  readonly messages: Buffer[];
  /** Sockets open now (a test may cut them). */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** Extra LHLO keywords. */
  readonly keywords?: readonly string[];
  /** RCPT reply for an address (default 250 2.1.5 OK). */
  readonly rcptReply?: (address: string) => string;
  /** The reply after DATA for the n-th accepted recipient (default 250 2.0.0 <addr> Saved). */
  readonly dataReply?: (address: string) => string;
  /** Cut the connection once this many message bytes arrived (a backend dying mid-DATA). */
  readonly dieAfterBytes?: number;
}

/**
 * A small LMTP server (RFC 2033) on 127.0.0.1 for unit tests: LHLO,
 * XCLIENT (answered with a new greeting, as Dovecot does), MAIL, RCPT,
 * DATA with one reply per accepted recipient, RSET, QUIT.
 */
export async function startFakeLmtp(opts: FakeOptions = {}): Promise<FakeLmtpBackend> {
  const commands: string[] = [];
  const messages: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let inData = false;
    let message: Buffer[] = [];
    let messageBytes = 0;
    let accepted: string[] = [];
    socket.write('220 fake LMTP ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const startEnd = messageBytes === 0 && buffer.subarray(0, 3).toString() === '.\r\n' ? 0 : -1;
          if (end < 0 && startEnd < 0) {
            const keep = Math.max(0, buffer.length - 4);
            message.push(buffer.subarray(0, keep));
            messageBytes += keep;
            buffer = buffer.subarray(keep);
            if (opts.dieAfterBytes !== undefined && messageBytes >= opts.dieAfterBytes) socket.destroy();
            return;
          }
          const cut = startEnd === 0 ? 3 : end + 5;
          message.push(buffer.subarray(0, cut));
          buffer = buffer.subarray(cut);
          messages.push(Buffer.concat(message));
          message = [];
          messageBytes = 0;
          inData = false;
          for (const a of accepted) socket.write(`${opts.dataReply?.(a) ?? `250 2.0.0 <${a}> fake Saved`}\r\n`);
          accepted = [];
          continue;
        }
        const lf = buffer.indexOf('\n');
        if (lf < 0) return;
        const line = buffer.subarray(0, lf).toString('latin1').replace(/\r$/, '');
        buffer = buffer.subarray(lf + 1);
        commands.push(line);
        const verb = line.split(' ')[0]?.toUpperCase() ?? '';
        if (verb === 'LHLO') socket.write(['fake', 'PIPELINING', 'ENHANCEDSTATUSCODES', '8BITMIME', ...(opts.keywords ?? [])].map((k, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${k}`).join('\r\n') + '\r\n');
        else if (verb === 'XCLIENT') socket.write('220 fake LMTP ready\r\n');
        else if (verb === 'MAIL') socket.write('250 2.1.0 OK\r\n');
        else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const reply = opts.rcptReply?.(address) ?? '250 2.1.5 OK';
          if (reply.startsWith('2')) accepted.push(address);
          socket.write(`${reply}\r\n`);
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 OK\r\n');
        } else if (verb === 'RSET') socket.write('250 2.0.0 OK\r\n');
        else if (verb === 'QUIT') {
          socket.end('221 2.0.0 Bye\r\n');
          return;
        } else socket.write('500 5.5.1 Unknown command\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    commands,
    messages,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
