// What the ingest bench's peers share: a node:http server that reads each body whole, listens on a
// free port, prints its URL (the line the bench waits for) and stops on SIGTERM; and GroWrk's
// signature check written by hand (HMAC-SHA256, url-safe base64 with its '=' kept, constant time)
// and the JSON check.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

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
    const expected = Buffer.from(`${createHmac('sha256', secret).update(body).digest('base64url')}=`);
    const given = Buffer.from(typeof header === 'string' ? header : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
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
