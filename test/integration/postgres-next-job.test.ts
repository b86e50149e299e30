// After every claim a worker lane asks the store when its next job is due. With a backlog behind it
// (40,000 HubSpot jobs after a first sync, the Google lane's offboardings beside them), that look
// must not read the backlog: it ran after each claim, so a lane's claims cost O(backlog) each.
// This checks the answer and, from PostgreSQL's own EXPLAIN ANALYZE, how many job rows it read.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/store/postgres/connection.ts';
import { NEXT_JOB_AT_SQL } from '../../src/store/postgres/store.ts';
import { postgresHarness, TEST_DATABASE_URL } from '../helpers/stores.ts';

const harness = postgresHarness();
afterAll(() => harness.cleanup());

interface PlanNode {
  'Relation Name'?: string;
  Alias?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** Job rows the plan read under alias `j` (the pending walk), over all loops. */
function pendingRowsRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'jobs' && node.Alias === 'j' ? node['Actual Rows'] * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + pendingRowsRead(child), 0);
}

describe('PostgreSQL: when is the next job due', () => {
  it('answers from the head of the lane, not by reading the backlog of this lane or another', async () => {
    const schema = harness.newSchema();
    const store = await harness.open({ schema });
    const client = new pg.Client({ connectionString: resolveConnection(TEST_DATABASE_URL).connectionString });
    await client.connect();
    try {
      await client.query(`SET search_path = "${schema}"`);
      // 20,000 HubSpot jobs first in time; then Google's, two of them held back by a running job
      // of the same entity; one HubSpot job running.
      await client.query(`INSERT INTO jobs (id, connector, kind, entity_id, state, run_at, created_at, updated_at)
        SELECT 'job_h' || g, 'hubspot', 'product', 'p-' || g, 'pending', 1000 + g, 1, 1 FROM generate_series(1, 20000) g`);
      await client.query(`INSERT INTO jobs (id, connector, kind, entity_id, state, run_at, created_at, updated_at)
        SELECT 'job_g' || g, 'google-workspace', 'employee', 'e-' || g, 'pending', 50000 + g, 1, 1 FROM generate_series(1, 200) g`);
      await client.query(`INSERT INTO jobs (id, connector, kind, entity_id, state, run_at, created_at, updated_at, owner, lease_until)
        VALUES ('run_g1', 'google-workspace', 'employee', 'e-1', 'running', 1, 1, 1, 'w', 9000000),
               ('run_g2', 'google-workspace', 'employee', 'e-2', 'running', 1, 1, 1, 'w', 9000000),
               ('run_h', 'hubspot', 'product', 'p-x', 'running', 1, 1, 1, 'w', 8000000)`);
      await client.query('ANALYZE jobs');

      // e-1 and e-2 are held back: the Google lane's next job is e-3's.
      expect(await store.nextJobAt('google-workspace')).toBe(50_003);
      expect(await store.nextJobAt('hubspot')).toBe(1001);
      expect(await store.nextJobAt()).toBe(1001);

      await client.query(`PREPARE next_job(text) AS ${NEXT_JOB_AT_SQL}`);
      for (const lane of ["'google-workspace'", "'hubspot'", 'NULL']) {
        const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE next_job(${lane})`,
        );
        // The head of the lane and the jobs held back before it, not 20,000 rows.
        expect(pendingRowsRead(rows[0]!['QUERY PLAN'][0]!.Plan), `lane ${lane}`).toBeLessThanOrEqual(3);
      }
    } finally {
      await client.end();
    }
  });
});
