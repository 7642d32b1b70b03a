// A clinical escalation never waits on the database: a family's fever report reaches the treating
// team and the coordinator whether PostgreSQL refuses to record the report or cannot be reached at
// all, and a write refused for good holds nothing up (the coordinator is told what was not recorded).
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
