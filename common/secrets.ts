// The service's own secrets (the check-in link secret, the identifier key): from an environment
// variable (base64), else, for a machine with nothing configured (`npm start`), from a file in the
// data directory created with fresh random bytes (mode 0600) on first use and reused afterwards.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

export interface SecretSource {
  /** The environment variable. */
  name: string;
  /** What it is, for errors: "check-in link secret". */
  what: string;
  /** The file's name in the data directory. */
  file: string;
  minBytes: number;
  /** The data directory: without the variable, use (creating on first use) <generateIn>/<file>. */
  generateIn?: string;
}

export function loadSecret(env: Record<string, string | undefined>, source: SecretSource): Buffer {
  const how =
    `Set ${source.name} to at least ${source.minBytes} random bytes, base64. ` +
    `Generate one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`;
  const decode = (encoded: string, where: string): Buffer => {
    // Never echo the secret itself in an error.
    if (!BASE64_PATTERN.test(encoded)) throw new Error(`${where}: not valid base64. ${how}`);
    const secret = Buffer.from(encoded, 'base64');
    if (secret.length < source.minBytes) throw new Error(`${where}: the secret is ${secret.length} bytes, at least ${source.minBytes} are needed. ${how}`);
    return secret;
  };
  const value = env[source.name];
  if (value !== undefined && value.trim() !== '') return decode(value.trim(), source.name);
  if (!source.generateIn) throw new Error(`No ${source.what} configured. ${how}`);
  const path = join(resolve(source.generateIn), source.file);
  const where = `generated ${source.what} file ${path}`;
  if (!existsSync(path)) create(path, source.minBytes, where);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${where}: cannot read: ${(err as Error).message}`);
  }
  return decode(text.trim(), where);
}

function create(path: string, bytes: number, where: string): void {
  // Write a complete temp file, then link it into place: link fails if another process won the
  // race, and nobody ever reads a half-written secret.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${randomBytes(bytes).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${where}: cannot create: ${(err as Error).message}`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}
