import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('ops settings in the configuration', () => {
  it('defaults: worker metrics on 127.0.0.1:9464, health on 127.0.0.1:9465, INFO logs', () => {
    const c = loadConfig({});
    expect(c.workerMetricsAddress).toBe('127.0.0.1:9464');
    expect([c.workerHealthHost, c.workerHealthPort]).toEqual(['127.0.0.1', 9465]);
    expect(c.logLevel).toBe('INFO');
  });

  it('WORKER_METRICS_ADDRESS: an ip:port, or empty to turn metrics off', () => {
    expect(loadConfig({ WORKER_METRICS_ADDRESS: '0.0.0.0:9100' }).workerMetricsAddress).toBe('0.0.0.0:9100');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: '[::1]:9100' }).workerMetricsAddress).toBe('[::1]:9100');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: '' }).workerMetricsAddress).toBeUndefined();
    expect(() => loadConfig({ WORKER_METRICS_ADDRESS: 'localhost:9464' })).toThrow(/WORKER_METRICS_ADDRESS must be ip:port/);
    expect(() => loadConfig({ WORKER_METRICS_ADDRESS: '127.0.0.1:99999' })).toThrow(/WORKER_METRICS_ADDRESS/);
  });

  it('WORKER_HEALTH_HOST, WORKER_HEALTH_PORT and LOG_LEVEL', () => {
    const c = loadConfig({ WORKER_HEALTH_HOST: '0.0.0.0', WORKER_HEALTH_PORT: '0', LOG_LEVEL: 'debug' });
    expect([c.workerHealthHost, c.workerHealthPort, c.logLevel]).toEqual(['0.0.0.0', 0, 'DEBUG']);
    expect(() => loadConfig({ WORKER_HEALTH_PORT: 'x' })).toThrow(/WORKER_HEALTH_PORT must be a port number/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of/);
  });

  it('WORKER_MAX_CACHED_WORKFLOWS: the SDK default unless set, a whole number when set', () => {
    expect(loadConfig({}).workerMaxCachedWorkflows).toBeUndefined();
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: ' 2000 ' }).workerMaxCachedWorkflows).toBe(2000);
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS must be a whole number/);
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '-1' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  });

  it('SMTP to another machine requires TLS unless SMTP_ALLOW_PLAINTEXT says it may be plaintext', () => {
    expect(loadConfig({}).smtpRequireTls).toBe(false);
    expect(loadConfig({ SMTP_URL: 'smtp://mail.example.org:587' }).smtpRequireTls).toBe(true);
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }).smtpRequireTls).toBe(false);
    expect(loadConfig({ SMTP_URL: 'smtp://localhost:2525' }).smtpRequireTls).toBe(false);
    expect(loadConfig({ SMTP_URL: 'smtp://mailpit:1025', SMTP_ALLOW_PLAINTEXT: '1' }).smtpRequireTls).toBe(false);
    expect(() => loadConfig({ SMTP_URL: 'not a url' })).toThrow(/^SMTP_URL must be a URL/);
  });

  it('TRUST_PROXY: a hop count or the proxies\' addresses, never "everything"', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.5, 10.1.0.0/16,::1 ' }).trustProxy).toEqual(['10.0.0.5', '10.1.0.0/16', '::1']);
    for (const bad of ['true', '*', '0', 'proxy.example', '10.0.0.0/33', '10.0.0.5,']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/^TRUST_PROXY must be how many proxies are in front \(1 for one\) or their addresses/);
    }
  });
});
