//! The history database itself: opening it (WAL, a busy timeout, migrations; a file that is
//! not an mxknock history is moved aside, never overwritten), recording finished checks in one
//! transaction per batch, and the queries: the freshest reusable result of an address, the
//! past checks of an address or a domain, a stored transcript, a domain's facts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::schema::{APPLICATION_ID, MIGRATIONS, current_version};
use crate::engine::judge::verdict::{Reason, Report, Verdict};

/// How long a statement waits for another process's write to finish before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A history problem, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The database could not be opened or read.
    #[error("history {path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A newer mxknock wrote it.
    #[error(
        "history {path}: written by a newer mxknock (schema {found}, this one knows {known}); use --db OTHER or --no-history"
    )]
    Newer {
        path: PathBuf,
        found: i32,
        known: i32,
    },
    /// The folder could not be made, or a bad file moved aside.
    #[error("history {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the writer stores.
#[derive(Clone, Debug)]
pub enum Write {
    /// A finished check.
    Check(Box<Record>),
    /// A greylisting re-check of `address` is due at `due_at_ms` (ms since the epoch).
    Pending {
        address: String,
        due_at_ms: i64,
        tries: u32,
    },
}

/// One finished check, ready to store.
#[derive(Clone, Debug)]
pub struct Record {
    /// The report (its transcript, if any, is stored apart).
    pub report: Report,
    /// The conversation in its text form, capped ([`crate::engine::tap::CappedTranscript`]).
    pub transcript: Option<String>,
    /// The sender setup the check used.
    pub sender: SenderSetup,
    /// When it finished, in milliseconds since the Unix epoch.
    pub checked_at_ms: i64,
}

/// Who we were when we asked: what servers judge us by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SenderSetup {
    /// The EHLO name.
    pub helo: String,
    /// The MAIL FROM address (empty: the null sender).
    pub mail_from: String,
    /// How we reached the servers: `direct`, `bind 192.0.2.7`, `proxy socks5://...`, `lab`.
    pub route: String,
    /// The checks asked each domain's own MX hosts (not a `--server`), so what they found
    /// (catch-all, refused us) is a fact of the domain.
    pub asked_mx_hosts: bool,
}

/// A past check as stored.
#[derive(Clone, Debug)]
pub struct StoredCheck {
    /// Its row id (for `--transcript`).
    pub id: i64,
    /// The report as it was.
    pub report: Report,
    /// When it finished (ms since the epoch).
    pub checked_at_ms: i64,
    /// Whether its transcript was kept.
    pub has_transcript: bool,
    /// The sender setup it used.
    pub sender: SenderSetup,
}

/// What the history knows of a domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainFacts {
    /// The MX hosts last seen, as JSON, and when.
    pub mx: Option<(String, i64)>,
    /// Whether it accepted a random address, and when that was found.
    pub catch_all: Option<(bool, i64)>,
    /// The last "refused us" detail, and when.
    pub refused_us: Option<(String, i64)>,
}

/// The history database, open.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

/// An opened history, and where a file that was not one went.
pub struct Opened {
    /// The database.
    pub history: History,
    /// A file found at the path that was not an mxknock history (not SQLite, damaged, or
    /// another program's database), moved here before a new one was made.
    pub moved_aside: Option<(PathBuf, String)>,
}

/// Why an existing file is not taken as a history.
enum Refusal {
    /// Not ours: move it aside (why).
    NotOurs(String),
    /// A real error: report it.
    Failed(HistoryError),
}

