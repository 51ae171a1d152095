import { request, type Agent } from 'node:https';

/**
 * One HTTPS request to the identity provider (introspection, JWKS) with a
 * deadline over connect, TLS, request and the whole response. Rejects on
 * anything that leaves the answer unknown (unreachable, TLS refused, timed
 * out, a body over the cap), which the caller turns into a temporary failure.
 */

export interface HttpsRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** PEM CA bundle; undefined: Node's default roots. */
  readonly ca: Buffer | undefined;
  readonly timeoutMs: number;
  /** Keeps connections to the provider open between logins; undefined: one connection per request. */
  readonly agent?: Agent | undefined;
}

export interface HttpsResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Introspection answers and key sets are small; a provider sending more is broken. */
const MAX_BODY = 1024 * 1024;

export class HttpsRequestError extends Error {
  override readonly name = 'HttpsRequestError';
}

export function httpsRequest(req: HttpsRequest): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      reject(new HttpsRequestError(message));
    };
    const url = new URL(req.url);
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const outgoing = request(
      url,
      { method: req.method, headers, ...(req.ca === undefined ? {} : { ca: req.ca }), agent: req.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) fail(`response body over ${MAX_BODY} bytes`);
          else chunks.push(chunk);
        });
        res.on('error', (err) => fail(err.message));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
        });
      },
    );
    const timer = setTimeout(() => fail(`no answer within ${req.timeoutMs} ms`), req.timeoutMs);
    outgoing.on('error', (err) => fail(err.message));
    outgoing.end(req.body);
  });
}
