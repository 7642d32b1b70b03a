// Retention: a case's files are crypto-shredded a set time after the case closed or was cancelled.
// The data key goes first (every copy of the files is unreadable from then on), then the objects;
// the files' rows stay, marked purged, and the timeline says so.
import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Vault } from './vault/vault.ts';

const filesCount = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;

/** Cases shredded by one run of the sweep; the next run takes the rest. */
export const SHRED_BATCH = 200;

export function retentionActivities(deps: { db: Db; vault?: Vault; retentionDays: number }) {
  const vaultOf = (): Vault => {
    if (!deps.vault) throw ApplicationFailure.nonRetryable('this worker has no document vault configured', 'NoVault');
    return deps.vault;
  };
  return {
    /** Cases ended more than the retention period before `nowMs` (the workflow's clock) whose files are not yet shredded. */
    async expiredCases(nowMs: number): Promise<string[]> {
      const cutoff = new Date(nowMs - deps.retentionDays * 86_400_000);
      const rows = await deps.db
        .selectFrom('cases')
        .innerJoin('case_keys', 'case_keys.case_id', 'cases.case_id')
        .select('cases.case_id')
        .where('cases.stage', 'in', ['closed', 'cancelled'])
        .where('cases.closed_at', '<', cutoff)
        .where('case_keys.shredded_at', 'is', null)
        .orderBy('cases.closed_at')
        .limit(SHRED_BATCH)
        .execute();
      return rows.map((r) => r.case_id);
    },

    /** Shreds one case's files: idempotent, so a retried or repeated run changes nothing more. */
    async shredCase(input: { caseId: string; nowMs: number }): Promise<void> {
      await vaultOf().shred(input.caseId);
      const at = new Date(input.nowMs);
      await deps.db.transaction().execute(async (trx) => {
        const purged = await trx.updateTable('files').set({ status: 'purged' }).where('case_id', '=', input.caseId).where('status', '!=', 'purged').executeTakeFirst();
        await trx
          .insertInto('timeline')
          .values({ case_id: input.caseId, event_key: `retention/${input.caseId}/shredded`, at, kind: 'files_shredded', actor: 'retention', summary: `Files deleted after ${deps.retentionDays} days (${filesCount(Number(purged.numUpdatedRows))}; the case's key destroyed)`, detail: sql`null` })
          .onConflict((oc) => oc.column('event_key').doNothing())
          .execute();
      });
    },
  };
}
