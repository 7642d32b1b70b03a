// The case list puts first what needs a coordinator now: open clinical alerts (critical before
// urgent), other open alerts, overdue steps, the rest by nearest deadline then last change,
// finished cases last. The rows
// are written as the case activities project them; the list reads only Postgres.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { createCaseActions, type CaseActions } from './actions.ts';
import { InputError } from '../domain/validation.ts';
import type { Stage } from '../domain/case.ts';
import type { Tier } from '../domain/crs.ts';
import { createTestDatabase, type TestDatabase } from '../test/harness/postgres.ts';
import { createIdentifiers } from '../common/identifiers.ts';

let database: TestDatabase;
let actions: CaseActions;
const hour = 3_600_000;
const ago = (h: number) => new Date(Date.now() - h * hour);

interface Seed {
  id: string;
  family: string;
  stage: Stage;
  updatedHoursAgo: number;
  untilHours?: number;
  hospital?: string;
  submittedTo?: string;
  alerts?: { tier: Tier | null; acknowledged?: boolean; raisedHoursAgo?: number }[];
}

const SEEDS: Seed[] = [
  { id: 'cquiet000001', family: 'Ana Quiet', stage: 'records', updatedHoursAgo: 5, untilHours: 48 },
  { id: 'cfresh000002', family: 'Bo Fresh', stage: 'translation', updatedHoursAgo: 1 },
  { id: 'cdue00000003', family: 'Chen Overdue', stage: 'hospital_review', updatedHoursAgo: 30, untilHours: -2, submittedTo: 'HKU' },
  { id: 'cstall000004', family: 'Dana Stalled', stage: 'records', updatedHoursAgo: 40, alerts: [{ tier: null }] },
  { id: 'curgent00005', family: 'Eli Urgent', stage: 'monitoring', updatedHoursAgo: 3, hospital: 'HKU', alerts: [{ tier: 'urgent', raisedHoursAgo: 4 }] },
  { id: 'ccrit0000006', family: 'Fay Critical', stage: 'monitoring', updatedHoursAgo: 9, hospital: 'HCB', alerts: [{ tier: 'contact_team' }, { tier: 'critical', raisedHoursAgo: 1 }] },
  { id: 'cacked000007', family: 'Gus Acknowledged', stage: 'monitoring', updatedHoursAgo: 2, hospital: 'HCB', alerts: [{ tier: 'critical', acknowledged: true }] },
  { id: 'cclosed00008', family: 'Hana Closed', stage: 'closed', updatedHoursAgo: 0.5, alerts: [{ tier: null }] },
];

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  for (const code of ['HKU', 'HCB']) {
    await db.insertInto('hospitals').values({ code, name: code, email: `${code}@hospital.test`, language: 'en', time_zone: 'UTC' }).execute();
  }
  for (const s of SEEDS) {
    await db
      .insertInto('cases')
      .values({
        case_id: s.id,
        patient_ref: `REF-${s.id}`,
        diagnosis: 'DLBCL',
        therapy: 'CD19 CAR-T',
        stage: s.stage,
        waiting_for: JSON.stringify({ what: 'something', from: 'coordinator', ...(s.untilHours !== undefined ? { until: new Date(Date.now() + s.untilHours * hour).toISOString() } : {}) }),
        chosen_hospital: s.hospital ?? null,
        opened_at: ago(100),
        updated_at: ago(s.updatedHoursAgo),
      })
      .execute();
    await db.insertInto('contacts').values({ case_id: s.id, role: 'family', name: s.family, email: `${s.id}@family.test`, language: 'en', time_zone: 'UTC' }).execute();
    if (s.submittedTo) await db.insertInto('submissions').values({ case_id: s.id, hospital_code: s.submittedTo, round: 1, submitted_at: ago(50) }).execute();
    for (const [i, a] of (s.alerts ?? []).entries()) {
      await db
        .insertInto('alerts')
        .values({ case_id: s.id, alert_id: `a${i + 1}`, kind: a.tier ? 'checkin_report' : 'records_stalled', tier: a.tier, message: 'm', raised_at: ago(a.raisedHoursAgo ?? 2), acknowledged_at: a.acknowledged ? ago(1) : null, acknowledged_by: a.acknowledged ? 'x@care.test' : null })
        .execute();
    }
  }
  actions = createCaseActions({ client: {} as Client, db, taskQueue: 'unused' , identifiers: createIdentifiers(randomBytes(32)) });
});

afterAll(async () => {
  await database?.close();
});

const ids = (list: { cases: { caseId: string }[] }) => list.cases.map((c) => c.caseId);

describe('the case list', () => {
  it('orders by what needs attention and says why', async () => {
    const list = await actions.listCases();
    expect(ids(list)).toEqual(['ccrit0000006', 'curgent00005', 'cstall000004', 'cdue00000003', 'cquiet000001', 'cfresh000002', 'cacked000007', 'cclosed00008']);
    expect(list.cases.map((c) => c.attention)).toEqual(['clinical_alert', 'clinical_alert', 'alert', 'overdue', 'none', 'none', 'none', 'closed']);
    expect(list.cases[0]).toMatchObject({ familyName: 'Fay Critical', openAlerts: 2, hospital: 'HCB', stage: 'monitoring' });
    expect(list.total).toBe(SEEDS.length);
  });

  it('filters by stage, hospital (chosen or submitted to) and alerts', async () => {
    expect(ids(await actions.listCases({ stage: 'monitoring' }))).toEqual(['ccrit0000006', 'curgent00005', 'cacked000007']);
    expect(ids(await actions.listCases({ hospital: 'HKU' }))).toEqual(['curgent00005', 'cdue00000003']);
    expect(ids(await actions.listCases({ alert: 'clinical' }))).toEqual(['ccrit0000006', 'curgent00005']);
    expect(ids(await actions.listCases({ alert: 'open' }))).toEqual(['ccrit0000006', 'curgent00005', 'cstall000004', 'cclosed00008']);
    expect(await actions.listCases({ alert: 'none', stage: 'records' })).toMatchObject({ total: 1, cases: [{ caseId: 'cquiet000001' }] });
  });

  it("finds a case by its id or part of the family's name, not by other text", async () => {
    expect(ids(await actions.listCases({ search: 'critical' }))).toEqual(['ccrit0000006']);
    expect(ids(await actions.listCases({ search: 'CDUE00000003' }))).toEqual(['cdue00000003']);
    expect(ids(await actions.listCases({ search: '%' }))).toEqual([]);
    expect(ids(await actions.listCases({ search: 'DLBCL' }))).toEqual([]);
  });

  it('pages through the list', async () => {
    const first = await actions.listCases({ pageSize: 3 });
    const second = await actions.listCases({ pageSize: 3, page: 2 });
    const third = await actions.listCases({ pageSize: 3, page: '3' });
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual(ids(await actions.listCases()));
    expect(third).toMatchObject({ page: 3, pageSize: 3, total: 8 });
  });

  it('names the field of a bad filter', async () => {
    await expect(actions.listCases({ stage: 'limbo', page: 0, alert: 'maybe' })).rejects.toSatisfy((e: unknown) => e instanceof InputError && e.fields.map((f) => f.field).sort().join() === 'alert,page,stage');
    await expect(actions.listCases({ pageSize: 500 })).rejects.toThrow(/pageSize.*1 to 200/);
  });
});
