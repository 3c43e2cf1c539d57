//! `owed serve [--listen ADDR:PORT] [--host-key PATH]`: the workstation over SSH for the
//! whole team (SPEC "Serving the workstation over SSH"; the server is [`crate::serve`]).
//!
//! The address is `--listen`, else `listen` in `[serve]`, else `127.0.0.1:2222`; the host key
//! is `--host-key`, else `host_key` in `[serve]` (relative to the config file), else
//! `host_key.ed25519` beside the database, created 0600 on first start. The users are the
//! database's (`owed user`), read at each authentication; each session is the workstation
//! (the tui's remote loop) over one shared [`Workstation`] service, as of `--as-of` when
//! given, else of today: the day the session starts, then each new day at midnight. The
//! server runs until SIGINT, SIGTERM or SIGHUP, then ends every session and waits for them.

use super::Context;
use crate::config;
use crate::domain::Date;
use crate::domain::users::{self, Actor};
use crate::serve::{self, App, Directory, Input, Server, SessionContext, Settings, host_key};
use crate::store::Store;
use crate::tui::remote;
use crate::workstation::{FileAccess, ServiceSettings, UserFolders, Workstation};
use crate::{Error, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen, ADDR:PORT (default: `listen` in [serve], else 127.0.0.1:2222).
    #[arg(long, value_name = "ADDR:PORT", value_parser = config::parse_listen)]
    pub listen: Option<SocketAddr>,
    /// The server's host key (default: `host_key` in [serve], else host_key.ed25519 beside the
    /// database); created, readable by its owner only, when missing.
    #[arg(long, value_name = "PATH")]
    pub host_key: Option<PathBuf>,
}

/// Where and how to serve: the options, else the config, else the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub listen: SocketAddr,
    pub host_key: PathBuf,
    pub idle_timeout: Option<Duration>,
}

impl Plan {
    pub fn resolve(ctx: &Context, args: &ServeArgs) -> Result<Plan> {
        let cfg = &ctx.config.serve;
        let listen = match (args.listen, &cfg.listen) {
            (Some(addr), _) => addr,
            (None, Some(text)) => config::parse_listen(text).map_err(Error::input)?,
            (None, None) => config::parse_listen(serve::DEFAULT_LISTEN).map_err(Error::input)?,
        };
        let host_key = match (&args.host_key, &cfg.host_key) {
            (Some(path), _) => path.clone(),
            (None, Some(path)) => ctx.config.beside(path),
            (None, None) => ctx
                .db_path
                .parent()
                .map_or_else(PathBuf::new, PathBuf::from)
                .join(serve::DEFAULT_HOST_KEY),
        };
        Ok(Plan {
            listen,
            host_key,
            idle_timeout: serve::idle_timeout(cfg.idle_timeout_minutes),
        })
    }
}

pub fn run(ctx: &Context, args: &ServeArgs) -> Result<()> {
    let plan = Plan::resolve(ctx, args)?;
    let (directory, app, service) = workstation(ctx)?;
    // Once stopping, no session's send claims another reminder (one handed over to the mail
    // server is answered, and recorded, before the process ends: below).
    let sends = service.sends();
    let served = serve(&plan, directory, app, async move {
        stop_signal().await;
        sends.stop();
    });
    super::workstation::finish_saves(&service, |n| {
        crate::serve::say!("the sessions have ended; finishing {n} save(s) they began");
    });
    super::workstation::finish_sends(&service, |line| crate::serve::say!("{line}"));
    served
}

