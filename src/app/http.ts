import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HttpEndpoints {
  /** The Prometheus text exposition and its content type. */
  readonly metrics: () => Promise<string>;
  readonly metricsContentType: string;
  /** `/status` JSON; `serving: false` (draining, or fenced: no majority of the ring hears it) answers 503 so a load balancer stops sending clients. */
  readonly status: () => { readonly serving: boolean; readonly body: unknown };
  /** More pages on the same port (the ring page); asked first. */
  readonly routes?: HttpRoutes | undefined;
}

/** More pages on the same port (the ring page: web/ring-routes.ts); true when it answered. */
export interface HttpRoutes {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** `/metrics` for Prometheus and `/status` (JSON) for humans and load balancers. */
export function startHttpServer(address: { host: string; port: number }, endpoints: HttpEndpoints): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (endpoints.routes?.handle(req, res) === true) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      endpoints.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': endpoints.metricsContentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    } else if (path === '/status' || path === '/') {
      const { serving, body } = endpoints.status();
      res.writeHead(serving ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 2) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      const bound = server.address();
      resolve({ server, port: typeof bound === 'object' && bound !== null ? bound.port : address.port });
    });
  });
}
