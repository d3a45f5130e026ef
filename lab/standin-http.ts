/**
 * The HTTP side the lab's AWS stand-ins share: one server on loopback that the real SDK clients reach through their
 * endpoint setting, reading each request's body and writing the answer the stand-in gives. An answer of `drop`
 * closes the connection without a response, as an unreachable endpoint does.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInAnswer {
  status: number;
  /** Sent as JSON; none for an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type StandInHandler = (req: IncomingMessage, body: string) => Promise<StandInAnswer | 'drop'>;

/** Starts a stand-in's server; it does not keep the process alive (SDK clients keep their endpoint for its life). */
export const startStandIn = async (contentType: string, handle: StandInHandler): Promise<{ url: string }> => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8'))
        .catch(
          (error: unknown): StandInAnswer => ({
            status: 400,
            body: { __type: 'ValidationException', message: (error as Error).message },
          }),
        )
        .then((answer) => {
          if (answer === 'drop') {
            req.socket.destroy();
            return;
          }
          const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
          res.writeHead(answer.status, {
            'content-type': contentType,
            'content-length': Buffer.byteLength(text),
            ...answer.headers,
          });
          res.end(text);
        });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  server.unref();
  return { url: `http://127.0.0.1:${port}` };
};