/// The users' keys and the app each session runs.
///
/// The directory is the users of the database (`owed user`), read at each authentication.
/// The app is the workstation: one service for every session (the portfolio held once, kept
/// current from every session's saves and other processes' commits), each session the tui's
/// remote loop over a session of it, acting as the user whose key was accepted.
fn workstation(ctx: &Context) -> Result<(Arc<dyn Directory>, Arc<App>, Workstation)> {
    // On a new server's first start the database is made (SPEC "The database file"): users
    // are added and the ledger imported while it runs.
    let store = ctx.create_store()?;
    if store.users().list()?.is_empty() {
        crate::serve::say!(
            "no users yet, so no one can log in: add them with `{}`",
            crate::error::command("user add")
        );
    }
    // Each user's folder of the files folder is theirs: every user there is or was, and each
    // one who logs in (added since).
    let folders = UserFolders::of(store.users().names_ever()?);
    let directory: Arc<dyn Directory> = Arc::new(UserDirectory {
        store: Mutex::new(store),
        folders: folders.clone(),
    });
    let config = super::workstation::service_config(ctx, &ctx.db_path);
    if config.cycles != ctx.config.cycles
        && let Some(dir) = &config.cycles
    {
        crate::serve::say!(
            "engagement cycles: the demo's examples beside the database, in {} \
             (the config's cycles folder holds none)",
            dir.display()
        );
    }
    let files_root = files_folder(ctx)?;
    let service = Workstation::open(&ctx.db_path, ServiceSettings::from_config(&config)?)?;
    let handle = service.clone();
    keep_todays_portfolio(&service, ctx.as_of_given.then_some(ctx.as_of));
    let base = super::workstation::setup(ctx)?;
    let as_of_given = ctx.as_of_given;
    let app = move |s: SessionContext| -> Result<()> {
        let mut setup = base.clone();
        setup.session.collector = s.actor.name.clone();
        // The server's config is the team's: a session over SSH opens the saved views, but
        // does not write the file (`:save` says so).
        setup.views_file = None;
        if !as_of_given {
            // A server runs for days: each session starts on the day it opens, and moves to
            // each new day at midnight as the local workstation does (`tui::update::today_is`).
            let today = super::today();
            setup.session.today = today;
            setup.as_of = today;
        }
        let files = FileAccess::over_ssh(files_root.as_deref(), &s.actor.name, &folders);
        // Where the user's relative names start: made now (theirs alone), so Tab lists it.
        // One there already that is not the server's alone is refused (the session says so).
        if let Err(e) = files.make_own_folder() {
            crate::serve::say!("{}'s files are refused over SSH: {e}", s.actor.name);
        }
        let session = service.connect_with(s.actor.clone(), files);
        let (sender, events) = remote::events();
        let mut input = s.events;
        // The session's input to the loop's; it ends with the input (the loop then ends).
        std::thread::Builder::new()
            .name(format!("owed-ssh-input-{}", session.id()))
            .spawn(move || {
                while let Input::Event(event) = input.recv() {
                    if !sender.send(event) {
                        break;
                    }
                }
            })?;
        let end = remote::run_remote(
            setup,
            session,
            events,
            s.output,
            s.size,
            capabilities(&s.caps),
        );
        match end.drafts_kept {
            0 => {}
            1 => s.log_note.set("a draft kept for their next session"),
            n => s
                .log_note
                .set(format!("{n} drafts kept for their next session")),
        }
        end.result
    };
    Ok((directory, Arc::new(app), handle))
}

/// The screens' terms for what the client's terminal shows.
fn capabilities(caps: &serve::Capabilities) -> remote::Capabilities {
    remote::Capabilities {
        colors: caps.colors,
        unicode: caps.unicode,
    }
}

/// Keeps the portfolio of `as_of`, else of today and then of each new day, computed ahead of
/// the sessions (on a thread of its own: the server listens at once).
fn keep_todays_portfolio(service: &Workstation, as_of: Option<Date>) {
    let service = service.clone();
    let kept = std::thread::Builder::new()
        .name("owed-serve-today".into())
        .spawn(move || {
            let mut kept = None;
            loop {
                let day = as_of.unwrap_or_else(super::today);
                if kept != Some(day) {
                    if let Err(e) = service.keep(day) {
                        crate::serve::say!("cannot compute the portfolio of {day}: {e}");
                    }
                    kept = Some(day);
                }
                if as_of.is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(60));
            }
        });
    if let Err(e) = kept {
        crate::serve::say!("the portfolio will be computed at the first session: {e}");
    }
}

/// The database's users as the server's directory (SPEC: a key belongs to one user).
struct UserDirectory {
    store: Mutex<Store>,
    /// Told of each user found, before their session can make their folder.
    folders: UserFolders,
}

impl Directory for UserDirectory {
    fn owner(&self, key: &serve::PublicKey) -> Option<Actor> {
        let key = users::PublicKey::from_blob(&key.to_bytes().ok()?).ok()?;
        let store = self.store.lock().ok()?;
        match store.users().user_for_key(&key.algorithm, &key.blob) {
            Ok(found) => found.map(|(name, role)| {
                self.folders.add(&name);
                Actor::verified(name, role)
            }),
            Err(e) => {
                crate::serve::say!("cannot read the users: {e}");
                None
            }
        }
    }

    /// The database's `data_version` on the directory's own connection, which writes nothing:
    /// it moves at every commit of anyone else (a user changed among them).
    fn version(&self) -> u64 {
        self.store
            .lock()
            .ok()
            .and_then(|s| s.data_version().ok())
            .map_or(0, |v| v.unsigned_abs())
    }
}

