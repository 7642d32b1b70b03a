// Scenario 5, the email path: check-in emails through the sendEmail activity function called
// directly (createActivities(...).sendEmail in an activity context, with its idempotency record,
// recipient lookup, rendering, link signing and timeline entry in Postgres, and the service's
// pooled mailer) against raw pooled nodemailer sending the same rendered email to the same sink.
// The two alternate A-B-B-A in halves so that drift on a shared machine hits both alike.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../../config.ts';
import { createActivities, type SendEmailInput, type SendEmailResult } from '../../activities/index.ts';
import { createMailer } from '../../activities/mailer.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { createIdentifiers } from '../../common/identifiers.ts';
import { openCaseSchema, type CaseInput } from '../../domain/case.ts';
import type { BenchContext } from '../context.ts';
import { BENCH_FROM, rawTransport, sampleCheckinEmail } from '../bare-activities.ts';
import { benchCase, ACTOR } from '../drive.ts';
import { measuredDb } from '../measured-db.ts';
import { row, type ScenarioReport } from '../report.ts';
import { cpuMeter, inParallel, percentile } from '../stats.ts';

export interface EmailOptions {
  /** Emails each side sends (in two halves). */
  emails: number;
  /** Sends in flight at once, each side. */
  concurrency: number;
  /** Emails each side sends before measuring. */
  warmup: number;
}

export const emailDefaults: EmailOptions = { emails: 1000, concurrency: 16, warmup: 50 };
export const emailFull: EmailOptions = { emails: 5000, concurrency: 16, warmup: 50 };

interface Side {
  latencies: number[];
  seconds: number;
  cpu: Record<string, number>;
}

