import { connect, type Socket } from 'node:net';

/** Protocols whose pre-login capabilities we learn from the backends. */
export type ProbedProtocol = 'imap' | 'pop3';

const PROBE_TIMEOUT_MS = 3000;

/** Read lines until `done(lines)` says so, the socket closes, or the deadline passes. */
function converse(socket: Socket, script: (line: string, send: (text: string) => void) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(new Error('probe timed out')), PROBE_TIMEOUT_MS);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    socket.setEncoding('latin1');
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('closed')));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        if (script(line, (text) => socket.write(text))) {
          finish();
          return;
        }
        newline = buffered.indexOf('\n');
      }
    });
  });
}

export async function probeImapCapabilities(host: string, port: number): Promise<Set<string>> {
  const caps = new Set<string>();
  const socket = connect({ host, port });
  await converse(socket, (line, send) => {
    const banner = /^\* OK \[CAPABILITY ([^\]]*)\]/i.exec(line);
    if (banner?.[1] !== undefined) {
      for (const cap of banner[1].split(' ')) caps.add(cap.toUpperCase());
      return true;
    }
    if (/^\* OK/i.test(line)) {
      send('p CAPABILITY\r\n');
      return false;
    }
    const untagged = /^\* CAPABILITY (.*)$/i.exec(line);
    if (untagged?.[1] !== undefined) for (const cap of untagged[1].split(' ')) caps.add(cap.toUpperCase());
    return /^p /i.test(line);
  });
  return caps;
}

export async function probePop3Capabilities(host: string, port: number): Promise<Set<string>> {
  const caps = new Set<string>();
  const socket = connect({ host, port });
  let greeted = false;
  let listing = false;
  await converse(socket, (line, send) => {
    if (!greeted) {
      greeted = true;
      send('CAPA\r\n');
      return false;
    }
    if (!listing) {
      listing = line.startsWith('+OK');
      return !listing;
    }
    if (line === '.') return true;
    const name = line.split(' ')[0];
    if (name !== undefined && name !== '') caps.add(name.toUpperCase());
    return false;
  });
  return caps;
}
