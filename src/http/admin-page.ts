import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/**
 * The admin console's page: static HTML, one stylesheet and one plain script (src/http/console/),
 * served by the app itself: no build step, no CDN, nothing fetched from elsewhere at run time.
 * The script calls the JSON API with the token the operator types (kept in sessionStorage only)
 * and renders text with textContent, never as HTML; the Content-Security-Policy allows nothing
 * but this origin's own script and styles.
 */
const read = (name: string) => readFileSync(new URL(`./console/${name}`, import.meta.url), 'utf8');

const ASSETS = {
  'console.js': { type: 'text/javascript; charset=utf-8', body: read('console.js') },
  'console.css': { type: 'text/css; charset=utf-8', body: read('console.css') },
} as const;

/** The page, as served at `/admin`. */
export const ADMIN_PAGE = read('index.html');

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Registers `GET /admin` and its two assets. */
export function registerConsolePage(app: FastifyInstance): void {
  app.get('/admin', async (_request, reply) =>
    reply.header('content-security-policy', CSP).type('text/html; charset=utf-8').send(ADMIN_PAGE),
  );
  for (const [name, asset] of Object.entries(ASSETS)) {
    app.get(`/admin/${name}`, async (_request, reply) =>
      reply
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-cache')
        .type(asset.type)
        .send(asset.body),
    );
  }
}
