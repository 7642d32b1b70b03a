// A clinical escalation never waits on the database, nor on another email: a family's fever report
// reaches the treating team and the coordinator whether PostgreSQL refuses to record the report or
// cannot be reached at all, and a write refused for good holds nothing up (the coordinator is told
// what was not recorded); the coordinator's alert does not wait for the team's, nor a check-in's
// request email for its record.
// Time-skipping server, real PostgreSQL and SMTP; the worker's database goes through a TCP proxy the
// test can cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { sql } from 'kysely';
import { connect, type Db } from '../../db/connect.ts';
import { startCaseTestEnv, caseInMonitoring, openFirstCheckin, type CaseTestEnv } from '../harness/case-env.ts';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.ts';

let t: CaseTestEnv;
let proxy: TcpProxy;
let workerDb: Db;
const TEAM = 'intl@hku.test';
const COORDINATOR = 'coordinator@care.test';

beforeAll(async () => {
  t = await startCaseTestEnv({
    workerDb: async (database) => {
      const { hostname, port } = new URL(database.url);
      proxy = await startTcpProxy({ host: hostname, port: Number(port) });
      workerDb = connect(proxy.via(database.url));
      return workerDb;
    },
  });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: TEAM, language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await t?.teardown();
  await workerDb?.destroy();
  await proxy?.stop();
});

const ofCase = (caseId: string, kind: string, to?: string) => (m: ParsedMail) =>
  m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === kind && (!to || JSON.stringify(m.to).includes(to));
const fever = (takenAt: string) => ({ temperature: { value: 39.6, unit: 'c' }, takenAt, admitted: false, symptoms: { breathingDifficulty: true }, notes: 'breathing fast since the morning' });

