import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { MetricsRegistry } from '../adapters/metrics/metrics.js';

/** More pages on the same port (the ring page: web/ring-routes.ts); true when it answered. */
export interface HttpRoutes {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/** `/metrics` for Prometheus and `/status` (JSON) for humans and load balancers. */
export function startHttpServer(
  address: { host: string; port: number },
  metrics: MetricsRegistry,
  status: () => unknown,
  routes?: HttpRoutes,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (routes?.handle(req, res) === true) return;
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render());
    } else if (req.url === '/status' || req.url === '/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status(), null, 2) + '\n');
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
