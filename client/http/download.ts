// A file of the vault as the answer to a request, at every door (the API, the console, the
// hospital's packet, the translator's page): always a download, never shown by a browser as a page
// of our origin, whatever it holds (and every answer carries nosniff: server.ts).
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

export function sendDownload(reply: FastifyReply, file: { fileName: string; size: number }, body: Readable): FastifyReply {
  return reply
    .type('application/octet-stream')
    .header('content-disposition', `attachment; filename="file"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`)
    .header('content-length', String(file.size))
    .send(body);
}
