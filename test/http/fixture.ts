// A check-in server for tests: the real HTTP server on 127.0.0.1 (port 0), a real test database
// with a case and its family contact, a real Temporal client (the shared dev server, for /readyz),
// and, where the case workflow would answer, injected functions the test controls.
import { randomBytes } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createCheckinLinks, type CheckinLinks } from '../../common/checkin-link.ts';
import { createCaseActions } from '../../client/actions.ts';
import { ActionRefusedError } from '../../client/case-calls.ts';
import { createHttpServer, type HttpLogLine, type HttpServerConfig, type HttpServerDeps } from '../../client/http/server.ts';
import type { CheckinSubmission } from '../../client/http/checkin.ts';
import type { Db } from '../../db/connect.ts';
import type { CaseStatus } from '../../domain/case.ts';
import type { Tier } from '../../domain/crs.ts';
import { protocolSchema, type CheckinOutcome, type CheckinState, type CheckinStatus } from '../../domain/monitoring.ts';
import { connectToDevServer } from '../harness/temporal.ts';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createIdentifiers } from '../../common/identifiers.ts';

export const TEAM_PHONE = '+34 91 555 01 23';
export const TEAM_TEL = 'tel:+34915550123';
/** 24 Nov 2026 08:00 UTC: 09:00 in Madrid, 16:00 in Shanghai, 03:00 in New York. */
export const NOW = Date.UTC(2026, 10, 24, 8, 0);
export const HOUR = 3600_000;

export interface FamilyRow {
  caseId: string;
  language: string;
  timeZone: string;
}

/** Inserts a case in monitoring and its family contact. */
export async function insertCase(db: Db, family: FamilyRow): Promise<void> {
  const at = new Date(NOW - 20 * 24 * HOUR);
  await db
    .insertInto('cases')
    .values({ case_id: family.caseId, patient_ref: `ref-${family.caseId}`, diagnosis: 'DLBCL', therapy: 'CAR-T', stage: 'monitoring', opened_at: at, updated_at: at })
    .execute();
  await db
    .insertInto('contacts')
    .values({ case_id: family.caseId, role: 'family', name: 'Family', email: `${family.caseId}@example.org`, language: family.language, time_zone: family.timeZone })
    .execute();
}

/** A case status in monitoring with the given check-ins (the rest of the status as the workflow reports it). */
export function monitoringStatus(caseId: string, checkins: { id: number; state: CheckinState; tier?: Tier }[], opts: { phone?: string | null; stage?: CaseStatus['stage'] } = {}): CaseStatus {
  const phone = opts.phone === undefined ? TEAM_PHONE : opts.phone;
  const protocol = protocolSchema().parse(phone ? { team: { name: 'Haematology day unit', email: 'team@hospital.test', phone24h: phone } } : {});
  const list: CheckinStatus[] = checkins.map((c) => ({
    id: c.id,
    day: c.id,
    dueAt: new Date(NOW - HOUR).toISOString(),
    expiresAt: new Date(NOW + 11 * HOUR).toISOString(),
    state: c.state,
    ...(c.tier ? { tier: c.tier, answeredAt: new Date(NOW - HOUR / 2).toISOString() } : {}),
  }));
  return {
    caseId,
    stage: opts.stage ?? 'monitoring',
    waitingFor: { what: 'check-in', from: 'family' },
    documents: {},
    submissions: [],
    followUps: [],
    alerts: [],
    infusionAt: new Date(NOW - 3 * 24 * HOUR).toISOString(),
    monitoring: {
      protocol,
      infusionAt: new Date(NOW - 3 * 24 * HOUR).toISOString(),
      windowEndsAt: new Date(NOW + 12 * 24 * HOUR).toISOString(),
      checkins: list,
      highestCrsGrade: 0,
      highestIcansGrade: 0,
      feverDays: 0,
    },
  };
}

