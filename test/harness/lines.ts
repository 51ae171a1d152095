import { connect, type Socket } from 'node:net';
import { HarnessError } from './errors.js';

/**
 * A line-oriented TCP client for harness checks (not a protocol implementation):
 * send a line, read lines until one satisfies a predicate.
 */
export class LineClient {
  readonly #socket: Socket;
  #buffer = '';
  readonly #lines: string[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  #error: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let i;
      while ((i = this.#buffer.indexOf('\n')) >= 0) {
        this.#lines.push(this.#buffer.slice(0, i).replace(/\r$/, ''));
        this.#buffer = this.#buffer.slice(i + 1);
      }
      this.#wake();
    });
    socket.on('error', (err) => {
      this.#error = err;
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  static connect(host: string, port: number, timeoutMs = 5000): Promise<LineClient> {
    return LineClient.#open({ host, port }, `${host}:${port}`, timeoutMs);
  }

  /** The same over a unix socket. */
  static connectPath(path: string, timeoutMs = 5000): Promise<LineClient> {
    return LineClient.#open({ path }, path, timeoutMs);
  }

  static #open(target: { host: string; port: number } | { path: string }, name: string, timeoutMs: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(target);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HarnessError('not_ready', `connect ${name} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new LineClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new HarnessError('not_ready', `connect ${name}: ${err.message}`, { cause: err }));
      });
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  send(line: string): void {
    this.#socket.write(`${line}\r\n`);
  }

  /** Lines up to and including the first that matches `done`. */
  async readUntil(done: (line: string) => boolean, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const got: string[] = [];
    for (;;) {
      while (this.#lines.length > 0) {
        const line = this.#lines.shift() as string;
        got.push(line);
        if (done(line)) return got;
      }
      if (this.#error !== undefined || this.#closed) {
        throw new HarnessError('protocol_error', `connection ended while waiting; got: ${JSON.stringify(got)}`, { cause: this.#error });
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new HarnessError('protocol_error', `timed out waiting; got: ${JSON.stringify(got)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async readLine(timeoutMs = 5000): Promise<string> {
    const lines = await this.readUntil(() => true, timeoutMs);
    return lines[0] ?? '';
  }

  close(): void {
    this.#socket.destroy();
  }
}
