// The records page's two scripts, served from this origin (never a CDN): tus-js-client as its
// package ships it, and the page's own (assets/records.js). Each under a name with its hash, so a
// browser may keep it for a year and a new version is a new address; the page names each with its
// Subresource Integrity hash too.
//
//   GET /assets/<name>.<hash>.js
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

export interface Script {
  /** e.g. /assets/tus.3f2a9c1b.js */
  src: string;
  /** sha384-…, for the page's integrity attribute. */
  integrity: string;
}

function script(name: string, body: string): Script & { body: string } {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { src: `/assets/${name}.${hash}.js`, integrity: `sha384-${createHash('sha384').update(body).digest('base64')}`, body };
}

const require = createRequire(import.meta.url);
// The source map is not served: drop the comment that would send browsers looking for it.
const tus = readFileSync(require.resolve('tus-js-client/dist/tus.min.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
const records = readFileSync(new URL('./assets/records.js', import.meta.url), 'utf8');

/** In the order the page loads them: the library, then what uses it. */
const SCRIPTS = [script('tus', tus), script('records', records)];

export const RECORDS_SCRIPTS: readonly Script[] = SCRIPTS.map(({ src, integrity }) => ({ src, integrity }));

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  for (const s of SCRIPTS) {
    app.get(s.src, async (_req, reply) => reply.header('Cache-Control', 'public, max-age=31536000, immutable').type('text/javascript; charset=utf-8').send(s.body));
  }
}
