// Diagnostic bundle for the rest scenario: the bare workflows, in a bundle that also holds the case
// workflow and everything it imports (zod schemas, domain rules, email templates). With the SDK's
// reusable V8 context each workflow instantiates the bundle's modules for itself, so a resting
// workflow here costs what the case's modules cost, without the case's own state.
export { restingWorkflow, noopWorkflow, burstWorkflow } from './workflows.ts';
export { caseWorkflow } from '../workflows/case.ts';
