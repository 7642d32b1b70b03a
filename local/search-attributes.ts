// Registers the case search attributes on a Temporal namespace (the dev server registers them
// at start; the time-skipping server and an existing cluster need this call). Idempotent.
import proto from '@temporalio/proto';
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { caseSearchAttributes } from '../domain/search-attributes.ts';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const indexedType = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as Record<string, proto.temporal.api.enums.v1.IndexedValueType>;

export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const searchAttributes = Object.fromEntries(caseSearchAttributes.map((k) => [k.name, indexedType[k.type]!]));
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}
