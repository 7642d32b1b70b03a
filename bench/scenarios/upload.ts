// Scenario 6, a family's upload: one large file (500 MiB by default) POSTed as a plain multipart
// form to the records page of the service's HTTP server (startHttpServer in a process of its own,
// bench/upload-child.ts), streamed from disk by the benchmark, into the vault on the filesystem
// (encrypted records under DATA_DIR/vault). Baselines, on the same filesystem in the same run: a
// plain stream copy of the same file, and the same multipart POST to a plain server (Fastify with
// the same multipart parser) that writes the file to disk unencrypted. So copy → plain server is
// what HTTP and multipart cost, and plain server → service what the vault costs (type sniffing,
// encryption, sha256, the Postgres rows). Memory: the HTTP server's RSS before and during the upload
// (sampled every 100 ms, and the kernel's high-water mark); the case worker's too, which an upload
// does not involve (the page stores through client/documents.ts, with no call to Temporal).
// Each round runs the three sides in turn, the order reversed every other round (A-B-C, C-B-A), with
// the dirty pages flushed before each side so that one side's writes do not slow the next.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config.ts';
import { createActivities } from '../../activities/index.ts';
import { createMailer } from '../../activities/mailer.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { createIdentifiers } from '../../common/identifiers.ts';
import { openCaseSchema, type CaseInput } from '../../domain/case.ts';
import type { BenchContext } from '../context.ts';
import { ACTOR, benchCase } from '../drive.ts';
import { row, type ScenarioReport } from '../report.ts';
import { processCpuSeconds, processRssBytes, sleep } from '../stats.ts';
import { startWorker, type WorkerHandle } from '../workers.ts';
import type { ServerMemory, UploadChildConfig, UploadChildMessage, UploadParentMessage } from '../upload-child.ts';

export interface UploadOptions {
  /** The file's size, MiB. */
  megabytes: number;
  /** Rounds of the three sides (copy, plain server, service). */
  rounds: number;
  /** Also start a case worker and sample its RSS during the uploads. */
  worker: boolean;
}

export const uploadDefaults: UploadOptions = { megabytes: 500, rounds: 2, worker: true };

const MIB = 2 ** 20;
const mib = (bytes: number) => bytes / MIB;

// ---- the server processes ----

