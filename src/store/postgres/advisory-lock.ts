import pg from 'pg';

/**
 * `pg_advisory_xact_lock` on two text keys as a statement without parameters (values escaped as
 * literals), so it can travel with a transaction's BEGIN in one round trip. The same lock as the
 * parameterised `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`.
 */
export function advisoryXactLockSql(key: string, sub: string): string {
  return `SELECT pg_advisory_xact_lock(hashtext(${pg.escapeLiteral(key)}), hashtext(${pg.escapeLiteral(sub)}))`;
}
