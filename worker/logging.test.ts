import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createJsonLogger, formatLogLine, safeFields, safeMessage } from './logging.ts';

function capture(level?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR') {
  const lines: string[] = [];
  const logger = createJsonLogger({ ...(level ? { level } : {}), write: (l) => lines.push(l) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('worker JSON logs', () => {
  it('writes one JSON object per line: time, level, msg, then the safe metadata', () => {
    const { logger, lines, parsed } = capture();
    logger.info('Worker state changed', { sdkComponent: 'worker', taskQueue: 'cases', state: 'RUNNING' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(lines[0]!.trimEnd()).not.toContain('\n');
    const [line] = parsed();
    expect(Object.keys(line!)).toEqual(['time', 'level', 'msg', 'component', 'taskQueue', 'state']);
    expect(line).toMatchObject({ level: 'info', msg: 'Worker state changed', component: 'worker', taskQueue: 'cases', state: 'RUNNING' });
    expect(Number.isNaN(Date.parse(line!.time as string))).toBe(false);
  });

  it('filters by level', () => {
    const { logger, parsed } = capture('WARN');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.log('ERROR', 'e');
    expect(parsed().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
    ]);
  });

  it('uses the SDK timestamp of buffered and forwarded entries', () => {
    const { logger, parsed } = capture();
    const at = Date.UTC(2026, 10, 24, 8, 0, 0, 123);
    logger.warn('from core', { [Symbol.for('log_timestamp')]: BigInt(at) * 1_000_000n, sdkComponent: 'core', target: 'temporal_sdk_core::worker' });
    expect(parsed()[0]).toMatchObject({ time: '2026-11-24T08:00:00.123Z', component: 'core', target: 'temporal_sdk_core::worker' });
  });

  it('names the case of a case workflow; keeps the activities own { caseId, kind, status }', () => {
    const { logger, parsed } = capture();
    logger.info('email', { sdkComponent: 'activity', workflowId: 'case-c0123456789ab', activityType: 'sendEmail', kind: 'case_opened', status: 'sent', attempt: 1 });
    expect(parsed()[0]).toMatchObject({ caseId: 'c0123456789ab', workflowId: 'case-c0123456789ab', activityType: 'sendEmail', kind: 'case_opened', status: 'sent', attempt: 1 });
  });

  it('never writes payloads, arguments, activations or anything not on the allowlist, at any level', () => {
    const { logger, lines } = capture('TRACE');
    const secret = 'Lucía Fernández, relapsed DLBCL, lucia@example.org';
    logger.trace('Got workflow activation', { runId: 'r1', jobs: [{ initializeWorkflow: { arguments: [{ data: Buffer.from(secret) }] } }], input: secret });
    logger.debug('Activity started', { activityType: 'sendEmail', args: [secret], result: { to: secret }, taskToken: 'dG9rZW4=' });
    logger.info('x', { workflowId: `case-${secret}`, kind: { nested: secret }, status: secret.repeat(10), state: `line\n${secret}` });
    for (const l of lines) {
      expect(l).not.toContain('Lucía');
      expect(l).not.toContain('lucia@');
      expect(l).not.toContain('DLBCL');
      expect(l).not.toContain('dG9rZW4');
    }
    expect(JSON.parse(lines[0]!)).toEqual({ time: expect.any(String), level: 'trace', msg: 'Got workflow activation', runId: 'r1' });
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

  it('cuts a message where it starts quoting an error, and at its first line', () => {
    expect(safeMessage('Error while processing ActivityTask.start: invalid email lucia@example.org')).toBe('Error while processing ActivityTask.start');
    expect(safeMessage('Workflow Worker Thread failed: Error: diagnosis DLBCL')).toBe('Workflow Worker Thread failed');
    expect(safeMessage('first line\nsecond line with data')).toBe('first line');
    expect(safeMessage('x'.repeat(500))).toHaveLength(200);
    expect(safeMessage('Worker state changed')).toBe('Worker state changed');
  });

  it('a logger whose output fails does not throw into the worker', () => {
    const logger = createJsonLogger({
      write: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => logger.error('boom')).not.toThrow();
  });

  it('safeFields and formatLogLine are what the HTTP server shares', () => {
    expect(safeFields(undefined)).toEqual({});
    expect(JSON.parse(formatLogLine('WARN', 'm', { event: 'x' }, new Date(0)))).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'm', event: 'x' });
  });
});
