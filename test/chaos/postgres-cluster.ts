// A private PostgreSQL server for the chaos run, in a temporary folder on a free port: the suite
// restarts PostgreSQL, so it cannot use the server the rest of `npm test` shares. Debian's server
// binaries (initdb, pg_ctl) make the cluster; both of Temporal's databases and the app's live in
// it. restart() is `pg_ctl restart -m fast`: a real restart, where every connection drops and
// every transaction in flight rolls back.
//
// PostgreSQL refuses to run as root, and CI runs as root: then every command runs as the
// `postgres` OS user (runuser), which owns the folder; otherwise as whoever runs this.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../local/temporal-server.ts';

export interface PostgresCluster {
  /** The superuser's URL (database `postgres`): may create databases. */
  adminUrl: string;
  port: number;
  /** The server's log file. */
  logFile: string;
  /**
   * Stops the server (fast: connections dropped, transactions rolled back) and starts it again;
   * resolves once it accepts connections. With `downMs`, it stays down that long in between.
   */
  restart(downMs?: number): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** The folder of initdb and pg_ctl: PG_BIN, else Debian's newest /usr/lib/postgresql/<version>/bin. */
export function findPostgresBinaries(): { bin: string } | { missing: string } {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  if (process.env.PG_BIN) return has(process.env.PG_BIN) ? { bin: process.env.PG_BIN } : { missing: `PG_BIN=${process.env.PG_BIN} has no initdb and pg_ctl` };
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find(has);
  return found
    ? { bin: found }
    : { missing: 'the chaos suite needs PostgreSQL server binaries (initdb, pg_ctl) to run and restart a server of its own: install Debian\'s postgresql package, or set PG_BIN to their folder' };
}

const run = promisify(execFile);

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const found = findPostgresBinaries();
  if ('missing' in found) throw new Error(found.missing);
  const { bin } = found;
  const asRoot = userInfo().uid === 0;
  // As root, the postgres OS user owns the cluster and runs every command.
  const owner = asRoot ? ownerIds('postgres') : undefined;
  const pgCommand = async (tool: string, args: string[], timeoutMs = 60_000) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    try {
      return await run(file, argv, { timeout: timeoutMs });
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      throw new Error(`${tool} ${args[0] ?? ''} failed: ${e.message.split('\n')[0]}\n${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n')}`);
    }
  };

  const dir = mkdtempSync(join(tmpdir(), 'chaos-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const port = await freePort();
  const user = 'chaos';
  try {
    await pgCommand('initdb', ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-instructions']);
    rmSync(pwfile);
    // Loopback only, the socket in our folder, room for Temporal's pools and the service's. No
    // fsync: the server is thrown away, and a fast restart writes everything out anyway.
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'max_connections = 300', 'fsync = off', 'full_page_writes = off', "log_min_messages = 'warning'", ''].join('\n'),
    );
    await pgCommand('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60']);
  } catch (err) {
    await pgCommand('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    adminUrl: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
    port,
    logFile,
    async restart(downMs = 0) {
      if (downMs <= 0) {
        await pgCommand('pg_ctl', ['restart', '-D', data, '-m', 'fast', '-l', logFile, '-w', '-t', '60'], 90_000);
        return;
      }
      await pgCommand('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60'], 90_000);
      await new Promise((r) => setTimeout(r, downMs));
      await pgCommand('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60'], 90_000);
    },
    async stop() {
      await pgCommand('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']).catch(() => pgCommand('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The uid and gid of an OS user, from /etc/passwd (as root, the postgres user runs the server). */
function ownerIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`running as root, the chaos suite runs PostgreSQL as the '${name}' OS user, and there is none: install Debian's postgresql package, or run as another user`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
