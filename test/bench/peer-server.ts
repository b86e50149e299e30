// What the ingest bench's peers share: a node:http server that reads each body whole, listens on a
// free port, prints its URL (the line the bench waits for) and stops on SIGTERM; and the checks
// before a body is stored: GroWrk's signature (the project's own constant-time check) and JSON.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { verifySignature } from '../../src/growrk/signature.ts';

/** Answers with a JSON body. */
export function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

/**
 * The checks every peer makes before it stores a body: GroWrk's signature under `secret` (else
 * 401) and JSON (else 400). Returns the body's text, or null once it has answered.
 */
export function checkedWith(
  secret: string,
): (req: IncomingMessage, res: ServerResponse, body: Buffer) => string | null {
  return (req, res, body) => {
    const header = req.headers['x-growrk-signature'];
    if (verifySignature(body, typeof header === 'string' ? header : undefined, [secret]) < 0) {
      answer(res, 401, '{"error":"signature"}');
      return null;
    }
    const text = body.toString('utf8');
    try {
      JSON.parse(text);
    } catch {
      answer(res, 400, '{"error":"json"}');
      return null;
    }
    return text;
  };
}

/** Serves `onBody` for every request, once its body has been read whole. */
export function servePeer(onBody: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): void {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => onBody(req, res, Buffer.concat(chunks)));
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object')
      console.log(JSON.stringify({ msg: 'growrk-sync listening', url: `http://127.0.0.1:${address.port}` }));
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
