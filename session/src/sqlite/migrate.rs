//! The SQLite schema's migrations, applied in order at start-up and counted
//! in the database's `user_version`.
//!
//! Written here rather than taken from a migration crate: the list is three
//! embedded files, and the one thing a crate would not do for us is adopt
//! databases created before Keyhole moved from sqlx to rusqlite, whose
//! applied migrations sqlx recorded in its `_sqlx_migrations` table.

use rusqlite::{Connection, OptionalExtension};

/// Every migration, by the version it brings the database to.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_sessions.sql")),
    (2, include_str!("../../migrations/0002_kv.sql")),
    (3, include_str!("../../migrations/0003_pending_in_kv.sql")),
];

/// Brings the database up to the newest schema, each step in its own
/// transaction. A database from a newer Keyhole is refused, not guessed at.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let e = |e: rusqlite::Error| e.to_string();
    let stored: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(e)?;
    let version = match stored {
        0 => applied_by_sqlx(conn).map_err(e)?,
        stored => stored,
    };
    let newest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if version > newest {
        return Err(format!(
            "the database is at schema version {version}, newer than this keyhole knows ({newest})"
        ));
    }
    for (to, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > version) {
        let tx = conn.transaction().map_err(e)?;
        tx.execute_batch(sql)
            .and_then(|()| tx.pragma_update(None, "user_version", to))
            .and_then(|()| tx.commit())
            .map_err(|err| format!("migration {to}: {err}"))?;
    }
    if stored == newest {
        return Ok(());
    }
    // Also records a schema adopted from sqlx, which ran no step above.
    conn.pragma_update(None, "user_version", newest).map_err(e)
}

/// The last migration sqlx applied to this database, or 0 when sqlx never
/// ran here.
fn applied_by_sqlx(conn: &Connection) -> rusqlite::Result<i64> {
    let known: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if known.is_none() {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        [],
        |row| row.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_new_database_gets_every_step_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), 3);
        assert_eq!(tables(&conn), ["connections", "kv", "locks", "sessions"]);
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), 3);
    }

    /// A database sqlx migrated to step 2 keeps its rows and gets step 3
    /// only (step 1 again would fail: its tables exist).
    #[test]
    fn a_database_migrated_by_sqlx_is_adopted() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute_batch(MIGRATIONS[1].1).unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                 installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                 checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, 'sessions', CURRENT_TIMESTAMP, TRUE, x'00', 1);
             INSERT INTO _sqlx_migrations VALUES (2, 'kv', CURRENT_TIMESTAMP, TRUE, x'00', 1);
             INSERT INTO sessions VALUES ('sid', 'sealed', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), 3);
        assert!(!tables(&conn).contains(&"pending_logins".to_owned()));
        let kept: String = conn
            .query_row("SELECT meta FROM sessions WHERE sid = 'sid'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(kept, "sealed");
    }

    /// A database sqlx took to the newest step runs nothing and is marked
    /// as at that step, so the next start need not ask sqlx's table again.
    #[test]
    fn a_database_sqlx_migrated_to_the_end_is_recorded_as_such() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (_, sql) in MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN NOT NULL);
             INSERT INTO _sqlx_migrations VALUES (1, TRUE), (2, TRUE), (3, TRUE);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn), 3);
    }

    #[test]
    fn a_database_from_a_newer_keyhole_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 9).unwrap();
        let refused = migrate(&mut conn).unwrap_err();
        assert!(refused.contains("schema version 9"), "{refused}");
    }
}