export async function runEmail(ctx: BenchContext, opts: EmailOptions): Promise<ScenarioReport> {
  const counters = { queries: 0, ms: 0 };
  const db = measuredDb(ctx.databaseUrl, counters);
  const config = loadConfig({ DATABASE_URL: ctx.databaseUrl, SMTP_URL: ctx.smtp.url, MAIL_FROM: BENCH_FROM, APP_BASE_URL: 'http://127.0.0.1:8080', DATA_DIR: join(ctx.tmpDir, 'email') });
  const mailer = createMailer({ smtpUrl: ctx.smtp.url, from: config.mailFrom, captureDir: join(config.dataDir, 'mail') });
  const raw = rawTransport(ctx.smtp.url);
  const acts = createActivities({ db, mailer, config, links: createCheckinLinks(ctx.linkSecret) });
  try {
    // Cases whose families get the emails.
    const caseIds: string[] = [];
    const ids = createIdentifiers(randomBytes(32));
    for (let i = 0; i < 20; i++) {
      const opened = openCaseSchema().parse(benchCase(ctx.runId, 'mail', i, ['medical_report']));
      const caseId = ids.caseId(opened.patientRef);
      const input: CaseInput = { ...opened, caseId, openedBy: ACTOR };
      await acts.recordCaseOpened({ ...input, at: new Date().toISOString(), eventKey: `bench-email-${caseId}/opened` });
      caseIds.push(caseId);
    }
    const expiresAt = Date.now() + 12 * 3600_000;
    const logger = new DefaultLogger('INFO', () => {});
    const envs = Array.from({ length: opts.concurrency }, () => new MockActivityEnvironment({ activityType: 'sendEmail' }, { logger }));
    let lane = 0;
    const service = async (key: string, i: number) => {
      const env = envs[lane++ % envs.length]!;
      const input: SendEmailInput<'checkin_request'> = {
        caseId: caseIds[i % caseIds.length]!,
        key,
        kind: 'checkin_request',
        at: new Date().toISOString(),
        data: { checkinId: 1, day: 0, link: '', expiresAt: new Date(expiresAt).toISOString(), teamPhone: '+34 91 555 01 23' },
        checkinLink: { checkinId: 1, expiresAt },
      };
      const r: SendEmailResult = await env.run(acts.sendEmail, input as SendEmailInput);
      if (r.status !== 'sent') throw new Error(`sendEmail: ${r.status} ${r.error ?? ''}`);
    };
    const mail = sampleCheckinEmail();
    const rawSend = async (key: string) => {
      await raw.sendMail({ from: BENCH_FROM, to: 'family@bench.test', subject: mail.subject, text: mail.text, html: mail.html, headers: { 'X-Bench-Id': key, 'X-Email-Kind': 'raw' } });
    };

    const sides: Record<'service' | 'raw', Side> = { service: { latencies: [], seconds: 0, cpu: {} }, raw: { latencies: [], seconds: 0, cpu: {} } };
    let serviceQueries = 0;
    let serviceQueryMs = 0;
    const runSide = async (name: 'service' | 'raw', count: number, offset: number) => {
      const stopCpu = cpuMeter({ bench: process.pid, postgres: ctx.pids.postgres });
      const before = { ...counters };
      const t0 = performance.now();
      await inParallel(count, opts.concurrency, async (j) => {
        const i = offset + j;
        const key = `bench-email-${ctx.runId}-${name}-${i}`;
        const s = performance.now();
        if (name === 'service') await service(key, i);
        else await rawSend(key);
        sides[name].latencies.push(performance.now() - s);
      });
      sides[name].seconds += (performance.now() - t0) / 1000;
      for (const [k, v] of Object.entries(stopCpu())) sides[name].cpu[k] = (sides[name].cpu[k] ?? 0) + v;
      if (name === 'service') {
        serviceQueries += counters.queries - before.queries;
        serviceQueryMs += counters.ms - before.ms;
      }
    };

    ctx.log(`email: warm-up, then ${opts.emails} emails each side, ${opts.concurrency} in flight`);
    const accepted0 = ctx.smtp.accepted;
    await runSide('raw', opts.warmup, 1_000_000);
    await runSide('service', opts.warmup, 1_000_000);
    for (const s of Object.values(sides)) Object.assign(s, { latencies: [], seconds: 0, cpu: {} });
    serviceQueries = 0;
    serviceQueryMs = 0;
    const half = Math.ceil(opts.emails / 2);
    await runSide('raw', half, 0);
    await runSide('service', half, 0);
    await runSide('service', opts.emails - half, half);
    await runSide('raw', opts.emails - half, half);
    const accepted = ctx.smtp.accepted - accepted0;
    const expected = 2 * opts.warmup + 2 * opts.emails;

    const perSecond = (s: Side) => s.latencies.length / s.seconds;
    const svc = sides.service;
    const rawSide = sides.raw;
    const ratio = perSecond(svc) / perSecond(rawSide);
    const cpuPer = (s: Side) =>
      Object.entries(s.cpu)
        .map(([k, v]) => `${k} ${((v / s.latencies.length) * 1000).toFixed(2)}`)
        .join(', ');
    return {
      scenario: 'email',
      title: 'check-in emails through sendEmail (Postgres idempotency record) vs raw pooled nodemailer, same sink',
      baseline: 'nodemailer pooled transport (5 connections, as activities/mailer.ts) sending the same rendered email',
      params: { emails: opts.emails, concurrency: opts.concurrency },
      rows: [
        row('emails/s', '1/s', perSecond(svc), perSecond(rawSide), { text: '≥ 0.8×', met: ratio >= 0.8 }),
        row('latency per email p50', 'ms', percentile(svc.latencies, 50), percentile(rawSide.latencies, 50)),
        row('latency per email p99', 'ms', percentile(svc.latencies, 99), percentile(rawSide.latencies, 99)),
      ],
      context: {
        'accepted by the sink / sent': `${accepted} / ${expected}`,
        'service: database queries per email (mean ms each)': `${(serviceQueries / svc.latencies.length).toFixed(1)} (${(serviceQueryMs / Math.max(1, serviceQueries)).toFixed(2)} ms)`,
        'service: CPU ms per email': cpuPer(svc),
        'raw: CPU ms per email': cpuPer(rawSide),
      },
      notes: accepted === expected ? [] : [`the sink accepted ${accepted} of ${expected} emails`],
    };
  } finally {
    raw.close();
    mailer.close();
    await db.destroy();
  }
}
