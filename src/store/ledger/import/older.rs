//! What tells an export older than the ledger (`import::older` judges it): the newest date
//! each file of the billing imports gave (`import_newest`), and the values an import would
//! put back that the import of a newer export changed (the log of imports,
//! `import_changes`).

use super::{ImportChange, ImportWriter, logged_value};
use crate::Result;

/// The newest date the billing imports gave one file, and the import that first gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewestMark {
    /// `documents.csv`, `payments.csv`, `applications.csv` or `exchange_rates.csv`.
    pub file: String,
    /// Day number.
    pub day: i32,
    /// When that import committed, and who ran it.
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
}

impl ImportWriter<'_> {
    /// For each file the billing imports gave dates, the newest they gave (with the import
    /// that first gave it), in file-name order.
    pub fn newest_marks(&self) -> Result<Vec<NewestMark>> {
        let marks: Vec<(String, i32, String, String)> = crate::store::rows(
            &self.tx,
            "SELECT n.file, n.day, i.at, i.actor
               FROM (SELECT file, max(day) AS day FROM import_newest GROUP BY file) m
               CROSS JOIN import_newest n ON n.file = m.file AND n.day = m.day
               JOIN imports i ON i.id = n.import_id
              WHERE n.import_id = (SELECT min(f.import_id) FROM import_newest f
                                    WHERE f.file = m.file AND f.day = m.day)
              ORDER BY n.file",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(marks
            .into_iter()
            .map(|(file, day, at, actor)| NewestMark {
                file,
                day,
                at: chrono::DateTime::parse_from_rfc3339(&at)
                    .map(|at| at.with_timezone(&chrono::Utc))
                    .unwrap_or_default(),
                actor,
            })
            .collect())
    }

    /// Keeps, with the run `import_id` just recorded, the newest date each of its files gave.
    pub fn record_newest(&self, import_id: i64, newest: &[(&str, i32)]) -> Result<()> {
        // None of another run under the same id (a log emptied by hand gives its ids again).
        self.tx.execute(
            "DELETE FROM import_newest WHERE import_id = ?1",
            [import_id],
        )?;
        let mut insert = self.tx.prepare(
            "INSERT OR REPLACE INTO import_newest (import_id, file, day) VALUES (?1, ?2, ?3)",
        )?;
        for (file, day) in newest {
            insert.execute(rusqlite::params![import_id, file, day])?;
        }
        Ok(())
    }

    /// The values this import changed so far (in the rows it updated: the fields the log of
    /// imports keeps) back to what they were before the import of a newer export changed
    /// them: the log holds a change of that field of that row from the very value this import
    /// gives it, by an import whose `files` (of those named) gave a date later than `day`.
    /// How many, and the first `shown` in the order the import changed them.
    pub fn put_back(
        &self,
        files: &[&'static str],
        day: i32,
        shown: usize,
    ) -> Result<(u64, Vec<ImportChange>)> {
        self.tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_put_back (
                 seen INTEGER NOT NULL, file TEXT NOT NULL, record_id TEXT NOT NULL,
                 field TEXT NOT NULL, old TEXT, new TEXT);
             DELETE FROM temp.import_put_back;",
        )?;
        {
            let mut read = self.tx.prepare(
                "SELECT rowid, file, record_id, field, old, new, old_currency, new_currency
                   FROM temp.import_seen ORDER BY rowid",
            )?;
            let mut write = self.tx.prepare(
                "INSERT INTO temp.import_put_back (seen, file, record_id, field, old, new)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut rows = read.query([])?;
            while let Some(r) = rows.next()? {
                write.execute(rusqlite::params![
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    logged_value(r.get(4)?, r.get(6)?),
                    logged_value(r.get(5)?, r.get(7)?),
                ])?;
            }
        }
        // One pass over the log, each of its changes looked up among this import's. (The
        // files' names are the import's own, not the files'.)
        let named: Vec<String> = files.iter().map(|f| format!("'{f}'")).collect();
        self.tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_put_back_seen (seen INTEGER PRIMARY KEY);
             DELETE FROM temp.import_put_back_seen;
             CREATE INDEX IF NOT EXISTS temp.import_put_back_key
                 ON import_put_back (record_id, field, file);",
        )?;
        self.tx.execute(
            &format!(
                "INSERT OR IGNORE INTO temp.import_put_back_seen (seen)
                 SELECT b.seen FROM main.import_changes c CROSS JOIN temp.import_put_back b
                  WHERE b.record_id = c.record_id AND b.field = c.field AND b.file = c.file
                    AND c.old IS b.new AND b.old IS NOT b.new
                    AND EXISTS (SELECT 1 FROM main.import_newest n
                                 WHERE n.import_id = c.import_id AND n.day > ?1
                                   AND n.file IN ({}))",
                named.join(", ")
            ),
            [day],
        )?;
        const BACK: &str = "FROM temp.import_put_back b
             WHERE b.seen IN (SELECT seen FROM temp.import_put_back_seen)";
        let count: i64 = self
            .tx
            .query_row(&format!("SELECT count(*) {BACK}"), [], |r| r.get(0))?;
        let first = crate::store::rows(
            &self.tx,
            &format!("SELECT file, record_id, field, old, new {BACK} ORDER BY b.seen LIMIT ?1"),
            [i64::try_from(shown).unwrap_or(i64::MAX)],
            ImportChange::from_row,
        )?;
        self.tx.execute_batch(
            "DELETE FROM temp.import_put_back; DELETE FROM temp.import_put_back_seen;",
        )?;
        Ok((count.unsigned_abs(), first))
    }
}
