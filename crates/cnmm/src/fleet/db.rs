//! The fleet database: SQLite (bundled), its schema versioned by migrations
//! (`PRAGMA user_version`), documented in `docs/fleet.md`. Each assessment is written in
//! one transaction, so a killed run leaves the database consistent and the next run
//! resumes. Nothing machine-specific or time-dependent is stored: two runs over the same
//! repositories give the same rows, sharded or not.

use crate::UserError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// Each migration takes the schema from its index to the next version.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    label TEXT UNIQUE,
    cnmm_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete'))
);
CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    source_path TEXT NOT NULL
);
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    commit_id TEXT NOT NULL,
    policy TEXT NOT NULL,
    overall INTEGER NOT NULL,
    report TEXT NOT NULL,
    UNIQUE (repository_id, commit_id, policy)
);
CREATE TABLE section_levels (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    section TEXT NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, section)
);
CREATE TABLE criteria (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    criterion TEXT NOT NULL,
    section TEXT NOT NULL,
    level INTEGER NOT NULL,
    status TEXT NOT NULL,
    confidence TEXT NOT NULL,
    next_level_missing INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (assessment_id, criterion)
);
CREATE TABLE run_repositories (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    repository_id INTEGER NOT NULL REFERENCES repositories(id),
    assessment_id INTEGER REFERENCES assessments(id),
    status TEXT NOT NULL CHECK (status IN ('scanned', 'unchanged', 'error')),
    error TEXT,
    PRIMARY KEY (run_id, repository_id)
);
CREATE INDEX run_repositories_by_repository ON run_repositories (repository_id, run_id);
"#];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub struct Db {
    pub conn: Connection,
}

fn sql(e: rusqlite::Error) -> UserError {
    UserError(format!("the fleet database: {e}"))
}

/// What a repository's entry of a run says.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Outcome {
    pub identity: String,
    pub name: String,
    pub source_path: String,
    /// `scanned`, `unchanged` (assessed before at the same commit and policy) or `error`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The JSON report, for `scanned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<cnmm_model::Assessment>,
}

