import type { Plan, TargetRef } from '../connector/types.ts';

/** The guardrail settings every connector's plans pass through. */
export interface GuardrailConfig {
  protectedEmails: readonly string[];
  protectedOrgUnits: readonly string[];
}

/**
 * Why a target must never be changed, or null. Protected: administrators as the directory reports
 * them, configured e-mails, and configured organisational units with everything below them.
 */
export function protectionReason(target: TargetRef | null, config: GuardrailConfig): string | null {
  if (!target) return null;
  if (target.adminRole === 'super') return 'super admin';
  if (target.adminRole === 'delegated') return 'delegated admin';
  const email = target.email?.toLowerCase();
  if (email && config.protectedEmails.some((e) => e.toLowerCase() === email)) return 'protected e-mail';
  const ou = target.orgUnitPath;
  if (ou) {
    const inside = config.protectedOrgUnits.find((p) => {
      const base = p.endsWith('/') && p !== '/' ? p.slice(0, -1) : p;
      return ou === base || base === '/' || ou.startsWith(`${base}/`);
    });
    if (inside) return `protected organisational unit ${inside}`;
  }
  return null;
}

/** Units of the destructive budget a plan takes: one for an entity with any destructive op. */
export function budgetUnits(plan: Plan): number {
  return plan.ops.filter((op) => op.destructive).length > 0 ? 1 : 0;
}
