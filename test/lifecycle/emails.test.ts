// Email delivery guarantees: a retried activity never sends twice; a permanent refusal becomes
// a timeline entry and a coordinator alert, never a failed case; mail reaches people in their
// language with the right content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
/** Fails the first attempt of each listed email kind after its work (the SMTP accept) is done. */
const failAfterSend = new Set<string>();
const lostCompletion: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const result = await next(input);
      const arg = input.args[0] as { kind?: string } | undefined;
      if (ctx.info.activityType === 'sendEmail' && arg?.kind && failAfterSend.has(arg.kind) && ctx.info.attempt === 1) {
        throw new Error('worker lost before reporting completion');
      }
      return result;
    },
  },
});

beforeAll(async () => {
  t = await startCaseTestEnv({ interceptors: { activity: [lostCompletion] } });
});
afterAll(async () => t?.teardown());

describe('emails', () => {
  it('sends an email once even when the activity fails after the SMTP server accepted it', async () => {
    failAfterSend.add('case_opened');
    const { caseId } = await t.actions.openCase(sampleCase(), actor);
    await t.waitForStatus(caseId, (s) => s.stage === 'records');
    // The activity was retried (the first attempt "failed"), yet exactly one message arrived.
    const history = await t.client.workflow.getHandle(`case-${caseId}`).fetchHistory();
    const failedAttempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.attempt) > 1);
    expect(failedAttempts?.length).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.smtp.messages.filter((m) => m.headers.get('x-case-id') === caseId)).toHaveLength(1);
    const rows = await t.database.db.selectFrom('emails').selectAll().where('case_id', '=', caseId).execute();
    expect(rows.map((r) => [r.kind, r.status])).toEqual([['case_opened', 'sent']]);
    expect((await t.actions.timeline(caseId)).filter((e) => e.kind === 'email_sent')).toHaveLength(1);
    await t.endCase(caseId);
  });

  it('turns a permanent delivery failure into a timeline entry and a coordinator alert', async () => {
    t.smtp.rejectRecipients(true);
    try {
      const { caseId } = await t.actions.openCase(sampleCase(), actor);
      // The failure does not stop the case: it moves on to records with the alert open.
      const s = await t.waitForStatus(caseId, (x) => x.alerts.length > 0 && x.stage === 'records', 'records with a delivery alert');
      expect(s.alerts[0]).toMatchObject({ kind: 'delivery_failed', message: 'Email case_opened could not be delivered' });
      const rows = await t.database.db.selectFrom('emails').select(['kind', 'status', 'error']).where('case_id', '=', caseId).orderBy('id').execute();
      expect(rows[0]).toMatchObject({ kind: 'case_opened', status: 'failed' });
      expect(rows[0]!.error).toMatch(/550/);
      const timeline = await t.actions.timeline(caseId);
      expect(timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['email_failed', 'alert_raised']));
      t.smtp.rejectRecipients(false);
      await t.endCase(caseId);
    } finally {
      t.smtp.rejectRecipients(false);
    }
  });

  it('writes to each party in its own language, falling back to English', async () => {
    const zh = await t.actions.openCase(sampleCase({ family: { name: '王芳', email: 'wang.family@example.cn', language: 'zh', timeZone: 'Asia/Shanghai' } }), actor);
    const fr = await t.actions.openCase(sampleCase({ family: { name: 'Claire Martin', email: 'claire@example.fr', language: 'fr', timeZone: 'Europe/Paris' } }), actor);
    const [zhMail] = await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === zh.caseId);
    const [frMail] = await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === fr.caseId);
    expect(zhMail!.html).toContain('lang="zh-Hans"');
    expect(zhMail!.text).toContain('王芳');
    expect(frMail!.html).toContain('lang="en"');
    const rows = await t.database.db.selectFrom('emails').select(['case_id', 'language', 'to_address']).where('case_id', 'in', [zh.caseId, fr.caseId]).execute();
    expect(rows).toEqual(expect.arrayContaining([
      { case_id: zh.caseId, language: 'zh', to_address: 'wang.family@example.cn' },
      { case_id: fr.caseId, language: 'en', to_address: 'claire@example.fr' },
    ]));
    for (const c of [zh, fr]) await t.endCase(c.caseId);
  });
});