interface ServerHandle {
  pid: number;
  url: string;
  stats(): Promise<{ now: ServerMemory; peak: ServerMemory; cpuUs: number }>;
  /** Restarts the peaks, the child's and the kernel's (VmHWM). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const childPath = fileURLToPath(new URL('../upload-child.ts', import.meta.url));

async function startServer(ctx: BenchContext, cfg: UploadChildConfig): Promise<ServerHandle> {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_UPLOAD_CONFIG: JSON.stringify(cfg) };
  delete env.NODE_OPTIONS; // the parent's loaders (vitest) are not the server's
  const execArgv = ctx.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.cpuProfileDir, `upload-${cfg.kind}`)}`] : [];
  const child: ChildProcess = fork(childPath, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let failure: string | undefined;
  const waiting = new Map<UploadChildMessage['type'], ((m: UploadChildMessage) => void)[]>();
  child.on('message', (m: UploadChildMessage) => {
    if (m.type === 'failed') failure = m.message;
    waiting.get(m.type)?.shift()?.(m);
  });
  const next = <T extends UploadChildMessage['type']>(type: T, timeoutMs = 60_000): Promise<Extract<UploadChildMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cfg.kind} server: no ${type} after ${timeoutMs} ms`)), timeoutMs);
      const list = waiting.get(type) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m as Extract<UploadChildMessage, { type: T }>);
      });
      waiting.set(type, list);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${cfg.kind} server exited (${code})${failure ? `: ${failure}` : ''}`));
      });
    });
  const ask = (m: UploadParentMessage) => {
    if (child.connected) child.send(m);
  };
  const ready = await next('ready', 120_000);
  ctx.log(`  ${cfg.kind} HTTP server pid ${ready.pid} at ${ready.url}`);
  return {
    pid: ready.pid,
    url: ready.url,
    async stats() {
      const reply = next('stats');
      ask({ type: 'stats' });
      const { now, peak, cpuUs } = await reply;
      return { now, peak, cpuUs };
    },
    async reset() {
      const reply = next('reset-done');
      ask({ type: 'reset' });
      await reply;
      resetPeakRss(ready.pid);
    },
    async stop() {
      if (child.exitCode !== null) return;
      ask({ type: 'shutdown' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- memory of other processes, from /proc ----

/** Restarts the kernel's RSS high-water mark (VmHWM) of a process; false where that is not allowed. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function peakRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the RSS of some processes every 100 ms until stopped: the largest seen, by name. */
function rssSampler(pids: Record<string, number | undefined>): () => Record<string, number> {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const [k, pid] of Object.entries(pids)) {
      const v = processRssBytes(pid);
      if (v !== undefined) peak[k] = Math.max(peak[k] ?? 0, v);
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

// ---- the file and the request ----

/** A file that is a PDF to a type sniffer (its first bytes) and random after that; its sha256. */
async function makeFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const header = Buffer.from('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n', 'latin1');
  async function* chunks() {
    let left = bytes;
    let first = true;
    while (left > 0) {
      const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(MIB, left)));
      if (first) header.copy(chunk, 0, 0, Math.min(header.length, chunk.length));
      first = false;
      left -= chunk.length;
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(chunks(), out);
  return hash.digest('hex');
}

interface Posted {
  status: number;
  location: string;
  seconds: number;
}

/**
 * POSTs the file as the records form sends it (fields documentType and file), streaming it from
 * disk with a known length: the multipart preamble, the file's bytes, the closing boundary.
 */
async function postFile(url: string, path: string, size: number): Promise<Posted> {
  const boundary = `----cart-bench-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="documentType"\r\n\r\nmedical_report\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const t0 = performance.now();
  const req = request(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length } });
  const answered = new Promise<Posted>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? ''), seconds: (performance.now() - t0) / 1000 }));
      res.once('error', reject);
    });
  });
  req.write(head);
  // A server that answers before the body ends (a refusal) closes the request: its answer counts.
  const sent = pipeline(createReadStream(path), req, { end: false }).then(() => new Promise<void>((resolve) => req.end(tail, resolve)));
  const [result] = await Promise.allSettled([answered, sent]);
  if (result.status === 'rejected') throw result.reason as Error;
  return result.value;
}

/** Every file under a directory. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile());
}

/** Writes the page cache's dirty pages out, so that the next side starts with none pending. */
function flush(): void {
  try {
    execFileSync('sync', [], { stdio: 'ignore' });
  } catch {
    // best effort: the sides still alternate
  }
}

// ---- the scenario ----

type SideName = 'copy' | 'plain' | 'service';

interface SideRun {
  seconds: number;
  /** CPU seconds of the server process (the benchmark process's for the copy) and of the benchmark process. */
  serverCpu: number;
  benchCpu: number;
  /** The server's RSS just before, and its peak during (sampled and the kernel's high-water mark). */
  rssBefore?: number;
  rssPeakSampled?: number;
  rssPeakKernel?: number;
  childPeak?: ServerMemory;
  workerRssBefore?: number;
  workerRssPeak?: number;
  benchRssBefore: number;
  benchRssPeak: number;
}

export async function runUpload(ctx: BenchContext, opts: UploadOptions): Promise<ScenarioReport> {
  const dir = join(ctx.tmpDir, `upload-${ctx.runId}`);
  const dirs = { service: join(dir, 'service'), plain: join(dir, 'plain'), copy: join(dir, 'copy') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const bytes = Math.round(opts.megabytes * MIB);
  const source = join(dir, 'source.pdf');
  const linkSecret = ctx.linkSecret;
  const links = createCheckinLinks(linkSecret);
  const config = loadConfig({ DATABASE_URL: ctx.databaseUrl, SMTP_URL: ctx.smtp.url, MAIL_FROM: 'Care Coordination <care@bench.test>', APP_BASE_URL: 'http://127.0.0.1:8080', DATA_DIR: join(dir, 'activities') });
  const mailer = createMailer({ smtpUrl: ctx.smtp.url, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
  const acts = createActivities({ db: ctx.db, mailer, config, links });
  const servers: ServerHandle[] = [];
  let worker: WorkerHandle | undefined;
  try {
    ctx.log(`upload: writing a ${opts.megabytes} MiB file of random bytes (a PDF to the sniffer)`);
    const sha256 = await makeFile(source, bytes);

    // One case per upload (each with its consent), so no upload counts against another's room.
    const ids = createIdentifiers(randomBytes(32));
    let caseNo = 0;
    const openCase = async (): Promise<{ caseId: string; url: (base: string) => string }> => {
      const opened = openCaseSchema().parse(benchCase(ctx.runId, 'upload', caseNo++, ['medical_report']));
      const caseId = ids.caseId(opened.patientRef);
      const input: CaseInput = { ...opened, caseId, openedBy: ACTOR };
      await acts.recordCaseOpened({ ...input, at: new Date().toISOString(), eventKey: `bench-upload-${caseId}/opened` });
      const token = links.signFiles({ caseId, expiresAt: Date.now() + 12 * 3600_000 });
      return { caseId, url: (base) => `${base}/upload/${token}` };
    };

    ctx.log('upload: starting the HTTP servers (the service and the plain one)');
    const childEnv = { CHECKIN_LINK_SECRET: linkSecret.toString('base64'), PAYLOAD_KEYS: ctx.payloadKeys, VAULT_KEYS: `bench:${randomBytes(32).toString('base64')}` };
    const service = await startServer(ctx, { kind: 'service', dataDir: dirs.service, databaseUrl: ctx.databaseUrl, temporalAddress: ctx.temporalAddress, smtpUrl: ctx.smtp.url, env: childEnv, maxFileBytes: bytes });
    servers.push(service);
    const plain = await startServer(ctx, { kind: 'plain', dataDir: dirs.plain, maxFileBytes: bytes });
    servers.push(plain);
    if (opts.worker) worker = await startWorker(ctx, { kind: 'case', taskQueue: `bench-upload-${ctx.runId}`, label: 'upload-worker' });

    /** Consent, then the upload; checks the answer and the files row. */
    const serviceUpload = async (path: string, size: number, sha: string): Promise<number> => {
      const c = await openCase();
      const url = c.url(service.url);
      const consent = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'consent=agree', redirect: 'manual' });
      if (consent.status !== 303) throw new Error(`consent: ${consent.status}`);
      const posted = await postFile(url, path, size);
      if (posted.status !== 303 || !posted.location.endsWith('?sent=1')) throw new Error(`upload to the records page answered ${posted.status} ${posted.location ? `→ …${posted.location.slice(-8)}` : ''}, not 303 → ?sent=1`);
      const rows = await ctx.db.selectFrom('files').select(['size', 'sha256', 'status']).where('case_id', '=', c.caseId).execute();
      const r = rows[0];
      if (rows.length !== 1 || Number(r!.size) !== size || r!.sha256 !== sha || r!.status !== 'pending_review')
        throw new Error(`files rows after the upload: ${JSON.stringify(rows)}; expected one of ${size} bytes, sha256 ${sha}, pending_review`);
      return posted.seconds;
    };
    const plainUpload = async (path: string, size: number): Promise<number> => {
      const posted = await postFile(`${plain.url}/upload/bench`, path, size);
      if (posted.status !== 303 || !posted.location.endsWith('?sent=1')) throw new Error(`upload to the plain server answered ${posted.status}`);
      const written = filesUnder(dirs.plain);
      if (written.length !== 1 || statSync(written[0]!).size !== size) throw new Error(`the plain server wrote ${written.map((f) => statSync(f).size).join(', ')} bytes, expected ${size}`);
      return posted.seconds;
    };
    const copy = async (): Promise<number> => {
      const t0 = performance.now();
      await pipeline(createReadStream(source), createWriteStream(join(dirs.copy, 'copy.pdf'), { mode: 0o600, flags: 'wx' }));
      return (performance.now() - t0) / 1000;
    };

    // Warm-up: each server takes a small file first (code paths loaded, pools open), so that the
    // RSS "before" is a server that has served an upload.
    const small = join(dir, 'small.pdf');
    const smallBytes = Math.min(MIB, bytes);
    const smallSha = await makeFile(small, smallBytes);
    await serviceUpload(small, smallBytes, smallSha);
    await plainUpload(small, smallBytes);
    let storedBytes = 0;
    const clear = () => {
      for (const d of Object.values(dirs)) {
        for (const f of filesUnder(d)) {
          if (d === dirs.service && !f.includes(`${join('vault', 'cases')}`)) continue; // keys, secrets
          rmSync(f, { force: true });
        }
      }
    };
    clear();

    const runs: Record<SideName, SideRun[]> = { copy: [], plain: [], service: [] };
    const runSide = async (side: SideName) => {
      flush();
      await sleep(500);
      const server = side === 'service' ? service : side === 'plain' ? plain : undefined;
      const serverPid = server?.pid ?? process.pid;
      await server?.reset();
      const before = server ? (await server.stats()).now.rss : undefined;
      const workerBefore = worker ? processRssBytes(worker.pid) : undefined;
      const benchBefore = processRssBytes(process.pid) ?? 0;
      const stopRss = rssSampler({ server: server?.pid, worker: worker?.pid, bench: process.pid });
      const cpu0 = { server: processCpuSeconds(serverPid) ?? 0, bench: processCpuSeconds(process.pid) ?? 0 };
      const seconds = side === 'copy' ? await copy() : side === 'plain' ? await plainUpload(source, bytes) : await serviceUpload(source, bytes, sha256);
      const cpu1 = { server: processCpuSeconds(serverPid) ?? 0, bench: processCpuSeconds(process.pid) ?? 0 };
      const peaks = stopRss();
      const childStats = server ? await server.stats() : undefined;
      if (side === 'service') storedBytes = filesUnder(join(dirs.service, 'vault')).reduce((n, f) => n + statSync(f).size, 0);
      const run: SideRun = {
        seconds,
        serverCpu: cpu1.server - cpu0.server,
        benchCpu: cpu1.bench - cpu0.bench,
        benchRssBefore: benchBefore,
        benchRssPeak: peaks.bench ?? 0,
        ...(before !== undefined ? { rssBefore: before } : {}),
        ...(peaks.server !== undefined ? { rssPeakSampled: peaks.server } : {}),
        ...(server && peakRssBytes(server.pid) !== undefined ? { rssPeakKernel: peakRssBytes(server.pid)! } : {}),
        ...(childStats ? { childPeak: childStats.peak } : {}),
        ...(workerBefore !== undefined ? { workerRssBefore: workerBefore, workerRssPeak: peaks.worker ?? workerBefore } : {}),
      };
      runs[side].push(run);
      ctx.log(`  ${side}: ${(mib(bytes) / seconds).toFixed(1)} MiB/s (${seconds.toFixed(2)} s)${run.rssBefore !== undefined ? `, server RSS ${mib(run.rssBefore).toFixed(0)} → peak ${mib(Math.max(run.rssPeakSampled ?? 0, run.rssPeakKernel ?? 0)).toFixed(0)} MiB` : ''}`);
      clear();
    };

    ctx.log(`upload: ${opts.rounds} round(s) of copy, plain server and service, ${opts.megabytes} MiB each`);
    const order: SideName[] = ['copy', 'plain', 'service'];
    for (let r = 0; r < opts.rounds; r++) for (const side of r % 2 === 0 ? order : [...order].reverse()) await runSide(side);

    const rate = (side: SideName) => (mib(bytes) * runs[side].length) / runs[side].reduce((s, x) => s + x.seconds, 0);
    const max = (xs: (number | undefined)[]) => Math.max(...xs.filter((x): x is number => x !== undefined));
    const min = (xs: (number | undefined)[]) => Math.min(...xs.filter((x): x is number => x !== undefined));
    const peakOf = (side: SideName) => max(runs[side].flatMap((x) => [x.rssPeakSampled, x.rssPeakKernel]));
    const serviceBefore = min(runs.service.map((x) => x.rssBefore));
    const servicePeak = peakOf('service');
    const plainBefore = min(runs.plain.map((x) => x.rssBefore));
    const plainPeak = peakOf('plain');
    const cpuPerGiB = (side: SideName, which: 'serverCpu' | 'benchCpu') => (runs[side].reduce((s, x) => s + x[which], 0) / (mib(bytes) * runs[side].length)) * 1024;
    const perRound = (side: SideName) => runs[side].map((x) => (mib(bytes) / x.seconds).toFixed(1)).join(', ');
    const childPeak = (side: SideName, k: keyof ServerMemory) => mib(max(runs[side].map((x) => x.childPeak?.[k])));
    const overhead = storedBytes - bytes;
    const workerRange = (xs: SideRun[]) => `${mib(min(xs.map((x) => x.workerRssBefore))).toFixed(1)} / ${mib(max(xs.map((x) => x.workerRssPeak))).toFixed(1)}`;

    return {
      scenario: 'upload',
      title: `one ${opts.megabytes} MiB file POSTed (multipart, streamed from disk) to the records page, into the filesystem vault`,
      baseline: 'a plain stream copy of the same file to the same filesystem; and the same multipart POST to a plain Fastify server with the same parser, writing the file unencrypted',
      params: { megabytes: opts.megabytes, rounds: opts.rounds },
      rows: [
        row('upload MiB/s vs plain stream copy', 'MiB/s', rate('service'), rate('copy')),
        row('upload MiB/s vs plain multipart server (no vault)', 'MiB/s', rate('service'), rate('plain')),
        row('plain multipart server MiB/s vs plain stream copy', 'MiB/s', rate('plain'), rate('copy')),
        row('HTTP server RSS peak during the upload vs before it', 'MiB', mib(servicePeak), mib(serviceBefore)),
      ],
      context: {
        'MiB/s per round: service': perRound('service'),
        'MiB/s per round: plain server': perRound('plain'),
        'MiB/s per round: copy': perRound('copy'),
        'checked: 303 → ?sent=1 and one files row (size, sha256, pending_review) per upload': `${runs.service.length + 1} of ${runs.service.length + 1}`,
        'vault object on disk vs the file (bytes of records overhead)': `${storedBytes.toLocaleString('en-US')} vs ${bytes.toLocaleString('en-US')} (+${overhead.toLocaleString('en-US')}, ${((overhead / bytes) * 100).toFixed(3)}%)`,
        'service HTTP server RSS before / peak (MiB; growth)': `${mib(serviceBefore).toFixed(1)} / ${mib(servicePeak).toFixed(1)} (+${mib(servicePeak - serviceBefore).toFixed(1)})`,
        'service HTTP server peaks during the upload, sampled in it (MiB): heap used, external, array buffers': `${childPeak('service', 'heapUsed').toFixed(1)}, ${childPeak('service', 'external').toFixed(1)}, ${childPeak('service', 'arrayBuffers').toFixed(1)}`,
        'plain server RSS before / peak (MiB; growth)': `${mib(plainBefore).toFixed(1)} / ${mib(plainPeak).toFixed(1)} (+${mib(plainPeak - plainBefore).toFixed(1)})`,
        'plain server peaks during the upload, sampled in it (MiB): heap used, external, array buffers': `${childPeak('plain', 'heapUsed').toFixed(1)}, ${childPeak('plain', 'external').toFixed(1)}, ${childPeak('plain', 'arrayBuffers').toFixed(1)}`,
        'benchmark process (the client streaming the file, and the copy) RSS growth during a side, largest (MiB)': mib(max(Object.values(runs).flat().map((x) => x.benchRssPeak - x.benchRssBefore))).toFixed(1),
        'case worker RSS before / peak, during the service uploads; during the baselines (MiB)': worker
          ? `${workerRange(runs.service)}; ${workerRange([...runs.plain, ...runs.copy])} (an upload does not reach the worker: no Temporal call)`
          : 'not started (--upload-no-worker)',
        'CPU s per GiB: service server / client': `${cpuPerGiB('service', 'serverCpu').toFixed(2)} / ${cpuPerGiB('service', 'benchCpu').toFixed(2)}`,
        'CPU s per GiB: plain server / client': `${cpuPerGiB('plain', 'serverCpu').toFixed(2)} / ${cpuPerGiB('plain', 'benchCpu').toFixed(2)}`,
        'CPU s per GiB: copy (benchmark process)': cpuPerGiB('copy', 'benchCpu').toFixed(2),
      },
      notes: [
        'the page cache is flushed (sync) before each side; no side fsyncs its file (the vault\'s filesystem store does not), so the figures are for writes into the page cache on this machine',
      ],
    };
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => {});
    await worker?.stop().catch(() => {});
    mailer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
