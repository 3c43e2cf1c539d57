//! Answers made on threads beside the portfolio's worker, so that no other session's key
//! waits for them: the team's figures (a fresh portfolio of the date on a connection of its
//! own, as `owed report team` computes them) and exports' files (the rows are read on the
//! worker's connection, whose queue table they come from, and the workbook is built beside).
//! Each arrives back through a channel and is answered to its session on the worker's next
//! turn; the synchronous calls ([`PortfolioWorker::handle_batch`]) make them in place.

use super::portfolio::{PortfolioWorker, SessionId, Settings};
use super::requests::{ExportDone, ExportJob, Response, TeamView};
use crate::Result;
use crate::domain::Date;
use crate::store::Store;

/// An answer made on a thread beside, and whose it is.
pub(super) type Beside = (SessionId, Response);

/// An export whose rows are read (on the worker's connection) and whose file is still to
/// write.
pub(super) struct PendingExport {
    sid: SessionId,
    seq: u64,
    /// Where, as the session's files allow it.
    path: std::path::PathBuf,
    /// A file of that name was there when it was asked for.
    replaced: bool,
    view: crate::export::Prepared,
    options: crate::export::Options,
    /// Only the marked rows are written.
    marked: bool,
}

impl PendingExport {
    /// Writes the file; the session's answer.
    fn write(self) -> Response {
        let result = self
            .view
            .write(&self.path, &self.options)
            .map(|written| ExportDone {
                path: self.path,
                rows: written.rows,
                as_text: written.as_text,
                replaced: self.replaced,
                marked: self.marked,
            })
            .map_err(|e| e.to_string());
        Response::Exported {
            seq: self.seq,
            result,
        }
    }
}

impl PortfolioWorker {
    /// The turn of the answers made beside: sends those made on their threads, then starts
    /// those asked for — the team's figures (a fresh portfolio of the date takes about as long
    /// as `owed report team`) and exports' files (a 100,000-customer workbook about 2 s) —
    /// each on its own thread when `background`, which the other sessions' keys must not wait
    /// for, else here.
    pub(super) fn beside_step(
        &mut self,
        background: bool,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        while let Ok((sid, answer)) = self.beside_done.1.try_recv() {
            self.beside_running = self.beside_running.saturating_sub(1);
            emit(sid, answer);
        }
        for (sid, seq, as_of) in std::mem::take(&mut self.team_wanted) {
            let path = self.path.clone();
            let settings = self.settings.clone();
            let compute = move || Response::Team {
                seq,
                report: Store::open_existing(&path)
                    .and_then(|store| team_at(&store, &settings, as_of))
                    .map(Box::new)
                    .map_err(|e| format!("the team's figures: {e}")),
            };
            let failed = move |e: String| Response::Team {
                seq,
                report: Err(format!("the team's figures: {e}")),
            };
            self.beside(background, "owed-team", sid, compute, failed, emit);
        }
        self.exports_step(background, emit);
    }

    /// The exports read: each file written on a thread of its own when `background`, else
    /// here (the synchronous calls, which make no thread).
    pub(super) fn exports_step(
        &mut self,
        background: bool,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        for pending in std::mem::take(&mut self.exports_wanted) {
            let (sid, seq, path) = (pending.sid, pending.seq, pending.path.clone());
            let failed = move |e: String| Response::Exported {
                seq,
                result: Err(format!("cannot write {}: {e}", path.display())),
            };
            self.beside(
                background,
                "owed-export",
                sid,
                || pending.write(),
                failed,
                emit,
            );
        }
    }

