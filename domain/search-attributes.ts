// Search attributes let ops find cases in the Temporal Web UI. They are never encrypted, so
// they carry only opaque ids, stage names, flags and deadlines: never patient data.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CaseStageKey = defineSearchAttributeKey('CaseStage', SearchAttributeType.KEYWORD);
export const AlertOpenKey = defineSearchAttributeKey('AlertOpen', SearchAttributeType.BOOL);
export const NextDeadlineKey = defineSearchAttributeKey('NextDeadline', SearchAttributeType.DATETIME);
export const HospitalCodeKey = defineSearchAttributeKey('HospitalCode', SearchAttributeType.KEYWORD);

export const caseSearchAttributes = [CaseStageKey, AlertOpenKey, NextDeadlineKey, HospitalCodeKey];