impl History {
    /// `history.sqlite` in the platform data directory (Linux: `~/.local/share/mxknock/`).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "mxknock")
            .map(|d| d.data_dir().join("history.sqlite"))
    }

    /// Opens (or creates) the history at `path`. A file there that is not an mxknock history
    /// is renamed to `PATH.unreadable-UNIXTIME` (with its -wal and -shm files) and a new one
    /// made; the caller tells the user.
    pub fn open(path: &Path) -> Result<Opened, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        match Self::open_waiting(path) {
            Ok(history) => Ok(Opened {
                history,
                moved_aside: None,
            }),
            Err(Refusal::Failed(e)) => Err(e),
            Err(Refusal::NotOurs(why)) => {
                let aside = move_aside(path)?;
                let history = Self::open_checked(path).map_err(|refusal| match refusal {
                    Refusal::Failed(e) => e,
                    Refusal::NotOurs(why) => HistoryError::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::other(why),
                    },
                })?;
                Ok(Opened {
                    history,
                    moved_aside: Some((aside, why)),
                })
            }
        }
    }

    /// [`Self::open_checked`], tried again while another process holds the file in a way
    /// SQLite's busy timeout does not wait for (switching a new file to WAL, recovering a
    /// WAL another process left): "database is locked" is never the user's to see at start.
    fn open_waiting(path: &Path) -> Result<History, Refusal> {
        let started = std::time::Instant::now();
        loop {
            match Self::open_checked(path) {
                Err(Refusal::Failed(HistoryError::Sql { source, .. }))
                    if is_busy(&source) && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                other => return other,
            }
        }
    }

    fn open_checked(path: &Path) -> Result<History, Refusal> {
        let sql = |source| {
            Refusal::Failed(HistoryError::Sql {
                path: path.to_path_buf(),
                source,
            })
        };
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let header: Result<(i32, i64), rusqlite::Error> = conn.query_row(
            "SELECT (SELECT application_id FROM pragma_application_id), \
             (SELECT count(*) FROM sqlite_master)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        );
        let (application_id, objects) = match header {
            Ok(found) => found,
            Err(e) if is_not_a_database(&e) => {
                return Err(Refusal::NotOurs(format!("not an SQLite database ({e})")));
            }
            Err(e) => return Err(sql(e)),
        };
        if objects > 0 && application_id != APPLICATION_ID {
            return Err(Refusal::NotOurs(
                "an SQLite database of another program".into(),
            ));
        }
        let mut history = History {
            conn,
            path: path.to_path_buf(),
        };
        history.prepare().map_err(|e| match e {
            HistoryError::Sql { source, .. } if is_not_a_database(&source) => {
                Refusal::NotOurs(format!("damaged ({source})"))
            }
            other => Refusal::Failed(other),
        })?;
        // A full disk, on demand: the tests' way to make every write past this size fail as
        // SQLITE_FULL (`MXKNOCK_HISTORY_MAX_PAGES`, pages of 4 KiB; not for users).
        if let Some(pages) = std::env::var("MXKNOCK_HISTORY_MAX_PAGES")
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
        {
            history
                .conn
                .pragma_update(None, "max_page_count", pages)
                .map_err(sql)?;
        }
        Ok(history)
    }

    /// WAL, then the migrations this file lacks.
    fn prepare(&mut self) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        // Reads through a memory map and a larger page cache: a list answered from the
        // history is a lookup per address, which otherwise costs a read system call per page.
        self.conn
            .pragma_update(None, "mmap_size", 256 * 1024 * 1024)
            .map_err(sql)?;
        self.conn
            .pragma_update(None, "cache_size", -32 * 1024)
            .map_err(sql)?;
        // IMMEDIATE: two processes opening a new file at once migrate it one after the other,
        // the second finding the work done.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let found: i32 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sql)?;
        let known = current_version();
        if found > known {
            return Err(HistoryError::Newer {
                path: self.path.clone(),
                found,
                known,
            });
        }
        for migration in MIGRATIONS.iter().skip(found as usize) {
            tx.execute_batch(migration).map_err(sql)?;
        }
        if found < known {
            tx.pragma_update(None, "user_version", known).map_err(sql)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(())
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    /// Stores `writes` in one transaction: the checks (with their domains' facts; a finished
    /// check ends its address's pending re-check) and the pending greylisting re-checks.
    pub fn write(&mut self, writes: &[Write]) -> Result<(), HistoryError> {
        let records: Vec<&Record> = writes
            .iter()
            .filter_map(|w| match w {
                Write::Check(record) => Some(&**record),
                Write::Pending { .. } => None,
            })
            .collect();
        self.insert_all(&records)?;
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut pending = tx
                .prepare_cached(
                    "INSERT INTO pending (normalized, address, due_at, tries) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (normalized) DO UPDATE SET address = excluded.address, \
                     due_at = excluded.due_at, tries = excluded.tries",
                )
                .map_err(sql)?;
            let mut done = tx
                .prepare_cached("DELETE FROM pending WHERE normalized = ?1")
                .map_err(sql)?;
            for write in writes {
                match write {
                    Write::Pending {
                        address,
                        due_at_ms,
                        tries,
                    } => {
                        pending
                            .execute(params![address_key(address), address, due_at_ms, tries])
                            .map_err(sql)?;
                    }
                    Write::Check(record) => {
                        done.execute([address_key(&record.report.address)])
                            .map_err(sql)?;
                    }
                }
            }
        }
        tx.commit().map_err(sql)
    }

    /// The greylisting re-checks earlier runs left pending that are not yet due: when each
    /// is due (ms since the epoch), by address key.
    pub fn pending_rechecks(
        &self,
        now_ms: i64,
    ) -> Result<std::collections::HashMap<String, i64>, HistoryError> {
        let mut query = self
            .conn
            .prepare("SELECT normalized, due_at FROM pending WHERE due_at > ?1")
            .map_err(|e| self.sql(e))?;
        let rows = query
            .query_map([now_ms], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Stores `records` in one transaction, with their domains' facts.
    pub fn insert(&mut self, records: &[Record]) -> Result<(), HistoryError> {
        self.insert_all(&records.iter().collect::<Vec<_>>())
    }

    fn insert_all(&mut self, records: &[&Record]) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO checks (address, normalized, domain, verdict, reason, detail, \
                     flags, provider, mx, smtp_host, smtp_ip, smtp_code, enhanced_code, \
                     smtp_message, tls, catch_all, score, duration_ms, helo, mail_from, route, \
                     checked_at, report, has_transcript) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                     ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                )
                .map_err(sql)?;
            let mut transcript = tx
                .prepare_cached("INSERT INTO transcripts (check_id, text) VALUES (?1, ?2)")
                .map_err(sql)?;
            let mut domain = tx
                .prepare_cached(
                    "INSERT INTO domains (domain, mx, mx_at, catch_all, catch_all_at, refused_us, \
                     refused_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (domain) DO UPDATE SET \
                     mx = coalesce(excluded.mx, mx), mx_at = coalesce(excluded.mx_at, mx_at), \
                     catch_all = coalesce(excluded.catch_all, catch_all), \
                     catch_all_at = coalesce(excluded.catch_all_at, catch_all_at), \
                     refused_us = coalesce(excluded.refused_us, refused_us), \
                     refused_at = coalesce(excluded.refused_at, refused_at)",
                )
                .map_err(sql)?;
            let mut facts: std::collections::HashMap<String, DomainFacts> =
                std::collections::HashMap::new();
            for record in records {
                let report = &record.report;
                let key = key_of(report);
                let domain_name = domain_of(&key);
                let mut stored = report.clone();
                stored.transcript = None;
                stored.from_history = false;
                let json = serde_json::to_string(&stored).expect("a report always serialises");
                let mx = (!report.mx.is_empty())
                    .then(|| serde_json::to_string(&report.mx).expect("MX serialises"));
                let smtp = report.smtp.as_ref();
                let tls = smtp
                    .and_then(|s| s.tls.as_ref())
                    .map(|t| serde_json::to_string(t).expect("TLS facts serialise"));
                insert
                    .execute(params![
                        report.address,
                        key,
                        &domain_name,
                        report.verdict.as_str(),
                        report.reason.as_str(),
                        report.detail,
                        report.flags.names().join(","),
                        report.provider.as_ref().map(|p| p.id.as_str()),
                        &mx,
                        smtp.map(|s| s.host.as_str()),
                        smtp.map(|s| s.ip.as_str()),
                        smtp.and_then(|s| s.code),
                        smtp.and_then(|s| s.enhanced_code).map(|c| c.to_string()),
                        smtp.and_then(|s| s.message.as_deref()),
                        tls,
                        report.catch_all,
                        report.score,
                        report.duration_ms as i64,
                        record.sender.helo,
                        record.sender.mail_from,
                        record.sender.route,
                        record.checked_at_ms,
                        json,
                        record.transcript.is_some(),
                    ])
                    .map_err(sql)?;
                if let Some(text) = &record.transcript {
                    transcript
                        .execute(params![tx.last_insert_rowid(), text])
                        .map_err(sql)?;
                }
                let at = record.checked_at_ms;
                let refused = (report.reason == Reason::Blocked).then(|| report.detail.clone());
                let facts_hold = record.sender.asked_mx_hosts;
                if facts_hold && (mx.is_some() || report.catch_all.is_some() || refused.is_some()) {
                    let fact = facts.entry(domain_name).or_default();
                    fact.mx = mx.map(|m| (m, at)).or(fact.mx.take());
                    fact.catch_all = report.catch_all.map(|c| (c, at)).or(fact.catch_all);
                    fact.refused_us = refused.map(|r| (r, at)).or(fact.refused_us.take());
                }
            }
            // One upsert per domain per batch, with its newest facts.
            for (name, fact) in facts {
                domain
                    .execute(params![
                        name,
                        fact.mx.as_ref().map(|(m, _)| m),
                        fact.mx.as_ref().map(|(_, at)| at),
                        fact.catch_all.map(|(c, _)| c),
                        fact.catch_all.map(|(_, at)| at),
                        fact.refused_us.as_ref().map(|(r, _)| r),
                        fact.refused_us.as_ref().map(|(_, at)| at),
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// The newest result of `address` checked at or after `since_ms` that may stand in for a
    /// new check: never an unknown one (greylisted, blocked, timeout ...), which says nothing
    /// about the mailbox.
    pub fn fresh(&self, address: &str, since_ms: i64) -> Result<Option<StoredCheck>, HistoryError> {
        self.fresh_raw(address, since_ms)?
            .map(|raw| raw.decode().map_err(|e| self.sql(e)))
            .transpose()
    }

    /// [`History::fresh`] with the report still JSON, so that a caller holding a lock on this
    /// connection can parse it after letting go.
    pub fn fresh_raw(
        &self,
        address: &str,
        since_ms: i64,
    ) -> Result<Option<RawCheck>, HistoryError> {
        let mut query = self
            .conn
            .prepare_cached(
                "SELECT id, report, checked_at, has_transcript, helo, mail_from, route \
                 FROM checks WHERE normalized = ?1 AND checked_at >= ?2 AND verdict != ?3 \
                 ORDER BY checked_at DESC, id DESC LIMIT 1",
            )
            .map_err(|e| self.sql(e))?;
        query
            .query_row(
                params![address_key(address), since_ms, Verdict::Unknown.as_str()],
                raw_check,
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Ends the read transaction `open` says is under way, and begins a new one (deferred: it
    /// takes its snapshot at the next read). Errors are logged: lookups then run without one.
    pub fn renew_read_snapshot(&self, open: bool) {
        let sql = if open { "COMMIT; BEGIN" } else { "BEGIN" };
        if let Err(e) = self.conn.execute_batch(sql) {
            tracing::debug!("history read snapshot: {e}");
        }
    }

    /// The past checks of an address, or of every address at a domain (`@domain`), newest
    /// first, at most `limit`.
    pub fn past(&self, target: &str, limit: usize) -> Result<Vec<StoredCheck>, HistoryError> {
        let (column, key) = match target.strip_prefix('@') {
            Some(domain) => ("domain", domain_key(domain)),
            None => ("normalized", address_key(target)),
        };
        let mut query = self
            .conn
            .prepare_cached(&format!(
                "SELECT id, report, checked_at, has_transcript, helo, mail_from, route \
                 FROM checks WHERE {column} = ?1 ORDER BY checked_at DESC, id DESC LIMIT ?2"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = query
            .query_map(params![key, limit as i64], stored_check)
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.sql(e))
    }

    /// The stored transcript of check `id`, if it was kept.
    pub fn transcript(&self, id: i64) -> Result<Option<String>, HistoryError> {
        self.conn
            .query_row(
                "SELECT text FROM transcripts WHERE check_id = ?1",
                [id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.sql(e))
    }

    /// What is known of `domain`.
    pub fn domain(&self, domain: &str) -> Result<DomainFacts, HistoryError> {
        self.conn
            .query_row(
                "SELECT mx, mx_at, catch_all, catch_all_at, refused_us, refused_at \
                 FROM domains WHERE domain = ?1",
                [domain_key(domain)],
                |row| {
                    Ok(DomainFacts {
                        mx: pair(row.get(0)?, row.get(1)?),
                        catch_all: pair(row.get(2)?, row.get(3)?),
                        refused_us: pair(row.get(4)?, row.get(5)?),
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.sql(e))
    }

    /// Stores the records not already there (the same address checked at the same moment):
    /// importing a file twice adds nothing the second time. Returns how many were new.
    pub fn insert_new(&mut self, records: &[Record]) -> Result<usize, HistoryError> {
        let mut new = Vec::with_capacity(records.len());
        {
            let mut exists = self
                .conn
                .prepare_cached("SELECT 1 FROM checks WHERE normalized = ?1 AND checked_at = ?2")
                .map_err(|e| self.sql(e))?;
            for record in records {
                let key = key_of(&record.report);
                let there = exists
                    .exists(params![key, record.checked_at_ms])
                    .map_err(|e| self.sql(e))?;
                if !there {
                    new.push(record.clone());
                }
            }
        }
        self.insert(&new)?;
        Ok(new.len())
    }

    /// How many checks are stored.
    pub fn count(&self) -> Result<u64, HistoryError> {
        self.conn
            .query_row("SELECT count(*) FROM checks", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.sql(e))
    }
}

/// Both parts of a fact, or none.
fn pair<T>(value: Option<T>, at: Option<i64>) -> Option<(T, i64)> {
    value.zip(at)
}

/// A stored check with its report still JSON.
pub struct RawCheck {
    id: i64,
    json: String,
    checked_at_ms: i64,
    has_transcript: bool,
    sender: SenderSetup,
}

impl RawCheck {
    /// The check, its report parsed.
    pub fn decode(self) -> rusqlite::Result<StoredCheck> {
        let report: Report = serde_json::from_str(&self.json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?;
        Ok(StoredCheck {
            id: self.id,
            report,
            checked_at_ms: self.checked_at_ms,
            has_transcript: self.has_transcript,
            sender: self.sender,
        })
    }
}

/// A row of `SELECT id, report, checked_at, has_transcript, helo, mail_from, route`.
fn raw_check(row: &rusqlite::Row) -> rusqlite::Result<RawCheck> {
    Ok(RawCheck {
        id: row.get(0)?,
        json: row.get(1)?,
        checked_at_ms: row.get(2)?,
        has_transcript: row.get(3)?,
        sender: SenderSetup {
            helo: row.get(4)?,
            mail_from: row.get(5)?,
            asked_mx_hosts: !row.get::<_, String>(6)?.contains("--server"),
            route: row.get(6)?,
        },
    })
}

/// A row of `SELECT id, report, checked_at, has_transcript, helo, mail_from, route`, parsed.
fn stored_check(row: &rusqlite::Row) -> rusqlite::Result<StoredCheck> {
    raw_check(row)?.decode()
}

/// The key a report is stored under: its normalised address, else the address as given.
fn key_of(report: &Report) -> String {
    report
        .normalized
        .as_deref()
        .map(address_key)
        .unwrap_or_else(|| address_key(&report.address))
}

/// The lookup key of an address: [`crate::input::address_key`] (what makes two list rows one
/// address) with the angle brackets of a normalised form taken off.
pub fn address_key(address: &str) -> String {
    let bare = address.trim().trim_start_matches('<').trim_end_matches('>');
    crate::input::address_key(bare)
}

/// What to look up for `target`: `@domain` as it is, an address in its normalised form when
/// it parses (so `jörg@bücher.test` finds the check stored under its A-label domain).
pub fn lookup_key(target: &str) -> String {
    if target.starts_with('@') {
        return target.to_string();
    }
    match crate::address::Address::parse(target) {
        Ok(address) => address.smtp_path(),
        Err(_) => target.to_string(),
    }
}

/// The domain part of a key (after the last `@`).
fn domain_of(key: &str) -> String {
    key.rsplit_once('@')
        .map(|(_, domain)| domain.to_string())
        .unwrap_or_default()
}

/// A domain as stored: lowercase, without a trailing dot.
fn domain_key(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_lowercase()
}

/// Whether an error says another connection holds the database.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Whether an error says the file is not a (healthy) SQLite database.
fn is_not_a_database(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Renames `path` (and its -wal / -shm files) to `PATH.unreadable-UNIXTIME`.
fn move_aside(path: &Path) -> Result<PathBuf, HistoryError> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let aside = PathBuf::from(format!("{}.unreadable-{stamp}", path.display()));
    std::fs::rename(path, &aside).map_err(|source| HistoryError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
        }
    }
    Ok(aside)
}