describe('escalation first', () => {
  it("the coordinator's alert email does not wait for the team's: a team mail server refusing for a while holds up the team's alone", async () => {
    const { caseId } = await caseInMonitoring(t, 'HKU');
    const c = await openFirstCheckin(t, caseId);
    t.smtp.rejectRecipients((address) => address === TEAM, { temporary: true });
    try {
      const outcome = await t.actions.submitCheckin(caseId, c.id, fever(new Date(await t.env.currentTimeMs()).toISOString()));
      expect(outcome.tier).not.toBe('none');
      await t.smtp.waitFor(1, ofCase(caseId, 'alert_coordinator', COORDINATOR));
      expect(t.smtp.messages.filter(ofCase(caseId, 'alert_team'))).toEqual([]);
    } finally {
      t.smtp.rejectRecipients(false);
    }
    // The team's, retried, arrives once its server takes mail again.
    await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', TEAM), 30_000);
    await t.endCase(caseId);
  });

  it("a check-in's request email does not wait for its record: while the database is slow to write the check-in sent, the family's email goes out", async () => {
    const { caseId, monitoring } = await caseInMonitoring(t, 'HKU');
    const first = monitoring.checkins[0]!;
    // This database takes 8 s to write this case's "check-in sent" line.
    await sql
      .raw(
        `create or replace function slow_checkin_sent() returns trigger language plpgsql as $$ begin
           if new.kind = 'checkin_sent' and new.case_id = '${caseId}' then perform pg_sleep(8); end if;
           return new; end $$;
         create trigger slow_checkin_sent before insert on timeline for each row execute function slow_checkin_sent();`,
      )
      .execute(t.database.db);
    const sent = async () => (await t.database.db.selectFrom('timeline').select('summary').where('case_id', '=', caseId).where('kind', '=', 'checkin_sent').execute()).map((r) => r.summary);
    try {
      const wait = Date.parse(first.dueAt) - (await t.env.currentTimeMs());
      if (wait > 0) await t.env.sleep(wait + 1000);
      const [request] = await t.smtp.waitFor(1, ofCase(caseId, 'checkin_request'), 7_000);
      expect(request!.text).toContain('/checkin/');
      expect(await sent()).toEqual([]);
      for (const deadline = Date.now() + 30_000; (await sent()).length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
      expect(await sent()).toEqual([`Day ${first.day} check-in #${first.id} sent`]);
    } finally {
      await sql.raw('drop trigger if exists slow_checkin_sent on timeline').execute(t.database.db);
    }
    await t.endCase(caseId);
  }, 120_000);

  it('a report the database refuses to record still reaches the team; the case goes on and the coordinator hears what was not recorded', async () => {
    const { caseId } = await caseInMonitoring(t, 'HKU');
    const c = await openFirstCheckin(t, caseId);
    // This database refuses every answered check-in of this case, as it would refuse data it cannot hold.
    await sql
      .raw(
        `create or replace function refuse_answered() returns trigger language plpgsql as $$ begin
           if new.state = 'answered' and new.case_id = '${caseId}' then raise exception 'refused' using errcode = '22023'; end if;
           return new; end $$;
         create trigger refuse_answered before insert or update on checkins for each row execute function refuse_answered();`,
      )
      .execute(t.database.db);
    try {
      const outcome = await t.actions.submitCheckin(caseId, c.id, fever(new Date(await t.env.currentTimeMs()).toISOString()));
      expect(outcome.tier).not.toBe('none');
      await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', TEAM));
      await t.smtp.waitFor(1, ofCase(caseId, 'alert_coordinator', COORDINATOR));
      const [told] = await t.smtp.waitFor(1, ofCase(caseId, 'record_failed', COORDINATOR));
      expect(told!.text).toContain('checkin_answered');
      expect(told!.text).toContain('SQLSTATE 22023');
      // Nothing of the report in the email to the coordinator about the refusal.
      expect(told!.text).not.toContain('breathing fast');

      const s = await t.waitForStatus(caseId, (x) => x.alerts.some((a) => a.kind === 'record_failed'), 'the record_failed alert');
      expect(s.monitoring!.checkins[0]!.state).toBe('answered');
      expect(s.alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['checkin_report', 'record_failed']));
      // No activity is left retrying what can never succeed.
      const described = await t.client.workflow.getHandle(`case-${caseId}`).describe();
      expect(described.raw.pendingActivities?.filter((a) => (a.attempt ?? 0) > 1) ?? []).toEqual([]);
    } finally {
      await sql.raw('drop trigger refuse_answered on checkins; drop function refuse_answered();').execute(t.database.db);
    }
    // The case goes on: the alerts are acknowledged, the next check-in is sent and recorded as usual.
    for (const a of (await t.actions.status(caseId)).alerts) await t.actions.act(caseId, 'acknowledgeAlert', { actor: 'coordinator@care.test', alertId: a.id });
    const next = (await t.actions.status(caseId)).monitoring!.checkins[1]!;
    await t.env.sleep(Date.parse(next.dueAt) - (await t.env.currentTimeMs()) + 1000);
    await t.smtp.waitFor(2, ofCase(caseId, 'checkin_request'));
    const row = await t.database.db.selectFrom('checkins').select('state').where('case_id', '=', caseId).where('checkin_id', '=', next.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('open');
  });

  it('with the database unreachable, the alert goes out at once; the report is recorded when the database is back', async () => {
    const { caseId } = await caseInMonitoring(t, 'HKU');
    const c = await openFirstCheckin(t, caseId);
    await proxy.cut();
    let outcome: Promise<unknown> | undefined;
    try {
      outcome = t.actions.submitCheckin(caseId, c.id, fever(new Date(await t.env.currentTimeMs()).toISOString()));
      outcome.catch(() => undefined);
      const started = Date.now();
      await t.smtp.waitFor(1, ofCase(caseId, 'alert_team', TEAM));
      await t.smtp.waitFor(1, ofCase(caseId, 'alert_coordinator', COORDINATOR));
      // Seconds, not the minutes of a back-off waiting for the database.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await proxy.restore();
    }
    await expect(outcome).resolves.toMatchObject({ checkinId: c.id });
    const row = await t.database.db.selectFrom('checkins').select('state').where('case_id', '=', caseId).where('checkin_id', '=', c.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('answered');
  }, 120_000);
});
