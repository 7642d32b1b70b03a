import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, temporalConnectionOptions } from './config.ts';
import { createTestPki, type TestPki } from './test/harness/tls-proxy.ts';

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

  it('WORKER_MAX_CACHED_WORKFLOWS: sized by the worker unless set, a whole number when set', () => {
    expect(loadConfig({}).workerMaxCachedWorkflows).toBeUndefined();
    expect(loadConfig({}).workerExpectedBurst).toBe(1000);
    expect(loadConfig({ WORKER_EXPECTED_BURST: '300' }).workerExpectedBurst).toBe(300);
    expect(() => loadConfig({ WORKER_EXPECTED_BURST: 'many' })).toThrow(/WORKER_EXPECTED_BURST must be a whole number/);
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

describe('the vault', () => {
  it('keeps files under DATA_DIR, 1 GiB each and 10 GiB a case, for 365 days after a case ends, unless told otherwise', () => {
    expect(loadConfig({}).vault).toEqual({ maxFileBytes: 1024 ** 3, maxCaseBytes: 10 * 1024 ** 3, retentionDays: 365 });
    expect(loadConfig({ VAULT_MAX_FILE_MB: '5', VAULT_MAX_CASE_MB: '50', VAULT_RETENTION_DAYS: '30' }).vault).toEqual({ maxFileBytes: 5 * 1024 ** 2, maxCaseBytes: 50 * 1024 ** 2, retentionDays: 30 });
    expect(() => loadConfig({ VAULT_MAX_FILE_MB: '100', VAULT_MAX_CASE_MB: '10' })).toThrow(/VAULT_MAX_CASE_MB at least as large/);
    expect(() => loadConfig({ VAULT_MAX_FILE_MB: '1.5' })).toThrow(/VAULT_MAX_FILE_MB must be a size in MiB/);
  });

  it('uses S3 when VAULT_S3_BUCKET names a bucket, and refuses half an S3 setting', () => {
    const env = { VAULT_S3_BUCKET: 'vault', VAULT_S3_ENDPOINT: 'http://storage:7070', VAULT_S3_ACCESS_KEY_ID: 'id', VAULT_S3_SECRET_ACCESS_KEY: 'secret' };
    expect(loadConfig(env).vault.s3).toEqual({ bucket: 'vault', region: 'us-east-1', endpoint: 'http://storage:7070', credentials: { accessKeyId: 'id', secretAccessKey: 'secret' } });
    expect(loadConfig({ VAULT_S3_BUCKET: 'vault' }).vault.s3).toEqual({ bucket: 'vault', region: 'us-east-1' });
    expect(() => loadConfig({ VAULT_S3_ENDPOINT: 'http://storage:7070' })).toThrow(/VAULT_S3_ENDPOINT set without VAULT_S3_BUCKET/);
    expect(() => loadConfig({ VAULT_S3_BUCKET: 'vault', VAULT_S3_ACCESS_KEY_ID: 'id' })).toThrow(/go together/);
    expect(() => loadConfig({ VAULT_S3_BUCKET: 'vault', VAULT_S3_ENDPOINT: 'storage:7070' })).toThrow(/must be an http\(s\) URL/);
  });
});

describe('TLS to Temporal', () => {
  let dir: string;
  let pki: TestPki;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-tls-'));
    pki = createTestPki(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const mtls = () => ({ TEMPORAL_TLS_CA_FILE: pki.caFile, TEMPORAL_TLS_CERT_FILE: pki.clientCertFile, TEMPORAL_TLS_KEY_FILE: pki.clientKeyFile });

  it('is off unless asked for, and TEMPORAL_TLS alone trusts the system roots', () => {
    expect(loadConfig({}).temporalTls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS: 'off' }).temporalTls).toBeUndefined();
    expect(temporalConnectionOptions(loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
    expect(loadConfig({ TEMPORAL_TLS: 'on' }).temporalTls).toEqual({});
    expect(loadConfig({ TEMPORAL_TLS: ' TRUE ' }).temporalTls).toEqual({});
    expect(() => loadConfig({ TEMPORAL_TLS: 'required' })).toThrow(/^TEMPORAL_TLS must be on or off/);
  });

  it('any TEMPORAL_TLS_* setting turns it on, and contradicting TEMPORAL_TLS=off is an error, not plaintext', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', ...mtls(), TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
    expect(c.temporalTls?.serverRootCACertificate).toEqual(readFileSync(pki.caFile));
    expect(c.temporalTls?.clientCertPair?.crt).toEqual(readFileSync(pki.clientCertFile));
    expect(c.temporalTls?.clientCertPair?.key).toEqual(readFileSync(pki.clientKeyFile));
    expect(c.temporalTls?.serverNameOverride).toBe('temporal.test');
    expect(temporalConnectionOptions(c)).toEqual({ address: 'temporal.internal:7233', tls: c.temporalTls });
    expect(loadConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }).temporalTls).toEqual({ serverNameOverride: 'temporal.test' });
    expect(() => loadConfig({ TEMPORAL_TLS: '0', TEMPORAL_TLS_CA_FILE: pki.caFile })).toThrow(/^TEMPORAL_TLS is off but TEMPORAL_TLS_CA_FILE is set/);
  });

  it('the client certificate and its key go together', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_FILE: pki.clientCertFile })).toThrow(/^TEMPORAL_TLS_KEY_FILE must be set with TEMPORAL_TLS_CERT_FILE/);
    expect(() => loadConfig({ TEMPORAL_TLS_KEY_FILE: pki.clientKeyFile })).toThrow(/^TEMPORAL_TLS_CERT_FILE must be set with TEMPORAL_TLS_KEY_FILE/);
    expect(() => loadConfig({ ...mtls(), TEMPORAL_TLS_KEY_FILE: pki.serverKeyFile })).toThrow(/^TEMPORAL_TLS_KEY_FILE \('.*server\.key'\) is not the private key of the certificate in TEMPORAL_TLS_CERT_FILE/);
  });

  it('files are read at start-up, each error naming its variable and never showing what the file holds', () => {
    const key = readFileSync(pki.clientKeyFile, 'utf8');
    const keyBody = key.split('\n')[1]!;
    expect(() => loadConfig({ TEMPORAL_TLS_CA_FILE: join(dir, 'missing.pem') })).toThrow(/^TEMPORAL_TLS_CA_FILE: cannot read '.*missing\.pem' \(ENOENT\)/);
    expect(() => loadConfig({ TEMPORAL_TLS_CA_FILE: dir })).toThrow(/^TEMPORAL_TLS_CA_FILE: cannot read .* \(EISDIR\)/);
    expect(() => loadConfig({ TEMPORAL_TLS_CA_FILE: pki.clientKeyFile })).toThrow(/^TEMPORAL_TLS_CA_FILE \('.*client\.key'\) holds no PEM certificate$/);
    expect(() => loadConfig({ ...mtls(), TEMPORAL_TLS_CERT_FILE: pki.clientKeyFile })).toThrow(/^TEMPORAL_TLS_CERT_FILE \(.*\) holds no PEM certificate$/);
    expect(() => loadConfig({ ...mtls(), TEMPORAL_TLS_KEY_FILE: pki.clientCertFile })).toThrow(/^TEMPORAL_TLS_KEY_FILE \(.*\) holds no unencrypted PEM private key$/);
    const encrypted = join(dir, 'encrypted.key');
    writeFileSync(encrypted, createPrivateKey(key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }));
    expect(() => loadConfig({ ...mtls(), TEMPORAL_TLS_KEY_FILE: encrypted })).toThrow(/^TEMPORAL_TLS_KEY_FILE \(.*\) holds no unencrypted PEM private key$/);

    const printed = (c: unknown) => `${inspect(c, { depth: 10 })}${JSON.stringify(c)}`;
    const c = loadConfig(mtls());
    expect(printed(c)).not.toContain(keyBody);
    expect(printed(c)).toContain('<private key>');
  });

  it('TEMPORAL_TLS_SERVER_NAME is a name as certificates carry it', () => {
    for (const bad of ['https://temporal.test', 'temporal.test:7233', 'temporal test', '.temporal.test']) {
      expect(() => loadConfig({ TEMPORAL_TLS_SERVER_NAME: bad }), bad).toThrow(/^TEMPORAL_TLS_SERVER_NAME must be the host name in Temporal's certificate/);
    }
  });
});
