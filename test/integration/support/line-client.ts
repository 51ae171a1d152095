import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * A raw line-oriented client for protocol tests: send exact bytes, read
 * exact lines, with a deadline on every wait so a hang fails the test.
 */
export class LineClient {
  #socket: Socket | TLSSocket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#attach();
  }

  static async connect(
    host: string,
    port: number,
    options: { tls?: boolean; ca?: string | Buffer; localAddress?: string } = {},
  ): Promise<LineClient> {
    const plain = netConnect({ host, port, localAddress: options.localAddress });
    const socket = options.tls === true
      ? tlsConnect({ socket: plain, ca: options.ca, rejectUnauthorized: options.ca !== undefined })
      : plain;
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls === true ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new LineClient(socket);
  }

  /** A unix socket peer (listen.lmtp_socket). */
  static async connectUnix(path: string): Promise<LineClient> {
    const socket = netConnect({ path });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new LineClient(socket);
  }

  #attach(): void {
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    this.#socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    this.#socket.on('error', () => undefined);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * After the server said yes to STARTTLS/STLS: a new client speaking TLS over
   * this connection. Bytes left unread in this one are dropped, as a client must.
   */
  async upgradeTls(options: { ca: string | Buffer; servername?: string }): Promise<LineClient> {
    this.#socket.removeAllListeners('data');
    const tls = tlsConnect({ socket: this.#socket, ca: options.ca, servername: options.servername ?? 'localhost' });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
    return new LineClient(tls);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not read yet. */
  get buffered(): number {
    return this.#buffer.length;
  }

  get socket(): Socket | TLSSocket {
    return this.#socket;
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Next CRLF-terminated line, without the CRLF. Rejects on close or deadline. */
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const newline = this.#buffer.indexOf('\n');
      if (newline >= 0) {
        const line = this.#buffer.subarray(0, newline).toString('latin1').replace(/\r$/, '');
        this.#buffer = this.#buffer.subarray(newline + 1);
        return line;
      }
      if (this.#closed) throw new Error(`connection closed while waiting for a line (buffer: ${JSON.stringify(this.#buffer.toString('latin1'))})`);
      await this.#wait(deadline);
    }
  }

  /** Exactly n bytes. */
  async bytes(n: number, timeoutMs = 10000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffer.length < n) {
      if (this.#closed) throw new Error('connection closed while waiting for bytes');
      await this.#wait(deadline);
    }
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /** Lines until one starts with `prefix` (inclusive); returns them all. */
  async until(prefix: string, timeoutMs = 5000): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line(timeoutMs);
      lines.push(line);
      if (line.startsWith(prefix)) return lines;
    }
  }

  /** Resolves when the server closes the connection; rejects after the deadline. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) await this.#wait(deadline);
  }

  #wait(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        reject(new Error(`timed out; buffer: ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 200))}`));
        return;
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(new Error(`timed out; buffer: ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 200))}`));
      }, remaining);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(done);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
