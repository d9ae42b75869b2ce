// Binding an HTTP server the way every server the project starts does it, and its base URL.

import type { Server } from 'node:http';

/** Listens (a deep accept queue: thousands of guests joining in a burst must queue, not be reset); resolves with http://host:port. */
export function listenHttp(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no address'));
      resolve(`http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`);
    });
  });
}
