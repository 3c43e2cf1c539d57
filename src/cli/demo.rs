//! `owed demo`: create (or reuse) the demo database and open it.

use super::Context;
use crate::Result;
use crate::config::Config;
use crate::demo::{
    DemoBehaviour, DemoOptions, DemoOutcome, ensure_database_behaving, write_csvs_behaving,
};
use crate::engage::cycle::holds_cycles;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Number of customers (about ten documents each), at most 1,000,000.
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
    /// Seed of the generator: the same seed gives the same portfolio.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Only create the database; do not open the workstation.
    #[arg(long)]
    pub no_tui: bool,
    /// Write the portfolio as import CSVs into this folder instead of a database.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// How customers pay, other than the demo's: `key=value,…` (archetypes=a/b/c/d/e/f/g,
    /// lateness, spread, drift, size_effect, hiccup, disputer_share, dispute_days=LOW..HIGH,
    /// dispute_credit, payment_run). For trying the forecast on a portfolio it was not
    /// tuned on.
    #[arg(long, hide = true, value_name = "SETTINGS", value_parser = DemoBehaviour::parse)]
    pub behaviour: Option<DemoBehaviour>,
}

/// The collector the demo is opened as when none is named: one of the demo's finance owners,
/// so that "my queue" has customers in it.
const DEMO_COLLECTOR: &str = "alice";

/// `owed demo`: `db_given` and `config_given` say whether the database and config were named
/// (`--db`, `--config` or their variables), `collector_given` whether `--as` was.
pub fn run(
    ctx: &Context,
    args: &DemoArgs,
    (db_given, config_given): (bool, Option<&Path>),
    collector_given: bool,
) -> Result<()> {
    crate::demo::check_customers(args.customers)?;
    let options = DemoOptions {
        customers: args.customers,
        seed: args.seed,
        today: ctx.as_of,
        base_currency: ctx.config.base_currency.clone(),
    };
    let behaviour = args.behaviour.clone().unwrap_or_default();
    if let Some(dir) = &args.csv {
        let (counts, _) = write_csvs_behaving(&options, &behaviour, dir)?;
        outln!(
            "wrote {} customers, {} documents, {} payments, {} applications, {} exchange rates to {}",
            counts.customers,
            counts.documents,
            counts.payments,
            counts.applications,
            counts.exchange_rates,
            dir.display()
        )?;
        return Ok(());
    }
    // The demo never touches the collector's real database unless --db names it.
    let db = if db_given {
        ctx.db_path.clone()
    } else {
        ctx.db_path.with_file_name("demo.db")
    };
    // Every command a message suggests from here on acts on the demo, never the default
    // database.
    let invocation = crate::error::Invocation {
        db: Some(std::path::absolute(&db)?),
        config: config_given.map(Path::to_path_buf),
    };
    crate::error::set_invocation(invocation);
    // The moment it is made, read here: the activity of today is stamped no later.
    let now = chrono::Utc::now();
    match ensure_database_behaving(&db, &options, &behaviour, now, true, &ctx.collector)? {
        DemoOutcome::Reused => errln!("using the demo database {}", db.display()),
        DemoOutcome::Created {
            summary, replaced, ..
        } => {
            errln!("{summary}");
            match replaced {
                // Said, so that notes added to a demo are not lost unawares when another day
                // or size makes it again.
                Some(replaced) => errln!("rebuilt the demo database {} ({replaced})", db.display()),
                None => errln!("created the demo database {}", db.display()),
            }
            let lockbox = crate::demo::lockbox_dir(&db);
            if lockbox.is_dir() {
                let lockbox = std::path::absolute(&lockbox)?;
                errln!(
                    "its lockbox folder (cheques already applied; try `{}` on it): {}",
                    crate::error::command("lockbox import"),
                    lockbox.display()
                );
            }
        }
    }
    let config = with_cycles(&ctx.config, &db)?;
    if args.no_tui {
        outln!("{}", db.display())?;
        return Ok(());
    }
    let collector = if collector_given || ctx.config.collector.is_some() {
        ctx.collector.clone()
    } else {
        DEMO_COLLECTOR.to_string()
    };
    let demo_ctx = Context {
        config,
        db_path: db.clone(),
        collector,
        collector_from_config: ctx.collector_from_config,
        as_of: ctx.as_of,
        as_of_given: ctx.as_of_given,
        theme: ctx.theme.clone(),
    };
    super::workstation::run_at(&demo_ctx, &db)
}

/// The config the demo opens with: the collector's own when its cycles folder holds any
/// cycle, else the same naming the demo's example cycles (written beside the database when
/// missing), so that the Engagement screen has reminders to plan.
fn with_cycles(config: &Config, db: &Path) -> Result<Config> {
    if let Some(own) = config.cycles_dir(None).filter(|dir| holds_cycles(dir)) {
        errln!("engagement cycles: your own, in {}", own.display());
        return Ok(config.clone());
    }
    let dir = std::path::absolute(crate::demo::cycles::cycles_dir(db))?;
    crate::demo::cycles::write_example_cycles(&dir)?;
    errln!(
        "engagement cycles: the examples of config/cycles/, in {} (E in the workstation \
         plans them, as does `{}`)",
        dir.display(),
        crate::error::command(&format!("engage plan --cycles {}", shell_word(&dir))),
    );
    Ok(Config {
        cycles: Some(dir),
        ..config.clone()
    })
}

#[derive(Debug, clap::Args)]
pub struct DemoLockboxArgs {
    /// The folder to write lockbox.csv and its cheque images into.
    pub dir: PathBuf,
    /// Number of items.
    #[arg(long, default_value_t = 300)]
    pub items: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// `owed demo-lockbox DIR --items N` (hidden): a lockbox folder paying the database's open
/// invoices, for trying and measuring `owed lockbox import` on a large database.
pub fn lockbox(ctx: &Context, args: &DemoLockboxArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let counts =
        crate::demo::lockbox::write_lockbox(&store, &args.dir, args.items, args.seed, ctx.as_of)?;
    outln!(
        "wrote {} lockbox items ({} naming their invoice, {} to match by amount, {} short, {} \
         matching nothing) and {} bytes of cheque images to {}",
        counts.items,
        counts.named,
        counts.by_amount,
        counts.short,
        counts.unmatched,
        counts.image_bytes,
        args.dir.display()
    )
}

/// A path as one word a shell reads back ([`crate::error::shell_word`]).
fn shell_word(path: &Path) -> String {
    crate::error::shell_word(&path.to_string_lossy())
}

#[cfg(test)]
mod shell_word_tests {
    use super::shell_word;
    use std::path::Path;

    #[test]
    fn plain_paths_stay_and_others_are_quoted() {
        assert_eq!(shell_word(Path::new("/home/a/demo.db")), "/home/a/demo.db");
        assert_eq!(
            shell_word(Path::new("/home/a b/it's.db")),
            r"'/home/a b/it'\''s.db'"
        );
    }
}
