// The workflows the worker runs (this module is the worker's workflowsPath).
export { caseWorkflow } from './case.ts';
export { retentionSweep } from './retention.ts';