/// The folder of `[serve] files` (relative to the config file), which must be one; without
/// it, sessions are told files are refused over SSH.
fn files_folder(ctx: &Context) -> Result<Option<PathBuf>> {
    let Some(path) = ctx
        .config
        .serve
        .files
        .as_deref()
        .map(|p| ctx.config.beside(p))
    else {
        crate::serve::say!(
            "no files folder: attaching files and :export are refused over SSH \
             (set [serve] files in the config to a folder for them)"
        );
        return Ok(None);
    };
    // Absolute, links followed: every session's paths are held to it.
    let path = match path.canonicalize() {
        Ok(real) if real.is_dir() => real,
        _ => {
            return Err(Error::input(format!(
                "[serve] files = {} is not a folder: make it, or name the folder where SSH \
                 sessions read attachments and write exports",
                path.display()
            )));
        }
    };
    crate::serve::say!(
        "files folder {}: each user attaches from and exports to their own folder \
         in it",
        path.display()
    );
    Ok(Some(path))
}

/// Serves `app` to the users `directory` knows, as `plan` says, until `stop` resolves (at
/// SIGINT, SIGTERM or SIGHUP: [`stop_signal`]).
pub fn serve(
    plan: &Plan,
    directory: Arc<dyn Directory>,
    app: Arc<App>,
    stop: impl std::future::Future<Output = ()> + Send,
) -> Result<()> {
    let key = host_key::load_or_create(&plan.host_key)?;
    let fingerprint = host_key::fingerprint(&key);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("owed-serve")
        .build()?;
    let served = runtime.block_on(async {
        let mut settings = Settings::new(plan.listen, key);
        settings.idle_timeout = plan.idle_timeout;
        let server = Server::bind(settings, directory, app).await?;
        crate::serve::say!(
            "listening on {}, host key {} ({fingerprint}); Ctrl-C stops",
            server.local_addr(),
            plan.host_key.display()
        );
        server.run(stop).await
    });
    // Directory lookups still running on the blocking pool do not hold the exit up.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}

/// Resolves at SIGINT (Ctrl-C), SIGTERM or SIGHUP (the terminal it ran in closed: it
/// killed the server at once, its clients' terminals left in the app's screen).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let recv = |kind| async move {
            match signal(kind) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = recv(SignalKind::terminate()) => {}
            () = recv(SignalKind::hangup()) => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    crate::serve::say!("stopping");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn context(config: Config) -> Context {
        Context {
            config,
            db_path: PathBuf::from("/srv/owed/owed.db"),
            collector: "alice".into(),
            collector_from_config: false,
            as_of: crate::cli::today(),
            as_of_given: false,
            theme: None,
        }
    }

    fn args(listen: Option<&str>, host_key: Option<&str>) -> ServeArgs {
        ServeArgs {
            listen: listen.map(|l| config::parse_listen(l).unwrap()),
            host_key: host_key.map(PathBuf::from),
        }
    }

    #[test]
    fn defaults_beside_the_database() {
        let plan = Plan::resolve(&context(Config::default()), &args(None, None)).unwrap();
        assert_eq!(plan.listen, "127.0.0.1:2222".parse().unwrap());
        assert_eq!(plan.host_key, PathBuf::from("/srv/owed/host_key.ed25519"));
        assert_eq!(plan.idle_timeout, Some(Duration::from_secs(3600)));
    }

    #[test]
    fn options_over_the_config_over_the_defaults() {
        let mut config = Config::parse(
            "[serve]\nlisten = \"0.0.0.0:2200\"\nhost_key = \"keys/host\"\nidle_timeout_minutes = 0",
        )
        .unwrap();
        config.path = Some(PathBuf::from("/etc/owed/config.toml"));
        let ctx = context(config);
        let plan = Plan::resolve(&ctx, &args(None, None)).unwrap();
        assert_eq!(plan.listen, "0.0.0.0:2200".parse().unwrap());
        assert_eq!(plan.host_key, PathBuf::from("/etc/owed/keys/host"));
        assert_eq!(plan.idle_timeout, None);
        let plan = Plan::resolve(&ctx, &args(Some("[::1]:2022"), Some("k"))).unwrap();
        assert_eq!(plan.listen, "[::1]:2022".parse().unwrap());
        assert_eq!(plan.host_key, PathBuf::from("k"));
    }
}
