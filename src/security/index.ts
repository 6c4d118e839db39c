// Public surface of the run-time security module: load a policy IR, decide security events.
export { loadPolicy, type Decision, type SecurityModule, type SecurityModuleOptions } from './engine.ts';
export { formatExplanation, type Explanation, type EventDescription, type Party } from './explain.ts';
export type { AuditRecord, AuditResult } from './audit.ts';
export type * from './ir.ts';
export { POLICY_IR_VERSION } from './ir.ts';
