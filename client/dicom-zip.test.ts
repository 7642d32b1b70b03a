import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkDicomZip } from './dicom-zip.ts';

const dicom = (bytes: number) => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), randomBytes(bytes)]);
const limits = { maxBytes: 50 * 1024 * 1024, maxRatio: 20, maxEntries: 100 };
/** The archive as the vault gives it back: a stream of chunks. */
const check = (zip: Uint8Array, l = limits) => checkDicomZip(Readable.from([Buffer.from(zip).subarray(0, 1000), Buffer.from(zip).subarray(1000)]), zip.length, l);

describe('a ZIP of a DICOM series', () => {
  it('is one when every image starts as DICOM files do, beside a DICOMDIR, folders and an archiver\'s clutter', async () => {
    const zip = zipSync({ 'CT/': {}, 'CT/IM0001': dicom(5000), 'CT/IM0002': dicom(70_000), DICOMDIR: randomBytes(300), '__MACOSX/._IM0001': randomBytes(20), '.DS_Store': randomBytes(10) });
    expect(await check(zip)).toBe('dicom_series');
    expect(await check(zipSync({ 'a.dcm': dicom(10) }, { level: 0 }))).toBe('dicom_series');
  });

  it('is not when any file in it is something else, or it holds no image at all', async () => {
    expect(await check(zipSync({ 'IM0001': dicom(100), 'report.pdf': Buffer.from('%PDF-1.4 ...') }))).toBe('not_dicom');
    expect(await check(zipSync({ 'index.html': Buffer.from('<html></html>') }))).toBe('not_dicom');
    expect(await check(zipSync({ DICOMDIR: randomBytes(100) }))).toBe('not_dicom');
  });

  it('stops a ZIP bomb, and one with too many entries, before inflating it all', async () => {
    // 40 MB of zeros in a few tens of KB: far past 20 times its size.
    const bomb = zipSync({ 'IM0001': Buffer.concat([dicom(0), Buffer.alloc(40 * 1024 * 1024)]) }, { level: 9 });
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await check(bomb)).toBe('too_large');
    // The same bytes, were they allowed to inflate that far, would be a DICOM series.
    expect(await check(bomb, { ...limits, maxRatio: 10_000 })).toBe('dicom_series');
    const many = zipSync(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`IM${i}`, dicom(1)])));
    expect(await check(many)).toBe('too_large');
  });

  it('is unreadable when the archive is broken', async () => {
    const zip = zipSync({ 'IM0001': dicom(50_000) });
    const broken = Buffer.from(zip);
    broken.fill(0x55, 60, 400);
    expect(await check(broken)).not.toBe('dicom_series');
  });
});
