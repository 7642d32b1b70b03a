// casectl acts as the account of CASECTL_TOKEN: without a live token, or with a role the action
// registry does not allow, a command is refused before the action layer (Temporal, the case
// tables) is opened; allowed, the account's email is the actor. The bootstrap `user` commands need
// no token. Fakes stand in for the stores: test/e2e/casectl.test.ts runs the real ones.
import { describe, expect, it } from 'vitest';
import { runCasectl, EXIT, type CasectlDeps } from '../casectl.ts';
import type { Accounts, User } from '../accounts.ts';
import type { CaseActions } from '../actions.ts';
import { AccessLogUnavailable, type AccessEntry, type AccessLog } from '../access-log.ts';

const CASE = 'c0123456789ab';
const USERS: Record<string, User> = {
  cct_coordinator: { id: 1, email: 'coord@care.test', name: 'Coordinator', role: 'coordinator', admin: false, secondFactor: true },
  cct_clinician: { id: 2, email: 'clin@care.test', name: 'Clinician', role: 'clinician', admin: false, secondFactor: true },
  cct_ops: { id: 3, email: 'ops@care.test', name: 'Ops', role: 'ops', admin: false, secondFactor: true },
};

/** What the fake action layer answers, by method; anything else answers {}. */
const ANSWERS: Record<string, unknown> = {
  listCases: { cases: [], total: 0, page: 1 },
  openCase: { caseId: CASE, created: true },
  recordClinical: { crs: { grade: 0, reason: 'afebrile' }, icans: { grade: 0, reason: 'ICE 10' }, tier: 'none' },
};

function casectl(token?: string, opts: { logDown?: boolean } = {}) {
  const out: string[] = [];
  const seen: AccessEntry[] = [];
  // As the real log: the read first, then its entry, and no answer without the entry.
  const accessLog = {
    logged: async (entry: AccessEntry, read: () => Promise<unknown>) => {
      const answer = await read();
      if (opts.logDown) throw new AccessLogUnavailable(new Error('down'));
      seen.push(entry);
      return answer;
    },
  } as unknown as AccessLog;
  const err: string[] = [];
  const calls: { method: string; args: unknown[] }[] = [];
  const resolved: string[] = [];
  let actionsOpened = 0;
  const actions = new Proxy({} as CaseActions, {
    get: (_target, method: string) => async (...args: unknown[]) => {
      calls.push({ method, args });
      return ANSWERS[method] ?? {};
    },
  });
  const accounts = {
    resolveApiToken: async (t: string) => {
      resolved.push(t);
      return USERS[t];
    },
    listUsers: async () => [],
  } as unknown as Accounts;
  const deps: CasectlDeps = {
    env: token === undefined ? {} : { CASECTL_TOKEN: token },
    io: { out: (t) => void out.push(t), err: (t) => void err.push(t), readStdin: async () => '{"temperatureC": 37}' },
    openActions: async () => {
      actionsOpened++;
      return { actions, accessLog, close: async () => {} };
    },
    openAccounts: async () => ({ accounts, close: async () => {} }),
  };
  return { run: (...argv: string[]) => runCasectl(argv, deps), out, err, calls, resolved, seen, actionsOpened: () => actionsOpened };
}

