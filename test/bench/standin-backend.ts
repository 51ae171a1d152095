/**
 * A minimal IMAP backend for the 100,000-idle-sessions benchmark (scripts/bench-idle):
 * Dovecot starts a process per session, so it cannot hold that many. One node
 * process listens on several 127.0.x.y addresses on one port (the director's
 * backend connections then spread over many destination addresses, clear of
 * the 64k source-port limit per address pair).
 *
 * It answers what the director sends: the probe (greeting with CAPABILITY,
 * `CAPABILITY`; the POP3 probe's `CAPA` gets a BAD and hangs up), the backend
 * login (`ID` and `LOGIN` pipelined; any password), and then IDLE/DONE, NOOP,
 * LOGOUT. Per connection it keeps two properties on the socket and nothing
 * else: listeners are shared module-level functions.
 *
 *   node --import tsx test/bench/standin-backend.ts --hosts 127.0.1.1,127.0.1.2 --port 14300
 */
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const CAPS = 'IMAP4rev1 LITERAL+ ID IDLE ENABLE';
const GREETING = Buffer.from(`* OK [CAPABILITY ${CAPS}] Stand-in ready.\r\n`);
const CAPABILITY_REPLY = `* CAPABILITY ${CAPS}\r\n`;
const LOGGED_IN = ` OK [CAPABILITY ${CAPS}] Logged in\r\n`;
const IDLING = '+ idling\r\n';
const MAX_LINE = 8192;

const kLine = Symbol('partial line');
const kIdleTag = Symbol('idle tag');

interface StandinSocket extends Socket {
  /** Bytes of an unfinished line (rare: commands are short and arrive whole). */
  [kLine]?: string;
  /** Tag of the running IDLE, until DONE. */
  [kIdleTag]?: string;
}

function onData(this: StandinSocket, chunk: Buffer): void {
  let text = chunk.toString('latin1');
  const partial = this[kLine];
  if (partial !== undefined) {
    text = partial + text;
    this[kLine] = undefined;
  }
  let start = 0;
  let reply = '';
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) break;
    const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
    const answer = answerLine(this, text.slice(start, end));
    reply += answer.text;
    start = newline + 1;
    if (answer.close) {
      this.end(reply);
      return;
    }
  }
  if (start < text.length) {
    if (text.length - start > MAX_LINE) {
      this.destroy();
      return;
    }
    this[kLine] = text.slice(start);
  }
  // One write per chunk: a pipelined ID + LOGIN gets both replies together.
  if (reply.length > 0) this.write(reply);
}

interface Answer {
  readonly text: string;
  /** Hang up after the text (LOGOUT). */
  readonly close: boolean;
}

function say(text: string, close = false): Answer {
  return { text, close };
}

/** The reply to one command line. */
function answerLine(socket: StandinSocket, line: string): Answer {
  const idleTag = socket[kIdleTag];
  if (idleTag !== undefined) {
    socket[kIdleTag] = undefined;
    return say(line.toUpperCase() === 'DONE' ? `${idleTag} OK Idle completed.\r\n` : `${idleTag} BAD Expected DONE.\r\n`);
  }
  if (line.length === 0) return say('');
  const space = line.indexOf(' ');
  // The director's POP3 probe sends a bare CAPA here, reads this and hangs up.
  if (space <= 0) return say('* BAD Missing tag or command.\r\n');
  const tag = line.slice(0, space);
  const rest = line.slice(space + 1);
  const nextSpace = rest.indexOf(' ');
  const command = (nextSpace < 0 ? rest : rest.slice(0, nextSpace)).toUpperCase();
  switch (command) {
    case 'CAPABILITY':
      return say(`${CAPABILITY_REPLY}${tag} OK Capability completed.\r\n`);
    case 'ID':
      return say(`* ID NIL\r\n${tag} OK ID completed.\r\n`);
    case 'LOGIN':
      return say(tag + LOGGED_IN);
    case 'NOOP':
    case 'CHECK':
      return say(`${tag} OK ${command} completed.\r\n`);
    case 'IDLE':
      socket[kIdleTag] = tag;
      return say(IDLING);
    case 'LOGOUT':
      return say(`* BYE Logging out\r\n${tag} OK Logout completed.\r\n`, true);
    default:
      return say(`${tag} BAD Unknown command.\r\n`);
  }
}

function onError(this: Socket): void {
  this.destroy();
}

function onConnection(socket: Socket): void {
  socket.on('data', onData);
  socket.on('error', onError);
  socket.write(GREETING);
}

function listen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true }, onConnection);
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => {
      server.off('error', reject);
      server.on('error', (err) => process.stderr.write(`standin ${host}:${port}: ${err.message}\n`));
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '127.0.1.1,127.0.1.2,127.0.1.3,127.0.1.4,127.0.1.5,127.0.1.6,127.0.1.7,127.0.1.8' },
      port: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('--port is required (1-65535)');
  const hosts = values.hosts.split(',').filter((h) => h.length > 0);
  await Promise.all(hosts.map((host) => listen(host, port)));
  process.stdout.write(`${JSON.stringify({ type: 'ready', hosts, port })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`standin-backend: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
