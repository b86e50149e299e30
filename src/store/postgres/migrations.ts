/**
 * Versioned PostgreSQL migrations. Append only: never edit a released step, add the next one.
 *
 * Same tables and column names as the SQLite store so the row mappers in `../rows.ts` serve both:
 * times are epoch milliseconds in `bigint` (which `pg` returns as strings, the mappers call
 * Number()), JSON is kept as `text`. Ids and keys use the "C" collation so that ordering and
 * paging (`id > $after ORDER BY id`) compare bytes, exactly as SQLite does.
 *
 * Tables are created unqualified: they land in the store's schema, the first entry of the
 * connection's `search_path`.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'inbox, projection, jobs, ledger, guardrails, runs',
    sql: `
CREATE TABLE inbox (
  id text COLLATE "C" PRIMARY KEY,
  body_hash text NOT NULL UNIQUE,
  type text,
  company_id text,
  growrk_ts text,
  received_at bigint NOT NULL,
  status text NOT NULL,
  error_code text,
  error_message text,
  body text NOT NULL,
  entity_keys text NOT NULL DEFAULT '[]'
);
CREATE INDEX inbox_status ON inbox (status, id);
CREATE INDEX inbox_type ON inbox (type, id);

CREATE TABLE entities (
  kind text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  data text NOT NULL,
  ts bigint,
  field_ts text NOT NULL DEFAULT '{}',
  event_id text NOT NULL,
  event_type text NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (kind, id)
);

CREATE TABLE jobs (
  id text COLLATE "C" PRIMARY KEY,
  connector text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  entity_id text COLLATE "C" NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  run_at bigint NOT NULL,
  event_ids text NOT NULL DEFAULT '[]',
  error_code text,
  error_message text,
  owner text,
  lease_until bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
-- One pending job per (connector, entity): later requests coalesce into it.
CREATE UNIQUE INDEX jobs_one_pending ON jobs (connector, kind, entity_id) WHERE state = 'pending';
-- Per-entity order as an invariant of the database, not only of the claim query.
CREATE UNIQUE INDEX jobs_one_running ON jobs (connector, kind, entity_id) WHERE state = 'running';
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_events ON jobs USING gin ((event_ids::jsonb) jsonb_path_ops);

CREATE TABLE outcomes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id text,
  connector text NOT NULL,
  kind text NOT NULL,
  entity_id text NOT NULL,
  result text NOT NULL,
  summary text NOT NULL,
  detail text,
  error_code text,
  error_message text,
  at bigint NOT NULL
);
CREATE INDEX outcomes_event ON outcomes (event_id);
CREATE INDEX outcomes_connector ON outcomes (connector, id);

CREATE TABLE connector_state (
  connector text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (connector, key)
);

CREATE TABLE budget_ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  scope text NOT NULL,
  count integer NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX budget_scope ON budget_ledger (scope, at);

CREATE TABLE held (
  id text COLLATE "C" PRIMARY KEY,
  connector text NOT NULL,
  kind text NOT NULL,
  entity_id text NOT NULL,
  reason text NOT NULL,
  plan text NOT NULL,
  event_ids text NOT NULL DEFAULT '[]',
  status text NOT NULL,
  created_at bigint NOT NULL,
  decided_at bigint,
  decided_by text
);
CREATE INDEX held_status ON held (status, id);

CREATE TABLE runs (
  id text COLLATE "C" PRIMARY KEY,
  connector text,
  trigger text NOT NULL,
  dry_run integer NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint,
  status text NOT NULL,
  plan text,
  result text,
  errors text NOT NULL DEFAULT '[]'
);

CREATE TABLE leases (
  name text PRIMARY KEY,
  owner text NOT NULL,
  until bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'lanes: job priority, lane claim index, shared call budgets',
    // Each connector's worker lane claims by (connector, priority desc, run_at) among pending jobs;
    // the partial index serves that walk. Pending jobs of offboarded employees become destructive.
    // call_budget: grants of vendor calls every instance draws from (one key per portal/admin).
    sql: `
ALTER TABLE jobs ADD COLUMN priority integer NOT NULL DEFAULT 0;
CREATE INDEX jobs_lane ON jobs (connector, priority DESC, run_at, id) WHERE state = 'pending';
UPDATE jobs SET priority = 10 WHERE state = 'pending' AND kind = 'employee' AND EXISTS (
  SELECT 1 FROM entities e WHERE e.kind = 'employee' AND e.id = jobs.entity_id
    AND (lower(coalesce(e.data::jsonb ->> 'status', '')) = 'offboarded' OR e.event_type = 'employee.offboarded'));

CREATE TABLE call_budget (
  id bigserial PRIMARY KEY,
  key text NOT NULL,
  count integer NOT NULL,
  until bigint NOT NULL
);
CREATE INDEX call_budget_key ON call_budget (key, until);
`,
  },
  {
    version: 3,
    name: 'offboarding timelines; products by assigned employee',
    sql: `
CREATE TABLE offboardings (
  id text COLLATE "C" PRIMARY KEY,
  connector text NOT NULL,
  employee_id text COLLATE "C" NOT NULL,
  status text NOT NULL,
  opened_at bigint NOT NULL,
  closed_at bigint,
  updated_at bigint NOT NULL,
  timeline text NOT NULL
);
CREATE INDEX offboardings_employee ON offboardings (employee_id, id);
CREATE INDEX offboardings_status ON offboardings (status, id);
-- Partial: only product rows pay for the expression (employee webhooks, the hot path, do not).
CREATE INDEX entities_assigned_employee ON entities (((data::jsonb -> 'employee' ->> 'id'))) WHERE kind = 'product';
`,
  },
  {
    version: 4,
    name: 'reconciliation checkpoints and planned items',
    // A run keeps its plans here between planning and applying (memory stays flat in the size of
    // the directory) and its checkpoint in runs, so that a run that stopped resumes where it stopped.
    sql: `
ALTER TABLE runs ADD COLUMN checkpoint text;
CREATE TABLE run_items (
  seq bigserial PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL,
  connector text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  entity_id text COLLATE "C" NOT NULL,
  grp text COLLATE "C" NOT NULL,
  plan text NOT NULL,
  budgeted integer NOT NULL,
  UNIQUE (run_id, connector, kind, entity_id)
);
CREATE INDEX run_items_page ON run_items (run_id, connector, grp, seq);
`,
  },
  {
    version: 5,
    name: 'reconciliation key index and listing checkpoints',
    // The key index a run matches listed records against, and where each kind's listing got: in the
    // store rather than in memory, so memory is flat in the directory's size and a run that stopped
    // while listing resumes after the last page it kept.
    sql: `
CREATE TABLE run_keys (
  run_id text COLLATE "C" NOT NULL,
  connector text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  entity_id text COLLATE "C" NOT NULL,
  rank integer NOT NULL,
  PRIMARY KEY (run_id, connector, kind, key)
);
CREATE TABLE run_key_entities (
  run_id text COLLATE "C" NOT NULL,
  connector text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  entity_id text COLLATE "C" NOT NULL,
  matched_rank integer,
  PRIMARY KEY (run_id, connector, kind, entity_id)
);
CREATE TABLE run_lists (
  run_id text COLLATE "C" NOT NULL,
  connector text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  state text NOT NULL,
  PRIMARY KEY (run_id, connector, kind)
);
`,
  },
  {
    version: 6,
    name: 'projection behind the acknowledgement, its queue apart',
    // A webhook is acknowledged once its inbox row has committed; its projection and job fan-out
    // run behind, in slices, on whichever instance gets to them first. What a row still owes the
    // projection is a small row of `inbox_pending` (the settings of its acknowledgement: job
    // connectors, clock skew), deleted once projected, so the inbox row (with its body) is written
    // once and never rewritten. `rank` 0 (offboardings) is projected first; `seq` is the arrival
    // order (numbers drawn in each acknowledgement's arrival order). The inbox table is untouched.
    sql: `
CREATE SEQUENCE inbox_seq;
CREATE TABLE inbox_pending (
  rank smallint NOT NULL,
  seq bigint NOT NULL,
  id text COLLATE "C" NOT NULL,
  received_at bigint NOT NULL,
  settings jsonb NOT NULL,
  PRIMARY KEY (rank, seq)
);
`,
  },
  {
    version: 7,
    name: 'the next due job of a lane found without reading its backlog',
    // After every claim a lane asks when its next job is due: the earliest pending run_at not held
    // back by a running job of the same entity. As min() over an anti-join that read every pending
    // row of the lane (a backlog of 40,000 jobs read whole after each claim); walked in run_at
    // order on this index, it stops at the first job that is not held back.
    sql: `
CREATE INDEX jobs_lane_due ON jobs (connector, run_at) WHERE state = 'pending';
`,
  },
];

/** The version the code expects the schema to be at. */
export const POSTGRES_LATEST_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;
