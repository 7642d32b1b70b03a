import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger, logStartupFailure, safeFields, safeMessage } from './logging.ts';
import { createWorkerLogger } from '../worker/runtime.ts';

type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

/** The worker's Runtime logger, writing into `lines`. */
function capture(level?: Level) {
  const lines: string[] = [];
  const logger = createWorkerLogger({ ...(level ? { level } : {}), write: (l) => void lines.push(l) });
  return { logger, lines, parsed: () => parse(lines) };
}

/** The pino logger both processes build on (the HTTP server hands it to Fastify), writing into `lines`. */
function capturePino(level?: Level) {
  const lines: string[] = [];
  const logger = createLogger({ ...(level ? { level } : {}), write: (l) => void lines.push(l) });
  return { logger, lines, parsed: () => parse(lines) };
}

const SECRET = 'Lucía Fernández, relapsed DLBCL, lucia@example.org';
const expectNoSecret = (lines: string[]) => {
  for (const l of lines) {
    expect(l).not.toContain('Lucía');
    expect(l).not.toContain('lucia@');
    expect(l).not.toContain('DLBCL');
  }
};

describe('the worker Runtime logger (pino lines)', () => {
  it('writes one JSON object per line: time, level, msg and the safe metadata, nothing else', () => {
    const { logger, lines, parsed } = capture();
    logger.info('Worker state changed', { sdkComponent: 'worker', taskQueue: 'cases', state: 'RUNNING' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]!.trimEnd()).not.toContain('\n');
    const [line] = parsed();
    expect(Object.keys(line!).sort()).toEqual(['component', 'level', 'msg', 'state', 'taskQueue', 'time']);
    expect(line).toMatchObject({ level: 'info', msg: 'Worker state changed', component: 'worker', taskQueue: 'cases', state: 'RUNNING' });
    expect(line!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(line!.time as string) - Date.now())).toBeLessThan(5_000);
  });

  it('filters by level (LOG_LEVEL)', () => {
    const { logger, parsed } = capture('WARN');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.log('ERROR', 'e');
    expect(parsed().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
    ]);
    const trace = capture('TRACE');
    trace.logger.trace('t');
    expect(trace.parsed().map((l) => l.level)).toEqual(['trace']);
  });

  it('uses the SDK timestamp of buffered and forwarded entries', () => {
    const { logger, parsed } = capture();
    const at = Date.UTC(2026, 10, 24, 8, 0, 0, 123);
    logger.warn('from core', { [Symbol.for('log_timestamp')]: BigInt(at) * 1_000_000n, sdkComponent: 'core', target: 'temporal_sdk_core::worker' });
    logger.warn('now');
    const [forwarded, now] = parsed();
    expect(forwarded).toMatchObject({ time: '2026-11-24T08:00:00.123Z', component: 'core', target: 'temporal_sdk_core::worker' });
    // The next entry has its own time again.
    expect(Math.abs(Date.parse(now!.time as string) - Date.now())).toBeLessThan(5_000);
  });

  it('names the case of a case workflow; keeps the activities own { caseId, kind, status }', () => {
    const { logger, parsed } = capture();
    logger.info('email', { sdkComponent: 'activity', workflowId: 'case-c0123456789ab', activityType: 'sendEmail', kind: 'case_opened', status: 'sent', attempt: 1 });
    expect(parsed()[0]).toMatchObject({ caseId: 'c0123456789ab', workflowId: 'case-c0123456789ab', activityType: 'sendEmail', kind: 'case_opened', status: 'sent', attempt: 1 });
  });

  it('never writes payloads, arguments, activations or anything not on the allowlist, at any level', () => {
    const { logger, lines } = capture('TRACE');
    logger.trace('Got workflow activation', { runId: 'r1', jobs: [{ initializeWorkflow: { arguments: [{ data: Buffer.from(SECRET) }] } }], input: SECRET });
    logger.debug('Activity started', { activityType: 'sendEmail', args: [SECRET], result: { to: SECRET }, taskToken: 'dG9rZW4=' });
    logger.info('x', { workflowId: `case-${SECRET}`, kind: { nested: SECRET }, status: SECRET.repeat(10), state: `line\n${SECRET}`, msg: SECRET, time: SECRET });
    expect(lines).toHaveLength(3);
    expectNoSecret(lines);
    for (const l of lines) expect(l).not.toContain('dG9rZW4');
    expect(JSON.parse(lines[0]!)).toEqual({ time: expect.any(String), level: 'trace', msg: 'Got workflow activation', runId: 'r1' });
    expect(JSON.parse(lines[2]!)).toEqual({ time: expect.any(String), level: 'info', msg: 'x' });
  });

  it('logs an error by class name, failure type and code, never its message', () => {
    const { logger, parsed } = capture();
    const failure = ApplicationFailure.nonRetryable('family email lucia@example.org refused', 'DeliveryRefused');
    logger.warn('Activity failed', { error: failure, durationMs: 12 });
    const smtp = Object.assign(new Error("Can't send mail - all recipients were rejected: 550 <lucia@example.org>"), { code: 'EENVELOPE', responseCode: 550 });
    logger.error('Worker failed', { error: smtp });
    logger.error('Closing failed', { err: 'a string with lucia@example.org' });
    const [a, b, c] = parsed();
    expect(a).toEqual({ time: expect.any(String), level: 'warn', msg: 'Activity failed', error: 'ApplicationFailure', errorType: 'DeliveryRefused', durationMs: 12 });
    expect(b).toMatchObject({ error: 'Error', errorCode: 'EENVELOPE' });
    expect(c).toMatchObject({ error: 'string' });
    expect(JSON.stringify([a, b, c])).not.toContain('lucia');
  });

  it('cuts a message where it starts quoting an error or a value, and at its first line', () => {
    const { logger, parsed } = capture();
    logger.error('Workflow Worker Thread failed: Error: diagnosis DLBCL');
    expect(parsed()[0]!.msg).toBe('Workflow Worker Thread failed');
    expect(safeMessage('Error while processing ActivityTask.start: invalid email lucia@example.org')).toBe('Error while processing ActivityTask.start');
    expect(safeMessage('first line\nsecond line with data')).toBe('first line');
    expect(safeMessage('x'.repeat(500))).toHaveLength(200);
    expect(safeMessage('Reply was already sent, did you forget to "return reply" in the "/checkin/abc.def" (GET) route?')).toBe('Reply was already sent, did you forget to');
    expect(safeMessage("name 'Lucía'")).toBe('name');
    expect(safeMessage('“Lucía”')).toBe('');
    expect(safeMessage("Activity can't be retried")).toBe("Activity can't be retried");
    expect(safeMessage('Worker state changed')).toBe('Worker state changed');
    expect(safeMessage('GET /api/cases/:caseId 200')).toBe('GET /api/cases/:caseId 200');
  });

  it('a logger whose output fails does not throw into the worker', () => {
    const logger = createWorkerLogger({
      write: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => logger.error('boom')).not.toThrow();
  });
});

