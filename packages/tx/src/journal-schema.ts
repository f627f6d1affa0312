/** The journal's SQLite schema (see journal.ts for what each table is for). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS transactions (
  txid TEXT PRIMARY KEY,
  guest_key TEXT NOT NULL,
  vmid INTEGER NOT NULL,
  node TEXT,
  actor TEXT,
  command TEXT NOT NULL,
  decision TEXT NOT NULL,
  rule_ids TEXT NOT NULL,
  reasons TEXT NOT NULL,
  state TEXT NOT NULL,
  snapshot_name TEXT NOT NULL,
  keep_snapshot INTEGER NOT NULL,
  snapshot_removed INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  signal TEXT,
  timed_out INTEGER,
  stdout_sha256 TEXT,
  stderr_sha256 TEXT,
  baseline TEXT,
  verify TEXT,
  timings TEXT NOT NULL DEFAULT '{}',
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_guest ON transactions (guest_key, created_at);
CREATE INDEX IF NOT EXISTS transactions_state ON transactions (state);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  txid TEXT NOT NULL,
  at INTEGER NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_txid ON events (txid, seq);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  txid TEXT NOT NULL,
  actor TEXT,
  guest_key TEXT NOT NULL,
  vmid INTEGER NOT NULL,
  node TEXT,
  command TEXT NOT NULL,
  decision TEXT NOT NULL,
  rule_ids TEXT NOT NULL,
  reason TEXT,
  outcome TEXT NOT NULL,
  exit_code INTEGER,
  stdout_sha256 TEXT,
  stderr_sha256 TEXT,
  timings TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_guest ON audit (guest_key, outcome, seq);
CREATE TABLE IF NOT EXISTS guest_locks (
  guest_key TEXT PRIMARY KEY,
  owner_pid INTEGER NOT NULL,
  owner_start TEXT NOT NULL,
  owner_token TEXT NOT NULL,
  txid TEXT,
  acquired_at INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

/** A transaction as the journal stores it. */