    /// Makes `sid`'s answer on a thread named `name` when `background` (it arrives through
    /// [`PortfolioWorker::beside_step`]), else here. `failed` answers, saying why, when no
    /// thread starts or the answer fails with a panic: the session is always answered, and the
    /// worker never waits for an answer that will not come.
    fn beside(
        &mut self,
        background: bool,
        name: &str,
        sid: SessionId,
        answer: impl FnOnce() -> Response + Send + 'static,
        failed: impl Fn(String) -> Response + Send + Sync + 'static,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        let failed = std::sync::Arc::new(failed);
        let made = {
            let failed = failed.clone();
            move || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(answer))
                    .unwrap_or_else(|_| failed("an internal error (a panic); see the log".into()))
            }
        };
        if !background {
            emit(sid, made());
            return;
        }
        let tx = self.beside_done.0.clone();
        let started = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                crate::error::panics_handled_on_this_thread();
                let _ = tx.send((sid, made()));
            });
        match started {
            Ok(_) => self.beside_running += 1,
            Err(e) => emit(sid, failed(format!("cannot start a thread: {e}"))),
        }
    }

    /// Takes a session's export: checks where it goes against the session's files, reads
    /// its rows now (on this connection) and leaves the file to [`PortfolioWorker::beside_step`];
    /// why not, when refused or unreadable.
    pub(super) fn want_export(
        &mut self,
        sid: SessionId,
        seq: u64,
        as_of: Date,
        job: &ExportJob,
    ) -> std::result::Result<(), String> {
        let files = &self.viewer(sid).files;
        let path = files.writable(&job.path)?;
        let private = files.private();
        let replaced = path.exists();
        let (view, options) = self.read_export(as_of, job).map_err(|e| e.to_string())?;
        // Over SSH, a user's export is the server's to keep from the other local accounts;
        // the workbook says who exported it, and when.
        let options = crate::export::Options {
            private,
            ..options.exported_by(&self.viewer(sid).actor.name, chrono::Utc::now())
        };
        let marked =
            matches!(&job.what, super::requests::ExportWhat::Queue(_, marks) if !marks.is_empty());
        self.exports_wanted.push(PendingExport {
            sid,
            seq,
            path,
            replaced,
            view,
            options,
            marked,
        });
        Ok(())
    }

    /// Takes a session's ask for the team's figures: refused at once when its user may not
    /// see them, else computed by [`PortfolioWorker::beside_step`].
    pub(super) fn want_team(&mut self, sid: SessionId, seq: u64, as_of: Date) -> Option<Response> {
        match crate::domain::users::may_see_team(&self.viewer(sid).actor) {
            Ok(()) => {
                self.team_wanted.push((sid, seq, as_of));
                None
            }
            Err(refused) => Some(Response::Team {
                seq,
                report: Err(refused),
            }),
        }
    }

    /// Reads what a screen shows as of `as_of` (the figures are of that date), to be written
    /// with the options returned: the queue from this connection's queue table (with the risk
    /// column once the forecast is in), one customer's documents and timeline, the team's
    /// figures or the engagement plan.
    fn read_export(
        &mut self,
        as_of: Date,
        job: &ExportJob,
    ) -> Result<(crate::export::Prepared, crate::export::Options)> {
        use super::requests::ExportWhat;
        use crate::export::screen;
        let options = crate::export::Options::new(job.format).of_ledger(&self.store)?;
        let base = self.settings.base_currency.clone();
        let view = match &job.what {
            ExportWhat::Queue(query, marked) => {
                let fallback = self.store.queue().mine_falls_back(query)?;
                let scope = screen::queue_scope(query, None, fallback);
                let meta = screen::queue_meta(scope, as_of, &base);
                let with_risk = self.forecasts.counted(as_of);
                screen::queue(&self.store, query, with_risk, meta, marked)?
            }
            ExportWhat::Customer(cid) => screen::customer(&self.store, *cid, as_of, &base)?,
            ExportWhat::Team(view) => {
                let report = crate::report::team::TeamReport {
                    period: view.period,
                    currency: view.currency.clone(),
                    collectors: view.collectors.clone(),
                    unassigned: view.unassigned.clone(),
                };
                screen::team(&report, as_of)?
            }
            ExportWhat::Plan(plan) => super::engage::plan_export(
                &plan.entries,
                &plan.skipped,
                plan.as_of,
                &base,
                plan.owner.as_deref(),
            )?,
        };
        Ok((view, options))
    }
}

/// The team's figures as of `as_of`, computed as `owed report team` computes them: a fresh
/// portfolio of the date, the touches, promises, calls and replies; with their totals row.
fn team_at(store: &Store, s: &Settings, as_of: Date) -> Result<TeamView> {
    let report = crate::report::team::TeamReport::compute_at(
        store,
        as_of,
        &s.bounds,
        &s.base_currency,
        s.grace_days,
    )?;
    Ok(TeamView {
        totals: crate::domain::team::totals(&report.collectors),
        period: report.period,
        currency: report.currency,
        collectors: report.collectors,
        unassigned: report.unassigned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn worker() -> (tempfile::TempDir, PortfolioWorker) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        Store::open_or_create(&path).unwrap();
        let settings = Settings {
            bounds: Default::default(),
            base_currency: "USD".into(),
            grace_days: 3,
        };
        (dir, PortfolioWorker::open(&path, settings).unwrap())
    }

    #[test]
    fn an_answer_that_panics_is_answered_with_an_error_here_and_beside() {
        let (_dir, mut worker) = worker();
        let failed = |why: String| Response::Error(format!("export: {why}"));
        let mut answers = Vec::new();
        worker.beside(false, "t", 7, || panic!("boom"), failed, &mut |s, r| {
            answers.push((s, r))
        });
        assert_eq!(
            answers,
            [(
                7,
                Response::Error("export: an internal error (a panic); see the log".into())
            )]
        );

        // On a thread: the answer arrives at a later turn, and nothing is left waiting.
        answers.clear();
        worker.beside(true, "t", 8, || panic!("boom"), failed, &mut |s, r| {
            answers.push((s, r))
        });
        assert_eq!(worker.beside_running, 1);
        let until = Instant::now() + Duration::from_secs(60);
        while answers.is_empty() && Instant::now() < until {
            worker.beside_step(true, &mut |s, r| answers.push((s, r)));
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0].0, 8);
        assert_eq!(worker.beside_running, 0);
    }
}