describe('casectl signed in', () => {
  it('refuses every case command without CASECTL_TOKEN, saying how to get one, and opens nothing', async () => {
    for (const argv of [['case', 'cancel', CASE, '--reason', 'moved'], ['case', 'show', CASE], ['hospital', 'list'], ['alert', 'ack', CASE, 'a1']]) {
      const c = casectl();
      expect(await c.run(...argv), argv.join(' ')).toBe(EXIT.notSignedIn);
      expect(c.err).toEqual(['error: not signed in: CASECTL_TOKEN is not set; make a token with `casectl user token <your email> --name <this machine>` and export CASECTL_TOKEN=<token>']);
      expect(c.out).toEqual([]);
      expect(c.actionsOpened()).toBe(0);
    }
  });

  it('refuses a token the accounts store does not resolve (unknown, expired, revoked, account disabled)', async () => {
    const c = casectl('cct_gone');
    expect(await c.run('case', 'cancel', CASE, '--reason', 'moved')).toBe(EXIT.notSignedIn);
    expect(c.err).toEqual([expect.stringMatching(/^error: not signed in: CASECTL_TOKEN is not a live API token \(unknown, expired or revoked, or its account is disabled\); make a token with `casectl user token/)]);
    expect(c.resolved).toEqual(['cct_gone']);
    expect(c.actionsOpened()).toBe(0);
  });

  it("refuses what the registry does not give the account's role, naming the role and the action, before opening the action layer", async () => {
    const clinician = casectl('cct_clinician');
    expect(await clinician.run('monitoring', 'end', CASE)).toBe(EXIT.refused);
    expect(clinician.err).toEqual(['error: refused: clin@care.test has role clinician; only coordinators may end post-infusion monitoring (endMonitoring)']);

    const ops = casectl('cct_ops');
    expect(await ops.run('alert', 'ack', CASE, 'a1')).toBe(EXIT.refused);
    expect(ops.err).toEqual(['error: refused: ops@care.test has role ops; only coordinators and clinicians may acknowledge an alert (acknowledgeAlert)']);
    expect(await ops.run('hospital', 'add', '--code', 'HCB', '--name', 'H', '--email', 'h@example.org', '--language', 'es', '--timezone', 'Europe/Madrid')).toBe(EXIT.refused);
    expect(ops.err[1]).toBe('error: refused: ops@care.test has role ops; only coordinators may add a hospital');
    expect(await ops.run('checkin', 'clinical', CASE)).toBe(EXIT.refused);

    expect(clinician.actionsOpened() + ops.actionsOpened()).toBe(0);
    expect([...clinician.calls, ...ops.calls]).toEqual([]);
  });

  it("takes what the role allows, with the account's email as the actor", async () => {
    const clinician = casectl('cct_clinician');
    expect(await clinician.run('alert', 'ack', CASE, 'a1', '--json', '--request-id', 'req-0001')).toBe(EXIT.ok);
    expect(await clinician.run('checkin', 'clinical', CASE, '--json', '--request-id', 'req-0002')).toBe(EXIT.ok);
    expect(clinician.calls).toEqual([
      { method: 'act', args: [CASE, 'acknowledgeAlert', { alertId: 'a1', actor: 'clin@care.test' }, { requestId: 'req-0001' }] },
      { method: 'recordClinical', args: [CASE, { temperatureC: 37 }, 'clin@care.test', { requestId: 'req-0002' }] },
    ]);

    const coordinator = casectl('cct_coordinator');
    const flags = ['--patient-ref', 'P-1', '--diagnosis', 'DLBCL', '--therapy', 'axi-cel', '--family-name', 'Li', '--family-email', 'li@example.org', '--family-language', 'zh', '--family-timezone', 'Asia/Shanghai'];
    expect(await coordinator.run('case', 'open', ...flags, '--json')).toBe(EXIT.ok);
    expect(coordinator.calls[0]).toMatchObject({ method: 'openCase', args: [expect.objectContaining({ patientRef: 'P-1' }), 'coord@care.test'] });
  });

  it('lets every role read', async () => {
    const ops = casectl('cct_ops');
    expect(await ops.run('case', 'list', '--json')).toBe(EXIT.ok);
    expect(ops.out).toEqual(['[]']);
  });

  it("records a read of a case in its access log as the account, through casectl, with no client address", async () => {
    const ops = casectl('cct_ops');
    expect(await ops.run('case', 'show', CASE, '--json')).toBe(EXIT.ok);
    expect(await ops.run('emails', CASE, '--json')).toBe(EXIT.ok);
    expect(ops.seen).toEqual([
      { caseId: CASE, party: 'staff', actor: 'ops@care.test', action: 'case_viewed', detail: { via: 'casectl' }, clientAddress: null },
      { caseId: CASE, party: 'staff', actor: 'ops@care.test', action: 'emails_viewed', detail: { via: 'casectl' }, clientAddress: null },
    ]);
  });

  it('prints nothing of a case whose read the access log cannot record', async () => {
    const ops = casectl('cct_ops', { logDown: true });
    expect(await ops.run('case', 'show', CASE)).toBe(EXIT.failure);
    expect(ops.out).toEqual([]);
    expect(ops.err).toEqual(['error: the access log cannot be written just now, so the case is not shown: try again shortly']);
  });

  it('runs the bootstrap user commands with no token, without asking for one', async () => {
    const c = casectl();
    expect(await c.run('user', 'list')).toBe(EXIT.ok);
    expect(c.out).toEqual(['No accounts yet.']);
    expect(c.resolved).toEqual([]);
  });
});
