// A case ends only once the emails and records it started have finished: a hospital's reminder
// that met a mail server away just before the case closed is retried and sent, not abandoned when
// the workflow completes. A file of its own: it skips a week, which in a file with other cases
// would fire all of their timers too (minutes on the replaying project's cache-free worker).
// Time-skipping server, real PostgreSQL and SMTP; an activity interceptor makes the reminder's
// first attempt wait until the case has closed, then fail.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { startCaseTestEnv, sampleCase, type CaseTestEnv } from '../harness/case-env.ts';

let t: CaseTestEnv;
const actor = 'coordinator@care.test';
const entered = Promise.withResolvers<void>();
const release = Promise.withResolvers<void>();

const awayOnce: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      if (ctx.info.activityType === 'sendEmail' && (input.args[0] as { kind?: string }).kind === 'hospital_reminder' && ctx.info.attempt === 1) {
        entered.resolve();
        await release.promise;
        throw new Error('test: the mail server is away');
      }
      return next(input);
    },
  },
});

beforeAll(async () => {
  t = await startCaseTestEnv({ interceptors: { activity: [awayOnce] } });
  await t.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.test', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
});
afterAll(async () => t?.teardown());

it('sends an email a background step started before the case closed, retried after the close, before the case ends', async () => {
  const { caseId } = await t.actions.openCase(sampleCase({ requiredDocuments: ['medical_report'] }), actor);
  await t.waitForStatus(caseId, (s) => s.stage === 'records');
  await t.actions.act(caseId, 'receiveDocument', { actor, documentType: 'medical_report', language: 'en' });
  await t.waitForStatus(caseId, (s) => s.stage === 'translation');
  await t.submitApproved(caseId, ['HKU'], actor);
  await t.waitForStatus(caseId, (s) => s.submissions[0]?.status === 'pending');
  // The hospital is silent for a week: its reminder's first attempt meets a mail server that is away.
  await t.env.sleep('7 days');
  await entered.promise;
  await t.actions.act(caseId, 'recordDecision', { actor, hospitalCode: 'HKU', decision: 'declined', reason: 'not eligible' });
  await t.waitForStatus(caseId, (s) => s.stage === 'navigation');
  await t.actions.act(caseId, 'closeCase', { actor, reason: 'family chose treatment at home' });
  release.resolve();
  // Waiting on the result lets the server skip the retry's wait; the case ends once the email is out.
  const result = await t.client.workflow.getHandle(`case-${caseId}`).result();
  expect(result.stage).toBe('closed');
  const [reminder] = await t.smtp.waitFor(1, (m) => m.headers.get('x-case-id') === caseId && m.headers.get('x-email-kind') === 'hospital_reminder');
  expect(reminder).toBeDefined();
});
