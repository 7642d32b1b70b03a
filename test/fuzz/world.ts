// The state the fuzz run works in, seeded before it starts so that requests reach deep code: staff
// accounts of every role and their sessions and tokens, three hospitals, a check-in protocol that
// makes a check-in fall due every minute, and cases in named slots, one per stage a case can wait
// in (records, hospital review, admission, monitoring with open check-ins, follow-up, closed...).
// It is driven through the doors themselves (the JSON API as a coordinator with an API token, and
// casectl for the protocol), and the console's forms are read from the pages it serves.
//
// Requests name a slot, not a case: a slot is refilled with a fresh case when the fuzzing moves
// its case on (cancelled, infused, ended), so the run keeps reaching every stage to the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CaseStatus } from '../../domain/case.ts';
import { createCheckinLinks } from '../../common/checkin-link.ts';
import { createCaseActions, type CaseActions } from '../../client/actions.ts';
import { buildProgram, runCasectl } from '../../client/casectl.ts';
import { formsOf, type FormField } from './html.ts';
import type { Identity, LinkSpec } from './request.ts';
import type { KnownKeys } from './after.ts';
import type { Target } from './target.ts';
import { signInCode } from '../harness/staff.ts';

/** Where a case in a slot is meant to wait. */
type SlotKind = 'records' | 'cancelled' | 'translation' | 'review' | 'review2' | 'navigation' | 'admission' | 'infusion' | 'monitoring' | 'followUp';

const PLAN: { slot: string; kind: SlotKind; language: string; timeZone: string }[] = [
  { slot: 'records-1', kind: 'records', language: 'es', timeZone: 'Europe/Madrid' },
  { slot: 'records-2', kind: 'records', language: 'zh', timeZone: 'Asia/Shanghai' },
  { slot: 'cancelled-1', kind: 'cancelled', language: 'en', timeZone: 'UTC' },
  { slot: 'translation-1', kind: 'translation', language: 'en', timeZone: 'America/New_York' },
  { slot: 'review-1', kind: 'review', language: 'es', timeZone: 'America/Mexico_City' },
  { slot: 'review-2', kind: 'review2', language: 'zh', timeZone: 'Asia/Hong_Kong' },
  { slot: 'navigation-1', kind: 'navigation', language: 'en', timeZone: 'Australia/Sydney' },
  { slot: 'admission-1', kind: 'admission', language: 'es', timeZone: 'Pacific/Chatham' },
  { slot: 'infusion-1', kind: 'infusion', language: 'en', timeZone: 'Asia/Kolkata' },
  // Monitoring families live at UTC+0 all year: the protocol's check-in times (HH:MM, local) are
  // then the next minutes of UTC for each of them.
  { slot: 'monitoring-1', kind: 'monitoring', language: 'en', timeZone: 'UTC' },
  { slot: 'monitoring-2', kind: 'monitoring', language: 'es', timeZone: 'Africa/Abidjan' },
  { slot: 'monitoring-3', kind: 'monitoring', language: 'zh', timeZone: 'Atlantic/Reykjavik' },
  { slot: 'follow-up-1', kind: 'followUp', language: 'en', timeZone: 'Europe/London' },
];

/** Whether the case still waits where its slot says. */
const STILL: Record<SlotKind, (s: CaseStatus) => boolean> = {
  records: (s) => s.stage === 'records',
  cancelled: (s) => s.stage === 'cancelled',
  translation: (s) => s.stage === 'translation' && s.submissions.length === 0,
  review: (s) => s.stage === 'hospital_review',
  review2: (s) => s.stage === 'hospital_review',
  navigation: (s) => s.stage === 'navigation',
  admission: (s) => s.stage === 'admission',
  infusion: (s) => s.stage === 'monitoring' && !s.infusionAt,
  // A check-in open, or one due soon: a case whose check-ins stopped opening (stuck) no longer serves.
  monitoring: (s) =>
    s.stage === 'monitoring' && !!s.infusionAt && !s.monitoring?.ended && !!s.monitoring?.checkins.some((c) => c.state === 'open' || (c.state === 'upcoming' && Date.parse(c.dueAt) > Date.now() - 60_000)),
  followUp: (s) => s.stage === 'follow_up',
};

