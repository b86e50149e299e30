/**
 * Versioned SQLite migrations. Append only: never edit a released step, add the next one.
 * Times are epoch milliseconds; JSON is kept as text.
 */
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'inbox, projection, jobs, ledger, guardrails, runs',
    sql: `
CREATE TABLE inbox (
  id TEXT PRIMARY KEY,
  body_hash TEXT NOT NULL UNIQUE,
  type TEXT,
  company_id TEXT,
  growrk_ts TEXT,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  body TEXT NOT NULL,
  entity_keys TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX inbox_status ON inbox(status, id);
CREATE INDEX inbox_type ON inbox(type, id);

CREATE TABLE entities (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  ts INTEGER,
  field_ts TEXT NOT NULL DEFAULT '{}',
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  event_ids TEXT NOT NULL DEFAULT '[]',
  error_code TEXT,
  error_message TEXT,
  owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_one_pending ON jobs(connector, kind, entity_id) WHERE state = 'pending';
CREATE INDEX jobs_due ON jobs(state, run_at);
CREATE INDEX jobs_key ON jobs(connector, kind, entity_id, state);

CREATE TABLE outcomes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  result TEXT NOT NULL,
  summary TEXT NOT NULL,
  detail TEXT,
  error_code TEXT,
  error_message TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX outcomes_event ON outcomes(event_id);
CREATE INDEX outcomes_connector ON outcomes(connector, id);

CREATE TABLE connector_state (
  connector TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (connector, key)
) WITHOUT ROWID;

CREATE TABLE budget_ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  count INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX budget_scope ON budget_ledger(scope, at);

CREATE TABLE held (
  id TEXT PRIMARY KEY,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  plan TEXT NOT NULL,
  event_ids TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT
);
CREATE INDEX held_status ON held(status, id);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  connector TEXT,
  trigger TEXT NOT NULL,
  dry_run INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL,
  plan TEXT,
  result TEXT,
  errors TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'entities as a rowid table',
    // A WITHOUT ROWID table keeps rows in index-style pages, where a ~1 KB snapshot spills to an
    // overflow page on every write; as a rowid table it stays inline. Ingest: +35% events/s.
    sql: `
CREATE TABLE entities_v2 (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  ts INTEGER,
  field_ts TEXT NOT NULL DEFAULT '{}',
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
);
INSERT INTO entities_v2 (kind, id, data, ts, field_ts, event_id, event_type, updated_at)
  SELECT kind, id, data, ts, field_ts, event_id, event_type, updated_at FROM entities;
DROP TABLE entities;
ALTER TABLE entities_v2 RENAME TO entities;
`,
  },
  {
    version: 3,
    name: 'lanes: job priority, lane claim index, shared call budgets',
    // Each connector's worker lane claims by (connector, priority desc, run_at) among pending jobs;
    // the partial index serves that walk. Pending jobs of offboarded employees become destructive.
    sql: `
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_lane ON jobs(connector, priority DESC, run_at, id) WHERE state = 'pending';
UPDATE jobs SET priority = 10 WHERE state = 'pending' AND kind = 'employee' AND EXISTS (
  SELECT 1 FROM entities e WHERE e.kind = 'employee' AND e.id = jobs.entity_id
    AND (lower(coalesce(json_extract(e.data, '$.status'), '')) = 'offboarded' OR e.event_type = 'employee.offboarded'));

CREATE TABLE call_budget (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  count INTEGER NOT NULL,
  until INTEGER NOT NULL
);
CREATE INDEX call_budget_key ON call_budget(key, until);
`,
  },
  {
    version: 4,
    name: 'offboarding timelines; products by assigned employee',
    sql: `
CREATE TABLE offboardings (
  id TEXT PRIMARY KEY,
  connector TEXT NOT NULL,
  employee_id TEXT NOT NULL,
  status TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER,
  updated_at INTEGER NOT NULL,
  timeline TEXT NOT NULL
);
CREATE INDEX offboardings_employee ON offboardings (employee_id, id);
CREATE INDEX offboardings_status ON offboardings (status, id);
-- Partial: only product rows pay for the expression (employee webhooks, the hot path, do not).
CREATE INDEX entities_assigned_employee ON entities (json_extract(data, '$.employee.id')) WHERE kind = 'product';
`,
  },
  {
    version: 5,
    name: 'reconciliation checkpoints and planned items',
    // A run keeps its plans here between planning and applying (memory stays flat in the size of
    // the directory) and its checkpoint in runs, so that a run that stopped resumes where it stopped.
    sql: `
