//! The local D1 of a `wrangler dev` run, read (and, for seeding, written)
//! straight from its SQLite file, as an operator's `sqlite3` would.
//!
//! Why not `wrangler d1 execute --local`: it starts a second workerd on the
//! same file for every statement (about 1.5 s each), a second read-write
//! owner of a database that workerd expects to own alone (it sets no busy
//! handler). The file is in WAL mode: a read-only connection here never
//! takes the write lock, and a test's rare write holds it for a
//! millisecond, waiting (busy timeout) for the Worker's rather than failing.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Statement, TransactionBehavior};
use serde_json::{Map, Value};
use watcher_stack::d1::{database_file, open};

/// Rows of the local D1 in `persist_dir`; panics with the statement when
/// SQLite refuses it.
pub fn d1_query(persist_dir: &Path, sql: &str) -> Vec<Value> {
    d1_try(persist_dir, sql).unwrap_or_else(|why| panic!("d1 query failed: {sql}\n{why}"))
}

/// Like [`d1_query`], for a statement that may be refused: the rows of one
/// read-only statement; none for writes (any number of statements, run in
/// one transaction, all or nothing, as `wrangler d1 execute` ran them); or
/// SQLite's message.
pub fn d1_try(persist_dir: &Path, sql: &str) -> Result<Vec<Value>, String> {
    let file = database_file(persist_dir)?;
    let reader = open(&file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // SQLite says whether a statement reads only; several statements do
    // not prepare as one, and go to the writer, which reports any error.
    if let Ok(statement) = reader.prepare(sql) {
        if statement.readonly() {
            return rows(statement);
        }
    }
    drop(reader);
    let mut writer = open(&file, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    // Checkpoints are the Worker's business; this connection only appends.
    writer
        .pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| e.to_string())?;
    let tx = writer
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    tx.execute_batch(sql).map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())?;
    Ok(Vec::new())
}

/// Holds the database's write lock until dropped: the Worker's writes are
/// refused meanwhile (workerd sets no busy handler), as when D1 answers a
/// write with an error. Its reads go on.
pub struct WriteLock(Connection);

pub fn hold_write_lock(persist_dir: &Path) -> WriteLock {
    let take = || -> Result<Connection, String> {
        let db = open(
            &database_file(persist_dir)?,
            OpenFlags::SQLITE_OPEN_READ_WRITE,
        )?;
        db.execute_batch("PRAGMA wal_autocheckpoint = 0; BEGIN IMMEDIATE")
            .map_err(|e| e.to_string())?;
        Ok(db)
    };
    WriteLock(take().unwrap_or_else(|why| panic!("the write lock: {why}")))
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

fn rows(mut statement: Statement<'_>) -> Result<Vec<Value>, String> {
    let columns: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut rows = statement.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut object = Map::new();
        for (i, name) in columns.iter().enumerate() {
            let value = row.get_ref(i).map_err(|e| e.to_string())?;
            object.insert(name.clone(), json(value));
        }
        out.push(Value::Object(object));
    }
    Ok(out)
}

/// As `wrangler d1 execute --json` gives a cell: numbers, text, null, and
/// blobs as arrays of bytes.
fn json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::from(b.to_vec()),
    }
}