impl Db {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Db, UserError> {
        let conn = Connection::open(path).map_err(|e| {
            UserError(format!(
                "{}: cannot open the fleet database: {e}",
                path.display()
            ))
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(sql)?;
        let mut db = Db { conn };
        db.migrate(path)?;
        Ok(db)
    }

    fn migrate(&mut self, path: &Path) -> Result<(), UserError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| {
                UserError(format!(
                    "{}: not a cnmm fleet database (or not SQLite): {e}",
                    path.display()
                ))
            })?;
        if version > SCHEMA_VERSION {
            return Err(UserError(format!(
                "{}: written by a newer cnmm (schema {version}, this one knows {SCHEMA_VERSION}); use that version or a new --db",
                path.display()
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(sql)?;
            tx.execute_batch(m).map_err(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(sql)?;
            tx.commit().map_err(sql)?;
        }
        Ok(())
    }

    /// The run labelled `label` (reused: ingesting the same shards again adds nothing),
    /// or a new one.
    pub fn run(&mut self, label: Option<&str>) -> Result<i64, UserError> {
        if let Some(l) = label {
            let found: Option<i64> = self
                .conn
                .query_row("SELECT id FROM runs WHERE label = ?1", [l], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            if let Some(id) = found {
                return Ok(id);
            }
        }
        self.conn
            .execute(
                "INSERT INTO runs (label, cnmm_version, status) VALUES (?1, ?2, 'running')",
                params![label, env!("CARGO_PKG_VERSION")],
            )
            .map_err(sql)?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(&mut self, run: i64) -> Result<(), UserError> {
        self.conn
            .execute("UPDATE runs SET status = 'complete' WHERE id = ?1", [run])
            .map_err(sql)?;
        Ok(())
    }

    /// The commit and policy of each repository's latest assessment, by identity.
    pub fn latest_assessed(
        &self,
    ) -> Result<std::collections::HashMap<String, Vec<(String, String)>>, UserError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT r.identity, a.commit_id, a.policy FROM assessments a JOIN repositories r ON r.id = a.repository_id",
            )
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))
            .map_err(sql)?;
        let mut out: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
        for row in rows {
            let (id, c, p) = row.map_err(sql)?;
            out.entry(id).or_default().push((c, p));
        }
        Ok(out)
    }

    /// Writes one repository's outcome into `run`, in one transaction.
    pub fn record(&mut self, run: i64, o: &Outcome) -> Result<(), UserError> {
        self.record_all(run, std::slice::from_ref(o))
    }

    /// Writes outcomes into `run` in one transaction: all of them or none (a kill
    /// loses the batch, and the next run redoes it).
    pub fn record_all(&mut self, run: i64, outcomes: &[Outcome]) -> Result<(), UserError> {
        let tx = self.conn.transaction().map_err(sql)?;
        for o in outcomes {
            record_in(&tx, run, o)?;
        }
        tx.commit().map_err(sql)
    }
}

fn record_in(tx: &rusqlite::Transaction, run: i64, o: &Outcome) -> Result<(), UserError> {
    {
        tx.execute(
            "INSERT INTO repositories (identity, name, source_path) VALUES (?1, ?2, ?3)
             ON CONFLICT (identity) DO UPDATE SET name = excluded.name, source_path = excluded.source_path",
            params![o.identity, o.name, o.source_path],
        )
        .map_err(sql)?;
        let repo_id: i64 = tx
            .query_row(
                "SELECT id FROM repositories WHERE identity = ?1",
                [&o.identity],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let mut assessment_id: Option<i64> = None;
        if let (Some(commit), Some(policy)) = (&o.commit, &o.policy) {
            assessment_id = tx
                .query_row(
                    "SELECT id FROM assessments WHERE repository_id = ?1 AND commit_id = ?2 AND policy = ?3",
                    params![repo_id, commit, policy],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql)?;
            if let (None, Some(report)) = (assessment_id, &o.report) {
                let json = cnmm_report::json::render(report);
                tx.execute(
                    "INSERT INTO assessments (repository_id, commit_id, policy, overall, report) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![repo_id, commit, policy, report.summary.overall, json],
                )
                .map_err(sql)?;
                let aid = tx.last_insert_rowid();
                for s in &report.sections {
                    tx.execute(
                        "INSERT INTO section_levels (assessment_id, section, level) VALUES (?1, ?2, ?3)",
                        params![aid, s.id.as_str(), s.level],
                    )
                    .map_err(sql)?;
                    for c in &s.criteria {
                        let evidence =
                            serde_json::to_string(&c.evidence).unwrap_or_else(|_| "[]".into());
                        tx.execute(
                            "INSERT INTO criteria (assessment_id, criterion, section, level, status, confidence, next_level_missing, evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            params![
                                aid,
                                c.id,
                                s.id.as_str(),
                                c.level,
                                c.status.as_str(),
                                c.confidence.as_str(),
                                s.next_level_missing.contains(&c.id),
                                evidence
                            ],
                        )
                        .map_err(sql)?;
                    }
                }
                assessment_id = Some(aid);
            }
        }
        let status = match (&o.status[..], assessment_id) {
            ("error", _) | (_, None) => "error",
            (s, Some(_)) => s,
        };
        let error = match (status, &o.error) {
            ("error", None) => Some("no assessment was recorded".to_string()),
            (_, e) => e.clone(),
        };
        tx.execute(
            "INSERT INTO run_repositories (run_id, repository_id, assessment_id, status, error) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (run_id, repository_id) DO UPDATE SET assessment_id = excluded.assessment_id, status = excluded.status, error = excluded.error",
            params![run, repo_id, assessment_id, status, error],
        )
        .map_err(sql)?;
    }
    Ok(())
}

impl Db {
    /// Every row of every table as text, by natural keys (identity, commit, policy,
    /// criterion) instead of row ids: parallel workers write assessments in the order
    /// they finish, so ids differ between runs that hold the same results. What two
    /// databases must share to hold the same results (the sharded run's test).
    pub fn dump(&self) -> Result<String, UserError> {
        let queries = [
            "SELECT 'run', id, label, cnmm_version, status FROM runs ORDER BY id",
            "SELECT 'repository', identity, name, source_path FROM repositories ORDER BY identity",
            "SELECT 'assessment', r.identity, a.commit_id, a.policy, a.overall, a.report
               FROM assessments a JOIN repositories r ON r.id = a.repository_id
               ORDER BY r.identity, a.commit_id, a.policy",
            "SELECT 'level', r.identity, a.commit_id, a.policy, l.section, l.level
               FROM section_levels l JOIN assessments a ON a.id = l.assessment_id
               JOIN repositories r ON r.id = a.repository_id
               ORDER BY r.identity, a.commit_id, a.policy, l.section",
            "SELECT 'criterion', r.identity, a.commit_id, a.policy, c.criterion, c.section, c.level,
                    c.status, c.confidence, c.next_level_missing, c.evidence
               FROM criteria c JOIN assessments a ON a.id = c.assessment_id
               JOIN repositories r ON r.id = a.repository_id
               ORDER BY r.identity, a.commit_id, a.policy, c.criterion",
            "SELECT 'member', x.run_id, r.identity, a.commit_id, a.policy, x.status, x.error
               FROM run_repositories x JOIN repositories r ON r.id = x.repository_id
               LEFT JOIN assessments a ON a.id = x.assessment_id
               ORDER BY x.run_id, r.identity",
        ];
        let mut out = String::new();
        for q in queries {
            let mut st = self.conn.prepare(q).map_err(sql)?;
            let n = st.column_count();
            let mut rows = st.query([]).map_err(sql)?;
            while let Some(r) = rows.next().map_err(sql)? {
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i).map_err(sql)?;
                    out.push_str(&format!("{v:?}\t"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }
}
