// Binding an HTTP server the way every server the project starts does it, its base URL, and reading
// a request body the way both servers (simulator, HPB emulator) read theirs.

import type { IncomingMessage, Server } from 'node:http';

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

/**
 * A request's body as text, kept to its first MiB (more is read and dropped, so a client sending
 * too much does not hold memory); '' at once for a request that announces no body.
 */
export function readBody(req: IncomingMessage): Promise<string> | string {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return '';
  }
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length <= 1_048_576) body += c;
    });
    req.on('end', () => resolve(body));
    req.on('error', () => resolve(''));
  });
}