ALTER TABLE runs ADD COLUMN checkpoint TEXT;
CREATE TABLE run_items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  plan TEXT NOT NULL,
  budgeted INTEGER NOT NULL,
  UNIQUE (run_id, connector, kind, entity_id)
);
CREATE INDEX run_items_page ON run_items(run_id, connector, grp, seq);
`,
  },
  {
    version: 6,
    name: 'reconciliation key index and listing checkpoints',
    // The key index a run matches listed records against, and where each kind's listing got: in the
    // store rather than in memory, so memory is flat in the directory's size and a run that stopped
    // while listing resumes after the last page it kept.
    sql: `
CREATE TABLE run_keys (
  run_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  rank INTEGER NOT NULL,
  PRIMARY KEY (run_id, connector, kind, key)
) WITHOUT ROWID;
CREATE TABLE run_key_entities (
  run_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  matched_rank INTEGER,
  PRIMARY KEY (run_id, connector, kind, entity_id)
) WITHOUT ROWID;
CREATE TABLE run_lists (
  run_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (run_id, connector, kind)
);
`,
  },
  {
    version: 7,
    name: 'projection behind the acknowledgement',
    // A webhook is acknowledged once its inbox row is durable; its projection and job fan-out run
    // behind, in batches. `projection` holds what that needs (the job connectors and clock skew
    // of the acknowledgement) until the row is projected, then NULL; `urgent` rows (offboardings)
    // are projected first. Rows stored before this version were projected in their own commit.
    sql: `
ALTER TABLE inbox ADD COLUMN projection TEXT;
ALTER TABLE inbox ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inbox_unprojected ON inbox(urgent DESC) WHERE projection IS NOT NULL;
`,
  },
  {
    version: 8,
    name: 'inbox as an append-only log, its projection queue apart',
    // The inbox is rebuilt (its rows copied in order, once) for two costs that grew with it:
    // - Dedupe: a body is a duplicate of an earlier row with the same GroWrk timestamp and body
    //   hash. The same bodies as before (equal bytes have equal timestamps), but the unique index
    //   now grows at its right edge as time goes on, where a bare hash landed each new row at a
    //   random place in an index that outgrows the page cache.
    // - Projection: what a row still owes the projection (its settings; urgent rows first) is a
    //   small row of `inbox_pending`, deleted once projected, where it used to be a column of the
    //   inbox row, whose update rewrote the whole row with its body.
    // `seq` names the row for `inbox_pending` (an INTEGER PRIMARY KEY, which VACUUM keeps).
    sql: `
CREATE TABLE inbox_next (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  body_hash TEXT NOT NULL,
  type TEXT,
  company_id TEXT,
  growrk_ts TEXT,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  entity_keys TEXT NOT NULL DEFAULT '[]',
  body TEXT NOT NULL
);
INSERT INTO inbox_next (seq, id, body_hash, type, company_id, growrk_ts, received_at, status, error_code, error_message, entity_keys, body)
  SELECT rowid, id, body_hash, type, company_id, growrk_ts, received_at, status, error_code, error_message, entity_keys, body
  FROM inbox ORDER BY rowid;
CREATE TABLE inbox_pending (
  rank INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  settings TEXT NOT NULL,
  PRIMARY KEY (rank, seq)
) WITHOUT ROWID;
INSERT INTO inbox_pending (rank, seq, settings)
  SELECT 1 - urgent, rowid, projection FROM inbox WHERE projection IS NOT NULL;
DROP TABLE inbox;
ALTER TABLE inbox_next RENAME TO inbox;
CREATE UNIQUE INDEX inbox_dedupe ON inbox(coalesce(growrk_ts, ''), body_hash);
CREATE INDEX inbox_status ON inbox(status, id);
CREATE INDEX inbox_type ON inbox(type, id);
`,
  },
  {
    version: 9,
    name: 'the next due job of a lane found without reading its backlog',
    // After every claim a lane asks when its next job is due: the earliest pending run_at not held
    // back by a running job of the same entity. SQLite's min() walks an index in run_at order, but
    // jobs_due (state, run_at) holds every lane's jobs, so a lane behind another lane's backlog read
    // through all of it (the Google lane behind 40,000 HubSpot jobs); this index holds one lane's.
    sql: `
CREATE INDEX jobs_lane_due ON jobs(connector, run_at) WHERE state = 'pending';
`,
  },
];
