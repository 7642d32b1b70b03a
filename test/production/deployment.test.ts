// The production-shaped deployment's primitives, which chaos tests build on, against real
// processes: a case carries on while a worker is killed (the other worker takes its tasks), the
// service answers while an HTTP server is killed (the balancer skips it), and a killed process
// comes back ready on the same port.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../harness/deployment.ts';
import { startService, type Service } from '../harness/service.ts';
import { caseFile, DOCUMENTS, ACTOR, inStage, openCase, submitApproved, waitForStatus } from '../harness/drive.ts';

const env: NodeJS.ProcessEnv = {
  PAYLOAD_KEYS: `deploy:${randomBytes(32).toString('base64')}`,
  CHECKIN_LINK_SECRET: randomBytes(32).toString('base64'),
};

let service: Service;
let deployment: Deployment;
const caseIds: string[] = [];

const answers = (url: string): Promise<number | undefined> => fetch(url).then((r) => r.status, () => undefined);

beforeAll(async () => {
  service = await startService({ name: 'deployment', env });
  if (!service.deployment) throw new Error('this file runs in the production project only (vitest.config.ts)');
  deployment = service.deployment;
});

afterAll(async () => {
  await service?.stop(caseIds);
});

describe('the production-shaped deployment', () => {
  it('a case goes on while worker 0 is killed; worker 0 comes back ready on the same port', async () => {
    await service.actions.addHospital({ code: 'HKU', name: 'HKU Haematology', email: 'intl@hku.example', language: 'en', timezone: 'Asia/Hong_Kong', phone: '+852 5555 0100' });
    const caseId = await openCase(service.actions, caseFile());
    caseIds.push(caseId);
    const health = deployment.workerHealthUrl(0);
    await deployment.killWorker(0);
    expect(await answers(`${health}/readyz`)).toBeUndefined();
    // Worker 1 alone. What worker 0 held when it died waits for its timeout first: a workflow
    // task on its sticky queue some seconds, an activity it had started its whole 1-minute
    // start-to-close timeout (case activities do not heartbeat), so allow for that.
    for (const documentType of DOCUMENTS) await service.actions.act(caseId, 'receiveDocument', { actor: ACTOR, documentType, language: 'en' });
    await waitForStatus(service.actions, caseId, inStage('translation'), 'all documents in, with worker 0 dead', 90_000);
    await deployment.restartWorker(0);
    expect(deployment.workerHealthUrl(0)).toBe(health);
    expect(await answers(`${health}/readyz`)).toBe(200);
    await submitApproved(service.actions, caseId, ['HKU']);
    await waitForStatus(service.actions, caseId, inStage('hospital_review'), 'hospital review, worker 0 back');
  }, 150_000);

  it('the service answers while HTTP server 0 is killed; it comes back on the same port', async () => {
    const direct = deployment.httpUrl(0);
    await deployment.killHttp(0);
    expect(await answers(`${direct}/healthz`)).toBeUndefined();
    // Round robin: half of these would go to server 0, which refuses them; the balancer sends them on.
    for (let i = 0; i < 4; i++) expect(await answers(`${service.http.url}/readyz`)).toBe(200);
    await deployment.restartHttp(0);
    expect(deployment.httpUrl(0)).toBe(direct);
    expect(await answers(`${direct}/readyz`)).toBe(200);
    expect(await answers(`${deployment.httpUrl(1)}/readyz`)).toBe(200);
  });
});
