/**
 * The documented entry point for other tools that record their actions in a report directory's audit
 * log (README: `appendAuditEvent(dir, event)` from `dist/cli/audit-log.js`). The log itself, its
 * format and its verification, is evidence/audit-log.ts; this path stays so that callers keep working.
 */
export { AUDIT_LOG_FILE, type AuditEvent, type AuditOptions, appendAuditEvent, appendAuditEventLocked, readTextIfExists } from '../evidence/audit-log.js';
