//! The history database's schema, versioned with `PRAGMA user_version`: each migration takes
//! the database from the version before it to its own, in one transaction, and a database of
//! a newer version than this build knows is refused rather than changed. `PRAGMA
//! application_id` marks the file as mxknock's, so a foreign SQLite file is told apart.

/// `PRAGMA application_id` of an mxknock history ("mxkn").
pub const APPLICATION_ID: i32 = 0x6d78_6b6e;

/// The migrations, in order: entry `i` takes the database from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: checks (and their transcripts), domains, and pending greylisting re-checks (written
    // when one is scheduled, deleted when the address finishes).
    "
    CREATE TABLE checks (
        id              INTEGER PRIMARY KEY,
        address         TEXT NOT NULL,
        normalized      TEXT NOT NULL,
        domain          TEXT NOT NULL,
        verdict         TEXT NOT NULL,
        reason          TEXT NOT NULL,
        detail          TEXT NOT NULL,
        flags           TEXT NOT NULL,
        provider        TEXT,
        mx              TEXT,
        smtp_host       TEXT,
        smtp_ip         TEXT,
        smtp_code       INTEGER,
        enhanced_code   TEXT,
        smtp_message    TEXT,
        tls             TEXT,
        catch_all       INTEGER,
        score           INTEGER NOT NULL,
        duration_ms     INTEGER NOT NULL,
        helo            TEXT NOT NULL,
        mail_from       TEXT NOT NULL,
        route           TEXT NOT NULL,
        checked_at      INTEGER NOT NULL,
        report          TEXT NOT NULL,
        has_transcript  INTEGER NOT NULL DEFAULT 0
    );
    -- Apart, so that a check's row stays small: a lookup reads the row, not its conversation.
    CREATE TABLE transcripts (
        check_id        INTEGER PRIMARY KEY REFERENCES checks (id),
        text            TEXT NOT NULL
    );
    CREATE INDEX checks_by_address ON checks (normalized, checked_at);
    CREATE INDEX checks_by_domain ON checks (domain, checked_at);
    CREATE TABLE domains (
        domain          TEXT PRIMARY KEY,
        mx              TEXT,
        mx_at           INTEGER,
        catch_all       INTEGER,
        catch_all_at    INTEGER,
        refused_us      TEXT,
        refused_at      INTEGER
    );
    CREATE TABLE pending (
        normalized      TEXT PRIMARY KEY,
        address         TEXT NOT NULL,
        due_at          INTEGER NOT NULL,
        tries           INTEGER NOT NULL
    );
    ",
];

/// The schema version this build writes.
pub fn current_version() -> i32 {
    MIGRATIONS.len() as i32
}