/** A console form as the pages show it, with the case (and alert) in its action left to fill. */
export interface ConsoleForm {
  route: string;
  method: string;
  /** e.g. /console/cases/{caseId}/actions/waiveDocument */
  path: string;
  fields: FormField[];
}

/** One casectl command, as its commander program declares it. */
export interface CliCommand {
  path: string[];
  args: { name: string; required: boolean; variadic: boolean; choices?: readonly string[] }[];
  options: { flag: string; name: string; takesValue: boolean; mandatory: boolean; choices?: readonly string[] }[];
}

/** What generation needs; fixed before the run, so that a seed names the same requests. */
export interface FuzzContext {
  /** The clock generation uses for instants (not the wall clock: a replay must generate the same). */
  now: number;
  openapi: OpenApi;
  hospitals: string[];
  slots: string[];
  monitoringSlots: string[];
  consoleForms: ConsoleForm[];
  commands: CliCommand[];
  canCutPostgres: boolean;
  adminEmail: string;
}

export interface OpenApiOperation {
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  description?: string;
}
export interface OpenApi {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface Credentials {
  cookie?: string;
  authorization?: string;
  csrf?: string;
}

export interface World {
  ctx: FuzzContext;
  /** The case in a slot now. */
  caseIn(slot: string): string;
  /** Every case seeded so far, with its slot: the checks after the run name a case by it. */
  cases(): { caseId: string; slot: string }[];
  /** The rows the world made itself (cases, hospitals, protocols, staff accounts), by the key a create names. */
  known(): KnownKeys;
  credentials(as: Identity): Promise<Credentials>;
  /** A session was signed out by a request: mint a new one before the next request needs it. */
  forget(as: Identity): void;
  /** A check-in link for the spec, signed now, and the case it is for. */
  link(spec: LinkSpec): Promise<{ token: string; caseId?: string }>;
  /** Starts refilling the slots whose case moved on (in the background). */
  refresh(): void;
  /** Waits for refills under way. */
  idle(): Promise<void>;
  /**
   * Drives cases the run opened through every stage to follow-up, as a coordinator would, for at
   * most `ms`: a case the service accepted must be workable (its settings, documents and family
   * data are only used stage by stage). Answers where each one stopped, if it did.
   */
  workThrough(caseIds: string[], ms: number): Promise<string[]>;
  notes: string[];
  close(): void;
}

const DAY = 86_400_000;

/** UTC wall-clock HH:MM of an instant. */
const utcClock = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

export async function seedWorld(target: Target, opts: { log?: (line: string) => void } = {}): Promise<World> {
  const log = opts.log ?? (() => {});
  const seedingStarted = Date.now();
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const notes: string[] = [];
  const actions: CaseActions = createCaseActions({ client: target.client, db: target.db, taskQueue: target.taskQueue, identifiers: target.identifiers });
  const tmp = mkdtempSync(join(tmpdir(), 'fuzz-world-'));

  // ---- staff: every role, signed in, and API tokens ----
  const users: Record<'coordinator' | 'clinician' | 'ops', { id: number; email: string }> = {} as never;
  const signIn = await fetch(`${target.baseUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...target.admin, code: await signInCode(target.db, target.admin.email) }) });
  if (signIn.status !== 200) throw new Error(`signing in as ${target.admin.email} answered ${signIn.status}: ${await signIn.text()}`);
  const me = (await signIn.json()) as { csrfToken: string; user: { role: string } };
  if (me.user.role !== 'coordinator') throw new Error(`${target.admin.email} is a ${me.user.role}, not a coordinator`);
  const adminUser = await target.accounts.findUser(target.admin.email);
  users.coordinator = { id: adminUser!.id, email: adminUser!.email };
  for (const role of ['clinician', 'ops'] as const) {
    const u = await target.accounts.createUser({ email: `fuzz.${role}.${tag.toLowerCase()}@care.test`, name: `Fuzz ${role}`, role, password: randomBytes(12).toString('base64url') });
    users[role] = { id: u.id, email: u.email };
  }
  const sessions = new Map<string, { cookie: string; csrf: string }>();
  sessions.set('coordinator', { cookie: (signIn.headers.getSetCookie()[0] ?? '').split(';')[0]!, csrf: me.csrfToken });
  const tokens = {
    coordinatorToken: (await target.accounts.createApiToken(users.coordinator.email, `fuzz ${tag}`)).token,
    opsToken: (await target.accounts.createApiToken(users.ops.email, `fuzz ${tag}`)).token,
  };

  // ---- driving through the API (coordinator token: no CSRF needed) ----
  // A refill runs while the fuzzing may have Postgres away from the HTTP server: a 5xx is tried
  // again (opening a case twice finds the same case; an action the case refuses answers 409).
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${target.baseUrl}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens.coordinatorToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status >= 500 && attempt < 5) {
        await new Promise((r) => setTimeout(r, 300));
        continue;
      }
      if (res.status >= 300) throw new Error(`seeding: ${method} /api${path} answered ${res.status}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    }
  };
  const waitFor = async (caseId: string, pred: (s: CaseStatus) => boolean, what: string, deadline = Date.now() + 60_000): Promise<CaseStatus> => {
    for (;;) {
      const s = (await api('GET', `/cases/${caseId}`).catch(() => undefined)) as CaseStatus | undefined;
      if (s && pred(s)) return s;
      if (Date.now() > deadline) throw new Error(`seeding: case ${caseId} never reached ${what}; last status ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const hospitals = ['A', 'B', 'C'].map((x) => `FZ${tag}${x}`);
  const [hospitalA, hospitalB] = hospitals as [string, string, string];
  for (const [i, code] of hospitals.entries()) {
    await api('POST', '/hospitals', { code, name: `Fuzz hospital ${code}`, email: `intl.${code.toLowerCase()}@hospital.example`, language: i === 2 ? 'es' : 'en', timezone: ['Asia/Hong_Kong', 'Europe/Madrid', 'America/Bogota'][i], phone: '+852 5555 0100' });
  }

  // A check-in every minute for the next three hours at hospital A, for the seeded therapy only, so
  // that the fuzzing's own protocols (casectl protocol set) are less specific and never chosen.
  const therapy = `Fuzz CD19 CAR-T ${tag}`;
  const protocols = new Set<string>();
  const setProtocol = async () => {
    const start = Date.now() - 2 * 60_000;
    const times = [...new Set(Array.from({ length: 180 }, (_, i) => utcClock(start + i * 60_000)))];
    const file = join(tmp, `protocol-${Date.now()}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        windowDays: 1,
        // A protocol's row lists at most 24 times of day: the three hours in rows of 24.
        schedule: Array.from({ length: Math.ceil(times.length / 24) }, (_, i) => ({ fromDay: 0, toDay: 1, times: times.slice(i * 24, i * 24 + 24) })),
        // Far off: a check-in left unanswered closes a minute later, before any escalation.
        reminderAfterMinutes: 600,
        coordinatorAfterMinutes: 1200,
        teamAfterMinutes: 1400,
        team: { name: 'Fuzz treating team', email: 'team@hospital.example', phone24h: '+852 5555 0199' },
      }),
    );
    const err: string[] = [];
    protocols.add(`fz-${tag}`);
    const code = await runCasectl(['protocol', 'set', '--name', `fz-${tag}`, '--hospital', hospitalA, '--therapy', therapy, '--file', file], { env: target.casectlEnv, io: { out: () => {}, err: (t) => void err.push(t) } });
    if (code !== 0) throw new Error(`seeding: casectl protocol set exited ${code}: ${err.join('\n')}`);
  };

  const act = (caseId: string, action: string, body: unknown = {}) => api('POST', `/cases/${caseId}/actions/${action}`, body);
  const seedCanary = () => `fzc${randomBytes(5).toString('hex')}`;

  /** Drives an open case from records to where `kind` waits (receiving the documents it asks for). */
  async function drive(caseId: string, kind: SlotKind, c: string, deadline = Date.now() + 60_000): Promise<void> {
    const records = await waitFor(caseId, (s) => s.stage === 'records', 'records', deadline);
    if (kind === 'records') return;
    if (kind === 'cancelled') {
      await act(caseId, 'cancelCase', { reason: `family withdrew ${c}` });
      await waitFor(caseId, STILL.cancelled, 'cancelled', deadline);
      return;
    }
    for (const documentType of Object.keys(records.documents)) await act(caseId, 'receiveDocument', { documentType, language: 'en' });
    await waitFor(caseId, (s) => s.stage === 'translation', 'translation', deadline);
    if (kind === 'translation') return;
    const chosen = kind === 'review2' ? [hospitalA, hospitalB] : kind === 'navigation' ? [hospitalB] : [hospitalA];
    await act(caseId, 'submitToHospitals', { hospitals: chosen });
    // Nothing goes to a hospital before the family approves it (recorded here by the coordinator).
    await waitFor(caseId, (s) => s.stage === 'translation' && s.waitingFor.from === 'family', "the family's approval", deadline);
    for (const hospitalCode of chosen) await act(caseId, 'approveSharing', { hospitalCode });
    await waitFor(caseId, (s) => s.stage === 'hospital_review' && s.submissions.every((x) => x.status === 'pending'), 'hospital review', deadline);
    if (kind === 'review' || kind === 'review2') return;
    if (kind === 'navigation') {
      await act(caseId, 'recordDecision', { hospitalCode: hospitalB, decision: 'declined', reason: `not eligible ${c}` });
      await waitFor(caseId, STILL.navigation, 'navigation', deadline);
      return;
    }
    await act(caseId, 'recordDecision', { hospitalCode: hospitalA, decision: 'accepted' });
    await waitFor(caseId, (s) => s.stage === 'admission', 'admission', deadline);
    await act(caseId, 'planAdmission', { hospitalCode: hospitalA, admissionAt: new Date(Date.now() + 2 * DAY).toISOString(), contact: `Ward 7 ${c}` });
    if (kind === 'admission') return;
    await act(caseId, 'confirmAdmission');
    await waitFor(caseId, STILL.infusion, 'monitoring, before the infusion', deadline);
    if (kind === 'infusion') return;
    // Infused three minutes ago: on the seeded protocol, the check-in that fell due this minute is open now.
    await act(caseId, 'recordInfusion', { at: new Date(Date.now() - 3 * 60_000).toISOString() });
    if (kind === 'followUp') await waitFor(caseId, (s) => !!s.monitoring, 'monitoring from the infusion', deadline);
    else await waitFor(caseId, (s) => !!s.monitoring?.checkins.some((x) => x.state === 'open'), 'an open check-in', deadline);
    if (kind === 'monitoring') return;
    await act(caseId, 'endMonitoring');
    await waitFor(caseId, STILL.followUp, 'follow-up', deadline);
  }

  /** Opens a case with patient data that carries canaries and drives it to where its slot waits. */
  async function fill(plan: (typeof PLAN)[number]): Promise<string> {
    const c = seedCanary();
    const opened = (await api('POST', '/cases', {
      patientRef: `P-${c}`,
      diagnosis: `Relapsed DLBCL ${c}`,
      therapy,
      family: { name: `Seed Family ${c}`, email: `${c}@example.org`, language: plan.language, timeZone: plan.timeZone },
    })) as { caseId: string };
    await drive(opened.caseId, plan.kind, c);
    return opened.caseId;
  }

  await setProtocol();
  const slots = new Map<string, { plan: (typeof PLAN)[number]; caseId: string; refill?: Promise<void> }>();
  const seeded: { caseId: string; slot: string }[] = [];
  const filled = await Promise.all(PLAN.map(async (plan) => ({ plan, caseId: await fill(plan) })));
  for (const { plan, caseId } of filled) {
    slots.set(plan.slot, { plan, caseId });
    seeded.push({ caseId, slot: plan.slot });
  }
  log(`seeded ${filled.length} cases, ${hospitals.length} hospitals, protocol fz-${tag} in ${((Date.now() - seedingStarted) / 1000).toFixed(1)} s`);

  // ---- credentials ----
  const mint = async (role: 'coordinator' | 'clinician' | 'ops') => {
    const s = await target.accounts.createSession(users[role].id);
    const value = { cookie: `sid=${s.token}`, csrf: s.csrfToken };
    sessions.set(role, value);
    return value;
  };
  async function credentials(as: Identity): Promise<Credentials> {
    switch (as) {
      case 'anonymous':
        return {};
      case 'forged':
        return { cookie: `sid=${'f'.repeat(43)}` };
      case 'coordinatorToken':
      case 'opsToken':
        return { authorization: `Bearer ${tokens[as]}` };
      default:
        return sessions.get(as) ?? (await mint(as));
    }
  }

  // ---- the console's forms, as its pages show them ----
  const consoleForms = new Map<string, ConsoleForm>();
  const crawl = async (path: string, as: Identity) => {
    const c = await credentials(as);
    const res = await fetch(`${target.baseUrl}${path}`, { headers: c.cookie ? { cookie: c.cookie } : {}, redirect: 'manual' });
    for (const f of formsOf(await res.text())) {
      let p = f.action.split('#')[0]!.split('?')[0]!;
      for (const { caseId } of seeded) p = p.replace(`/cases/${caseId}`, '/cases/{caseId}');
      p = p.replace(/\/alerts\/[^/]+\/ack$/, '/alerts/{alertId}/ack');
      if (!p.startsWith('/')) continue;
      const route = `${f.method} ${p.replace('{caseId}', ':caseId').replace('{alertId}', ':alertId')}`;
      const known = consoleForms.get(route);
      if (!known) consoleForms.set(route, { route, method: f.method, path: p, fields: f.fields });
      else for (const field of f.fields) if (!known.fields.some((x) => x.name === field.name)) known.fields.push(field);
    }
  };
  await crawl('/console/sign-in', 'anonymous');
  await crawl('/console/', 'coordinator');
  await crawl('/console/cases/new', 'coordinator');
  for (const { caseId } of seeded) await crawl(`/console/cases/${caseId}`, 'coordinator');
  await crawl(`/console/cases/${slots.get('monitoring-1')!.caseId}`, 'clinician');

  // ---- slots: where a case is now, refilled when it moves on ----
  const refills: Promise<void>[] = [];
  function refresh(): void {
    for (const [name, s] of slots) {
      if (s.refill) continue;
      s.refill = (async () => {
        const status = await actions.status(s.caseId).catch(() => undefined);
        if (status && STILL[s.plan.kind](status)) return;
        if (s.plan.kind === 'monitoring') await setProtocol();
        const caseId = await fill(s.plan);
        s.caseId = caseId;
        seeded.push({ caseId, slot: name });
      })()
        .catch((err: unknown) => void notes.push(`refilling ${name} failed: ${(err as Error).message}`))
        .finally(() => {
          s.refill = undefined;
        });
      refills.push(s.refill);
    }
  }

  // ---- check-in links ----
  const statusCache = new Map<string, { at: number; status: Promise<CaseStatus | undefined> }>();
  const statusOf = (caseId: string) => {
    const hit = statusCache.get(caseId);
    if (hit && Date.now() - hit.at < 1000) return hit.status;
    const status = actions.status(caseId).catch(() => undefined);
    statusCache.set(caseId, { at: Date.now(), status });
    return status;
  };
  const otherSecret = createCheckinLinks(randomBytes(32));
  async function link(spec: LinkSpec): Promise<{ token: string; caseId?: string }> {
    if (spec.kind === 'malformed') return { token: spec.text ?? '' };
    if (spec.kind === 'unknownCase') return { token: target.links.sign({ caseId: 'c000000000000', checkinId: 1, expiresAt: Date.now() + DAY }), caseId: 'c000000000000' };
    const wanted = spec.kind === 'answered' ? 'answered' : spec.kind === 'upcoming' ? 'upcoming' : 'open';
    const checkinsOf = async (caseId: string) => (await statusOf(caseId))?.monitoring?.checkins ?? [];
    let caseId = slots.get(spec.slot)?.caseId ?? '';
    let checkins = await checkinsOf(caseId);
    // A slot's case may have just been cancelled or infused long ago: any monitoring case with an
    // open check-in serves a request for one (while its slot is refilled).
    for (const other of PLAN.filter((p) => p.kind === 'monitoring')) {
      if (spec.kind !== 'open' || checkins.some((c) => c.state === 'open')) break;
      const candidate = slots.get(other.slot)!.caseId;
      const theirs = await checkinsOf(candidate);
      if (theirs.some((c) => c.state === 'open')) [caseId, checkins] = [candidate, theirs];
    }
    const c = checkins.find((x) => x.state === wanted) ?? checkins.find((x) => x.state === 'open') ?? checkins[0];
    const claims = { caseId, checkinId: c?.id ?? 1, expiresAt: c ? Date.parse(c.expiresAt) : Date.now() + DAY };
    const sign = (): string => {
      switch (spec.kind) {
        case 'expired':
          return target.links.sign({ ...claims, expiresAt: Date.now() - 60_000 });
        case 'forged':
          return otherSecret.sign(claims);
        case 'tampered': {
          const token = target.links.sign(claims);
          return `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
        }
        default:
          return target.links.sign(claims);
      }
    };
    return { token: sign(), caseId };
  }

  // ---- the rest of what generation needs ----
  const openapi = (await (await fetch(`${target.baseUrl}/api/openapi.json`)).json()) as OpenApi;
  const ctx: FuzzContext = {
    now: Date.now(),
    openapi,
    hospitals,
    slots: PLAN.map((p) => p.slot),
    monitoringSlots: PLAN.filter((p) => p.kind === 'monitoring').map((p) => p.slot),
    consoleForms: [...consoleForms.values()],
    commands: commandsOf(buildProgram()),
    canCutPostgres: !!target.postgres,
    adminEmail: users.coordinator.email,
  };

  return {
    ctx,
    caseIn: (slot) => slots.get(slot)?.caseId ?? 'c000000000000',
    cases: () => [...seeded],
    known: () => ({ cases: seeded.map((c) => c.caseId), hospitals, protocols: [...protocols], users: [target.admin.email, users.clinician.email, users.ops.email] }),
    credentials,
    forget: (as) => void sessions.delete(as),
    link,
    refresh,
    idle: async () => {
      await Promise.all(refills);
    },
    async workThrough(caseIds, ms) {
      const stops: string[] = [];
      const deadline = Date.now() + ms;
      await Promise.all(caseIds.map((caseId) => drive(caseId, 'followUp', seedCanary(), deadline).catch((err: unknown) => void stops.push(`${caseId}: ${(err as Error).message.slice(0, 300)}`))));
      return stops;
    },
    notes,
    close: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

/** Every leaf command of casectl's commander program, with its arguments and options. */
function commandsOf(cmd: Command, path: string[] = []): CliCommand[] {
  if (cmd.commands.length === 0) {
    return [
      {
        path,
        args: cmd.registeredArguments.map((a) => ({ name: a.name(), required: a.required, variadic: a.variadic, ...(a.argChoices ? { choices: a.argChoices } : {}) })),
        options: cmd.options.map((o) => ({ flag: o.long ?? o.flags, name: o.attributeName(), takesValue: o.required || o.optional, mandatory: o.mandatory, ...(o.argChoices ? { choices: o.argChoices } : {}) })),
      },
    ];
  }
  return cmd.commands.flatMap((c) => commandsOf(c, [...path, c.name()]));
}