describe('the pino logger, as Fastify and the HTTP server use it', () => {
  it('passes the HTTP fields: event, method, route pattern, status, ids, ms', () => {
    const { logger, parsed } = capturePino();
    logger.child({ component: 'http' }).info({ event: 'request', method: 'POST', route: '/checkin/:token', status: 200, caseId: 'c0123456789ab', userId: 7, ms: 12 }, 'POST /checkin/:token 200');
    logger.info({ route: '(no route)', status: 404 }, 'GET (no route) 404');
    logger.info({ route: '/codec/*' });
    expect(parsed()).toEqual([
      { time: expect.any(String), level: 'info', component: 'http', event: 'request', method: 'POST', route: '/checkin/:token', status: 200, caseId: 'c0123456789ab', userId: 7, ms: 12, msg: 'POST /checkin/:token 200' },
      { time: expect.any(String), level: 'info', route: '(no route)', status: 404, msg: 'GET (no route) 404' },
      { time: expect.any(String), level: 'info', route: '/codec/*', msg: '' },
    ]);
  });

  it('drops what Fastify could hand it: URLs, headers, bodies, request ids, an error message', () => {
    const { logger, lines, parsed } = capturePino('TRACE');
    const req = { method: 'POST', url: '/checkin/abc.def', headers: { cookie: 'sid=s3cr3t', authorization: 'Bearer t0k3n' }, body: { notes: SECRET } };
    const child = logger.child({ reqId: 'req-1', component: 'http', url: req.url });
    child.info({ req, res: { statusCode: 200 }, responseTime: 3.2 }, 'request completed');
    child.error(new Error(`invalid ${SECRET}`));
    child.error({ err: new Error(SECRET) });
    child.warn('Route %s not found', '/checkin/abc.def');
    child.info({ route: '/checkin/abc def', method: SECRET });
    child.child({ name: SECRET, caseId: 'c0123456789ab' }).info('grandchild');
    expect(lines).toHaveLength(6);
    expectNoSecret(lines);
    for (const l of lines) expect(l).not.toMatch(/abc\.def|s3cr3t|t0k3n|req-1|url|header/);
    expect(parsed().map(({ time: _, ...l }) => l)).toEqual([
      { level: 'info', component: 'http', msg: 'request completed' },
      { level: 'error', component: 'http', error: 'Error', msg: '' },
      { level: 'error', component: 'http', error: 'Error', msg: '' },
      { level: 'warn', component: 'http', msg: 'Route %s not found' },
      { level: 'info', component: 'http', msg: '' },
      { level: 'info', component: 'http', caseId: 'c0123456789ab', msg: 'grandchild' },
    ]);
  });

  it('safeFields keeps id-like values only, and nothing from no fields', () => {
    expect(safeFields(undefined)).toEqual({});
    expect(safeFields({ caseId: 'c0123456789ab', address: 'http://[::1]:8080', state: 'two words', status: 'x@y' })).toEqual({ caseId: 'c0123456789ab', address: 'http://[::1]:8080' });
  });

  it('a process that cannot start says why, with the message, on one JSON line', () => {
    const lines: string[] = [];
    logStartupFailure('Worker could not start', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), (l) => void lines.push(l));
    expect(parse(lines)).toEqual([{ time: expect.any(String), level: 'error', error: 'Error', errorCode: 'ECONNREFUSED', detail: 'connect ECONNREFUSED 127.0.0.1:5432', msg: 'Worker could not start' }]);
  });
});