export interface CheckinServer {
  app: FastifyInstance;
  url: string;
  database: TestDatabase;
  client: Client;
  links: CheckinLinks;
  /** Every log line the server wrote, parsed. */
  logs: HttpLogLine[];
  /** The same lines as written. */
  logText: string[];
  /** Every report the server sent to the (stand-in) workflow. */
  submitted: CheckinSubmission[];
  /** How many times the server asked the workflow for a case's status. */
  statusQueries: { count: number };
  /** What the stand-in workflow reports for each case; tests change it. */
  statuses: Map<string, CaseStatus>;
  /** The tier the stand-in workflow answers with, per case (default 'none'). */
  tiers: Map<string, Tier>;
  /** Replace to make submit fail or answer differently. */
  submitImpl: { fn?: (s: CheckinSubmission) => Promise<CheckinOutcome> };
  token(caseId: string, checkinId: number, expiresAt?: number): string;
  close(): Promise<void>;
}

export async function startCheckinServer(opts: { deps?: Partial<HttpServerDeps>; config?: HttpServerConfig; realClock?: boolean } = {}): Promise<CheckinServer> {
  const [database, temporal] = await Promise.all([createTestDatabase(), connectToDevServer()]);
  return startOn(database, temporal, opts, true);
}

/** Another server over an existing database/client (closing it leaves them open). */
export async function startOn(
  database: TestDatabase,
  temporal: { client: Client; connection: Connection },
  opts: { deps?: Partial<HttpServerDeps>; config?: HttpServerConfig; realClock?: boolean } = {},
  owns = false,
): Promise<CheckinServer> {
  const links = createCheckinLinks(randomBytes(32));
  const logs: HttpLogLine[] = [];
  const logText: string[] = [];
  const submitted: CheckinSubmission[] = [];
  const statusQueries = { count: 0 };
  const statuses = new Map<string, CaseStatus>();
  const tiers = new Map<string, Tier>();
  const submitImpl: CheckinServer['submitImpl'] = {};
  const app = await createHttpServer({
    actions: createCaseActions({ client: temporal.client, db: database.db, taskQueue: 'unused' , identifiers: createIdentifiers(randomBytes(32)) }),
    db: database.db,
    links,
    client: temporal.client,
    now: opts.realClock ? Date.now : () => NOW,
    async getCaseStatus(caseId) {
      statusQueries.count++;
      const s = statuses.get(caseId);
      if (!s) throw new Error(`test: no status for ${caseId}`);
      return structuredClone(s);
    },
    async submitCheckin(s) {
      if (submitImpl.fn) return submitImpl.fn(s);
      // Like the case workflow's validator: only an open check-in of a case in monitoring takes a report.
      const status = statuses.get(s.caseId);
      const checkin = status?.monitoring?.checkins.find((c) => c.id === s.checkinId);
      if (status?.stage !== 'monitoring' || checkin?.state !== 'open') throw new ActionRefusedError(`check-in ${s.checkinId} is ${checkin?.state ?? 'not on this case'}`);
      submitted.push(structuredClone(s));
      return { checkinId: s.checkinId, tier: tiers.get(s.caseId) ?? 'none', reasons: ['test'], teamPhone: TEAM_PHONE };
    },
    log: (line) => {
      logText.push(line);
      logs.push(JSON.parse(line) as HttpLogLine);
    },
    ...(opts.config ? { config: opts.config } : {}),
    ...opts.deps,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    database,
    client: temporal.client,
    links,
    logs,
    logText,
    submitted,
    statusQueries,
    statuses,
    tiers,
    submitImpl,
    token: (caseId, checkinId, expiresAt = NOW + 12 * HOUR) => links.sign({ caseId, checkinId, expiresAt }),
    async close() {
      await app.close();
      if (owns) {
        await temporal.connection.close();
        await database.close();
      }
    },
  };
}

/** A urlencoded form body; arrays repeat the key (ticked checkboxes). */
export function formBody(fields: Record<string, string | string[] | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  }
  return p.toString();
}

export async function post(url: string, fields: Record<string, string | string[] | undefined>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: formBody(fields), redirect: 'manual' });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

export async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** The page's text without tags, whitespace collapsed, entities for quotes decoded. */
export function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<\/?(a|span|b|strong)(\s[^>]*)?>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
