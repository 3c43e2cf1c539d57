//! `owed serve`'s SSH layer through the real SSH protocol, in-process: a russh client talks to
//! the server on 127.0.0.1 (a port the system picks), the frames are read back with vt100.
//!
//! The sessions run a small ratatui app that draws who it is, its size, the terminal's
//! capabilities and the last input it got, and logs when it starts, when its input closes
//! and when it returns, so the SSH layer is tested on its own.

mod ssh_client;

use crossterm::event::{Event, KeyCode, KeyModifiers};
use owed::domain::users::{Actor, Role};
use owed::serve::{self, App, Directory, Input, PublicKey, Server, SessionContext, Sessions};
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use ssh_client::{Client, PATIENCE, Term, new_key};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the test app's sessions did, in order: `start alice`, `closed alice`, `end alice`.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::Key(k) => {
            let mut name = String::new();
            for (m, prefix) in [
                (KeyModifiers::CONTROL, "C-"),
                (KeyModifiers::ALT, "M-"),
                (KeyModifiers::SHIFT, "S-"),
            ] {
                if k.modifiers.contains(m) {
                    name.push_str(prefix);
                }
            }
            match k.code {
                KeyCode::Char(c) => name.push(c),
                other => name.push_str(&format!("{other:?}")),
            }
            name
        }
        Event::Resize(c, r) => format!("resize {c}x{r}"),
        Event::Paste(text) => format!("paste {text:?}"),
        other => format!("{other:?}"),
    }
}

/// The test app: draws its state after every input; `q` quits, `!` fails, `z` keeps it
/// busy for 20 s (an app that does not see the end of its input in time).
fn test_app(log: Log) -> Arc<App> {
    Arc::new(move |ctx: SessionContext| {
        let SessionContext {
            actor,
            mut events,
            output,
            size,
            caps,
            ..
        } = ctx;
        log.push(format!("start {}", actor.name));
        let mut terminal = serve::ratatui_terminal(output, size)?;
        crossterm::execute!(
            terminal.backend_mut(),
            crossterm::terminal::EnterAlternateScreen
        )?;
        let mut size = size;
        let mut last = "nothing".to_string();
        let mut count = 0;
        loop {
            let text = format!(
                "user {} {}\nsize {}x{}\ncolors {:?} unicode {}\nkeys {count} last {last}",
                actor.name, actor.role, size.0, size.1, caps.colors, caps.unicode
            );
            terminal.draw(|f| f.render_widget(Paragraph::new(text), f.area()))?;
            match events.recv() {
                Input::Event(Event::Resize(c, r)) => {
                    size = (c, r);
                    terminal.resize(Rect::new(0, 0, c, r))?;
                    last = format!("resize {c}x{r}");
                }
                Input::Event(Event::Key(k)) if k.code == KeyCode::Char('q') => break,
                Input::Event(Event::Key(k)) if k.code == KeyCode::Char('z') => {
                    log.push(format!("busy {}", actor.name));
                    std::thread::sleep(std::time::Duration::from_secs(20));
                }
                Input::Event(Event::Key(k)) if k.code == KeyCode::Char('!') => {
                    log.push(format!("end {}", actor.name));
                    return Err(owed::Error::runtime("the test app failed on purpose"));
                }
                Input::Event(event) => {
                    count += 1;
                    last = describe(&event);
                }
                Input::Closed => {
                    log.push(format!("closed {}", actor.name));
                    break;
                }
            }
        }
        crossterm::execute!(
            terminal.backend_mut(),
            crossterm::terminal::LeaveAlternateScreen
        )?;
        log.push(format!("end {}", actor.name));
        Ok(())
    })
}

/// An RSA key of 2048 bits made by `ssh-keygen -t rsa -b 2048 -N "" -C ""` (made at each run,
/// it takes seconds in a debug build).
const RSA_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABFwAAAAdzc2gtcn
NhAAAAAwEAAQAAAQEAxOIRUurxiXWSKVz/9taCj7RP62RHY4CW31WPkC7TdEHD7WPy3my4
qxxlnl7lcl+swXNBc/SxC0Iv6fZ49O0m9h88OHTPG7xkRYRoT27AyEIlPFsDDpC+NPA3tN
eoQIH0dQaLIhxPakOV+Vupo+j2rrqLh/pjKON5J4Ek41yJcVuXBkqJjMHCbmYNK/3ZkbrF
L+Led39P562CP8lcVc2/DpGd0PQTOvXxPhcGytZjzT9TPmcLfiMBLlWc1FeoHSFWCnz/gO
WtvhamETvRwBWNLhQBG3McdcKc+Y6X2tyx/c7Q8EwW3/K9wK1f/W86N07c2LQDub4yvGza
9DB7SRLmmwAAA7gOWfR8Dln0fAAAAAdzc2gtcnNhAAABAQDE4hFS6vGJdZIpXP/21oKPtE
/rZEdjgJbfVY+QLtN0QcPtY/LebLirHGWeXuVyX6zBc0Fz9LELQi/p9nj07Sb2Hzw4dM8b
vGRFhGhPbsDIQiU8WwMOkL408De016hAgfR1BosiHE9qQ5X5W6mj6PauuouH+mMo43kngS
TjXIlxW5cGSomMwcJuZg0r/dmRusUv4t53f0/nrYI/yVxVzb8OkZ3Q9BM69fE+FwbK1mPN
P1M+Zwt+IwEuVZzUV6gdIVYKfP+A5a2+FqYRO9HAFY0uFAEbcxx1wpz5jpfa3LH9ztDwTB
bf8r3ArV/9bzo3TtzYtAO5vjK8bNr0MHtJEuabAAAAAwEAAQAAAQA1+cBEGjMTu07R1jQ6
SL7MhONwJjLIHaW/HqbYIW5JLgp313Hq9qV+C6/0RhHjVEV5V463KnsrGf8mxjKM+0M2MI
QC+ksZUIGw6Ubrl/J0NGYe8NiasqXiv4SWKJVw8e/B8YRNWrOO7257SVztmd2fM3czVTrA
J/S8FtS1HFZ14+mPg1Ziy6dbeA5UwVQVxxSgusGV4bdPcScGUjX+s698JAAjbUpOCYsuAL
sonI6PfQ4KSmOdW6dAzyt3QhyKeI4FsVZkEiV0DDsZ5c9h8OHyvcFzeXfCWF48gF7oyfmQ
AUEmioLaR/kac+vdXO242GvydUDaY3NGkrrGd1XYI5yhAAAAgC2Iel620IKewgBCQDBbQU
wFuUr5vXclRYTCbRWgdklKduW1mm08wQg8wSw4P6WpHIUnS8Ya3yUiBAHliWhI4XIe6ZUi
BX7EoeULKbf31uurYSDGVR+JKPm7bU0oW7rdstTGIbsi4dUzrGjEd/L767XDT+/6qKnaxN
vBawKe6Qq6AAAAgQD3BLKlgToDgvu3sXsRRnCAAurVBGBaFqX4KyTQNNqsWxt9ZML+kh/g
GtlWcQFs9BI3KOfQZLNC9ULSF+SP0Z5xqUaZUoG4AlBisf1pxb2kZ6bAxKnOOe+f4zVWNA
B+uEzQUFzCjOeoamlGZpix89WS75TIX3rn32nPsr9Z9rJQSwAAAIEAzAqzEFdcAE2xznMe
7qnTVWD0pC14giHIUBVH1DK1HlvQHX7hIxai109iNH/ZvCilC3OEBQfOtrxomxVkzoI84g
obdE9L5raFdacSKTtTiV+hEd8zfsQmiFo7vgX4MXn8sVXrZ84JmJYvCVBE13zSQiH7+h1R
gLjDl1QMdhBt8PEAAAAAAQID
-----END OPENSSH PRIVATE KEY-----
";

/// The server's users, which a test changes: each change moves the version unless said
/// otherwise (as if the server had not yet seen the database move).
#[derive(Clone)]
struct Users(Arc<Mutex<(Keys, u64)>>);

/// Each key and its user.
type Keys = Vec<(PublicKey, Actor)>;

impl Users {
    /// Gives `name` the role `role` (`None`: removes them); `seen`: the version moves.
    fn set(&self, name: &str, role: Option<Role>, seen: bool) {
        let mut users = self.0.lock().unwrap();
        match role {
            Some(role) => {
                for (_, actor) in users.0.iter_mut().filter(|(_, a)| a.name == name) {
                    *actor = Actor::new(name, role);
                }
            }
            None => users.0.retain(|(_, a)| a.name != name),
        }
        if seen {
            users.1 += 1;
        }
    }
}

impl Directory for Users {
    fn owner(&self, key: &PublicKey) -> Option<Actor> {
        let users = self.0.lock().unwrap();
        users
            .0
            .iter()
            .find(|(k, _)| k.key_data() == key.key_data())
            .map(|(_, actor)| actor.clone())
    }

    fn version(&self) -> u64 {
        self.0.lock().unwrap().1
    }
}

/// A running server with alice (collector) and bob (manager), and its keys.
struct Fixture {
    addr: std::net::SocketAddr,
    sessions: Sessions,
    log: Log,
    alice: russh::keys::PrivateKey,
    bob: russh::keys::PrivateKey,
    /// An ECDSA key (the others are ed25519).
    carol: russh::keys::PrivateKey,
    /// An RSA key (2048 bits).
    dave: russh::keys::PrivateKey,
    host_key: PublicKey,
    /// The users, changed as a manager's `owed user` would.
    users: Users,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<owed::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Fixture {
        Fixture::with(|_| {}).await
    }

    async fn with(adjust: impl FnOnce(&mut serve::Settings)) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let host_key = serve::host_key::load_or_create(&dir.path().join("host_key")).unwrap();
        let (alice, bob) = (new_key(), new_key());
        let carol = russh::keys::PrivateKey::random(
            &mut rand::rng(),
            russh::keys::Algorithm::Ecdsa {
                curve: russh::keys::EcdsaCurve::NistP256,
            },
        )
        .unwrap();
        let dave = russh::keys::PrivateKey::from_openssh(RSA_KEY).unwrap();
        let users = [
            (
                alice.public_key().clone(),
                Actor::new("alice", Role::Collector),
            ),
            (bob.public_key().clone(), Actor::new("bob", Role::Manager)),
            (
                carol.public_key().clone(),
                Actor::new("carol", Role::Auditor),
            ),
            (
                dave.public_key().clone(),
                Actor::new("dave", Role::Collector),
            ),
        ];
        let users = Users(Arc::new(Mutex::new((users.to_vec(), 0))));
        let directory = users.clone();
        let mut settings = serve::Settings::new("127.0.0.1:0".parse().unwrap(), host_key.clone());
        // Generous, so a loaded machine never splits a sequence by accident; the default's
        // timing is tested with tokio's paused clock in `serve::session`.
        settings.escape_timeout = Duration::from_millis(300);
        adjust(&mut settings);
        let log = Log::default();
        let directory: Arc<dyn Directory> = Arc::new(directory);
        let server = Server::bind(settings, directory, test_app(log.clone()))
            .await
            .unwrap();
        let addr = server.local_addr();
        let sessions = server.sessions();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Fixture {
            addr,
            sessions,
            log,
            alice,
            bob,
            carol,
            dave,
            host_key: host_key.public_key().clone(),
            users,
            stop: Some(stop),
            served: Some(served),
            _dir: dir,
        }
    }

    /// A client logged in as `user` with `key`, and its session's terminal (`xterm` of
    /// `size`) once it shows the user's name.
    async fn session(
        &self,
        user: &str,
        key: &russh::keys::PrivateKey,
        size: (u16, u16),
    ) -> (Client, Term) {
        let client = self.login(user, key).await;
        let term = client.terminal(size, "xterm", &[]).await;
        term.wait_for(&format!("user {user}")).await;
        (client, term)
    }

    /// A client logged in as `user` with `key`, and the address it connected from (as the
    /// server's log names it).
    async fn login_from(
        &self,
        user: &str,
        key: &russh::keys::PrivateKey,
    ) -> (Client, std::net::SocketAddr) {
        let (mut client, me) = Client::connect_from(self.addr).await;
        assert!(client.login(user, key).await, "{user} should get in");
        (client, me)
    }

    /// A client logged in as `user` with `key`.
    async fn login(&self, user: &str, key: &russh::keys::PrivateKey) -> Client {
        Client::logged_in(self.addr, user, key).await
    }

    /// Waits until `n` sessions run.
    async fn wait_sessions(&self, n: usize) {
        tokio::time::timeout(PATIENCE, self.sessions.wait_for(n))
            .await
            .unwrap_or_else(|_| panic!("{} sessions, not {n}", self.sessions.active()));
    }

    /// Stops the server and waits for it.
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.served.take().unwrap().await.unwrap().unwrap();
    }
}

/// The lines of the server's log (as [`serve::log_copies`] gives them, without their times)
/// that name the connection from `me`, until `enough` holds for them, and any more that come
/// within a second after.
async fn log_of(
    log: &std::sync::mpsc::Receiver<String>,
    me: std::net::SocketAddr,
    enough: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mine = format!(" from {me} (");
    let mut said = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut quiet = None;
    loop {
        while let Ok(line) = log.try_recv() {
            if line.contains(&mine) {
                let line = line.split_once(" owed serve: ").map_or(&*line, |(_, l)| l);
                said.push(line.to_string());
            }
        }
        let now = tokio::time::Instant::now();
        match quiet {
            None if enough(&said) => quiet = Some(now + Duration::from_secs(1)),
            None if now > deadline => panic!("the log said only {said:#?}"),
            Some(end) if now > end => return said,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How the log names alice on the connection from `me` with `key`.
fn alice_from(me: std::net::SocketAddr, key: &russh::keys::PrivateKey) -> String {
    format!(
        "alice (collector) from {me} (ssh-ed25519 {})",
        key.public_key().fingerprint(russh::keys::HashAlg::Sha256)
    )
}

/// Port forwarding (`ssh -L`, `-R`), agent forwarding (`-A`) and X11 (`-X`) are refused, and
/// the log says so with the user, address and key, once a kind on a connection however often
/// it is asked: they were refused without a line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_is_refused_and_logged_once_a_kind() {
    let f = Fixture::start().await;
    let log = serve::log_copies();
    let (client, me) = f.login_from("alice", &f.alice).await;
    for _ in 0..50 {
        assert!(!client.forward_local("db.internal\x1b[2J", 5432).await);
        assert!(!client.forward_remote("0.0.0.0", 8080).await);
    }
    let term = client.channel((80, 24)).await;
    for _ in 0..20 {
        term.write.agent_forward(true).await.unwrap();
        term.write
            .request_x11(true, false, "MIT-MAGIC-COOKIE-1", "00", 0)
            .await
            .unwrap();
    }
    term.wait("40 replies", |s| s.replies.len() == 40).await;
    assert!(term.seen.lock().unwrap().replies.iter().all(|ok| !ok));
    // The session still starts on the channel.
    term.write
        .request_pty(true, "xterm", 80, 24, 0, 0, &[])
        .await
        .unwrap();
    term.write.request_shell(true).await.unwrap();
    term.wait_for("user alice").await;
    let kinds = [
        "local port forwarding (ssh -L)",
        "remote port forwarding (ssh -R)",
        "agent forwarding (ssh -A)",
        "X11 forwarding (ssh -X)",
    ];
    let said = log_of(&log, me, |said| {
        kinds.iter().all(|k| said.iter().any(|l| l.contains(k)))
    })
    .await;
    let who = alice_from(me, &f.alice);
    for kind in kinds {
        let lines: Vec<_> = said.iter().filter(|l| l.contains(kind)).collect();
        assert_eq!(
            lines,
            [&format!(
                "refused {kind} to {who}: only the workstation on a terminal is served"
            )],
            "{said:#?}"
        );
    }
    drop((term, client));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_key_gets_a_pty_session_with_the_apps_frame() {
    let f = Fixture::start().await;
    let client = f.login("alice", &f.alice).await;
    assert_eq!(client.host_key().key_data(), f.host_key.key_data());
    let term = client
        .terminal((100, 30), "xterm-256color", &[("LANG", "en_US.UTF-8")])
        .await;
    term.wait_for("user alice collector").await;
    let screen = term.screen();
    assert!(screen.contains("size 100x30"), "{screen}");
    assert!(screen.contains("colors Ansi256 unicode true"), "{screen}");
    assert_eq!(f.sessions.active(), 1);

    term.send(b"x").await;
    term.wait_for("keys 1 last x").await;
    term.send("é".as_bytes()).await;
    term.wait_for("keys 2 last é").await;
    term.send(b"\x1b[1;5A").await;
    term.wait_for("last C-Up").await;
    term.send(b"\x1b[200~pasted\r\ntext\x1b[201~").await;
    term.wait_for(r#"last paste "pasted\ntext""#).await;

    // Quitting ends the session: exit status 0, the channel closed, the thread joined.
    term.send(b"q").await;
    term.wait_closed().await;
    assert_eq!(term.seen.lock().unwrap().exit_status, Some(0));
    f.wait_sessions(0).await;
    assert_eq!(f.log.lines(), ["start alice", "end alice"]);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colours_and_unicode_follow_the_terminal() {
    let f = Fixture::start().await;
    let client = f.login("bob", &f.bob).await;
    let term = client
        .terminal(
            (80, 24),
            "vt100",
            &[("NO_COLOR", "1"), ("LD_PRELOAD", "/x.so")],
        )
        .await;
    term.wait_for("user bob manager").await;
    assert!(
        term.screen().contains("colors Mono unicode false"),
        "{}",
        term.screen()
    );
    // The pty and NO_COLOR were accepted, LD_PRELOAD refused, the shell started.
    assert_eq!(term.seen.lock().unwrap().replies, [true, true, false, true]);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_passwords_and_someone_elses_key_are_refused() {
    let f = Fixture::start().await;

    let mut client = Client::connect(f.addr).await;
    assert!(!client.login("alice", &new_key()).await, "an unknown key");
    assert!(!client.login("alice", &f.bob).await, "bob's key for alice");
    assert!(
        !client.login("mallory", &f.alice).await,
        "alice's key for another name"
    );
    assert!(
        !client.login_password("alice", "secret").await,
        "a password"
    );
    assert!(
        !client.login_interactive("alice").await,
        "keyboard-interactive"
    );
    // The connection is still usable: the right key for the right name gets in.
    assert!(client.login("alice", &f.alice).await);
    // Keys other than ed25519 work the same.
    let _carol = Client::logged_in(f.addr, "carol", &f.carol).await;

    // A client that never authenticated cannot open a session.
    let stranger = Client::connect(f.addr).await;
    let mut refused = Client::connect(f.addr).await;
    assert!(!refused.login("bob", &new_key()).await);
    drop(stranger);
    assert_eq!(f.sessions.active(), 0);
    assert!(f.log.lines().is_empty());
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_without_a_pty_is_refused_with_one_line() {
    let f = Fixture::start().await;
    let client = f.login("alice", &f.alice).await;

    // A shell without a pty (`ssh -T`). The request is answered, so that OpenSSH shows the
    // line (it exits at a failed request without showing what came with it).
    let term = client.channel((80, 24)).await;
    term.write.request_shell(true).await.unwrap();
    term.wait_closed().await;
    {
        let seen = term.seen.lock().unwrap();
        let stderr = String::from_utf8_lossy(&seen.stderr);
        assert!(stderr.contains("to a terminal only"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert_eq!(seen.exit_status, Some(1));
    }

    // A command (`ssh host cmd`), even with a pty (`ssh -t host cmd`).
    let term = client.channel((80, 24)).await;
    term.write
        .request_pty(true, "xterm", 80, 24, 0, 0, &[])
        .await
        .unwrap();
    term.write.exec(true, "cat /etc/passwd").await.unwrap();
    term.wait_closed().await;
    assert_eq!(term.seen.lock().unwrap().exit_status, Some(1));

    // A subsystem (`sftp`).
    let term = client.channel((80, 24)).await;
    term.write.request_subsystem(true, "sftp").await.unwrap();
    term.wait_closed().await;
    assert_eq!(term.seen.lock().unwrap().exit_status, Some(1));

    assert!(f.log.lines().is_empty(), "no app ran: {:?}", f.log.lines());
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_at_once_each_their_own() {
    let f = Fixture::start().await;
    let (_a, ta) = f.session("alice", &f.alice, (80, 24)).await;
    let (_b, tb) = f.session("bob", &f.bob, (90, 20)).await;
    f.wait_sessions(2).await;

    ta.send(b"a").await;
    tb.send(b"b").await;
    ta.wait_for("keys 1 last a").await;
    tb.wait_for("keys 1 last b").await;
    tb.send(b"q").await;
    tb.wait_closed().await;
    f.wait_sessions(1).await;
    // Alice's session goes on.
    ta.send(b"c").await;
    ta.wait_for("keys 2 last c").await;
    ta.send(b"q").await;
    f.wait_sessions(0).await;
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arrow_sent_as_two_packets_20ms_apart_is_still_an_arrow() {
    let f = Fixture::start().await;
    let (_client, term) = f.session("alice", &f.alice, (80, 24)).await;

    term.send(b"\x1b").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    term.send(b"[A").await;
    term.wait_for("keys 1 last Up").await;
    // Split elsewhere, and with a modifier.
    term.send(b"\x1b[1;").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    term.send(b"5B").await;
    term.wait_for("keys 2 last C-Down").await;
    // A lone ESC becomes Esc once nothing follows.
    term.send(b"\x1b").await;
    term.wait_for("keys 3 last Esc").await;
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_change_reaches_the_app_as_a_resize() {
    let f = Fixture::start().await;
    let client = f.login("alice", &f.alice).await;
    let term = client.terminal((80, 24), "xterm", &[]).await;
    term.wait_for("size 80x24").await;
    term.resize(132, 43).await;
    term.wait_for("last resize 132x43").await;
    assert!(term.screen().contains("size 132x43"), "{}", term.screen());
    f.stop().await;
}

/// A client may say its window is 65,535 × 65,535 (or more, the protocol has 32 bits): the
/// session is drawn at most 640 × 240, or the server would hold billions of cells.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_window_gets_a_screen_of_the_largest_size_and_no_more() {
    let f = Fixture::start().await;
    let client = f.login("alice", &f.alice).await;
    // The client's own screen stays small: only the top left is looked at.
    let term = client.channel((120, 40)).await;
    term.write
        .request_pty(true, "xterm", u32::MAX, 65_535, 0, 0, &[])
        .await
        .unwrap();
    term.write.request_shell(true).await.unwrap();
    let (columns, rows) = (serve::MAX_COLUMNS, serve::MAX_ROWS);
    assert_eq!((columns, rows), (640, 240));
    term.wait_for(&format!("size {columns}x{rows}")).await;
    term.write
        .window_change(1_000_000, 70_000, 0, 0)
        .await
        .unwrap();
    term.wait_for(&format!("last resize {columns}x{rows}"))
        .await;
    // A window within the bounds is taken as it is.
    term.write.window_change(300, 100, 0, 0).await.unwrap();
    term.wait_for("last resize 300x100").await;
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_has_at_most_eight_sessions_and_gets_one_back_when_one_ends() {
    let f = Fixture::start().await;
    assert_eq!(serve::MAX_SESSIONS_PER_USER, 8);
    // Eight sessions of alice's over two connections.
    let (first, second) = (
        f.login("alice", &f.alice).await,
        f.login("alice", &f.alice).await,
    );
    let mut open = Vec::new();
    for client in [&first, &second] {
        for _ in 0..4 {
            let term = client.terminal((80, 24), "xterm", &[]).await;
            term.wait_for("user alice").await;
            open.push(term);
        }
    }
    f.wait_sessions(8).await;
    // A ninth, on either connection or a new one, is refused with one line; the log says
    // who, whence and with what key, as of any other refusal.
    let log = serve::log_copies();
    let (third, me) = f.login_from("alice", &f.alice).await;
    for client in [&first, &third] {
        let term = client.terminal((80, 24), "xterm", &[]).await;
        term.wait_closed().await;
        let seen = term.seen.lock().unwrap();
        let stderr = String::from_utf8_lossy(&seen.stderr);
        assert!(stderr.contains("you have 8 sessions open"), "{stderr}");
        assert_eq!(seen.exit_status, Some(1));
    }
    assert_eq!(f.sessions.active(), 8);
    let said = log_of(&log, me, |said| !said.is_empty()).await;
    assert_eq!(
        said,
        [format!(
            "refused a session to {}: 8 of theirs are open, the most one user may",
            alice_from(me, &f.alice)
        )]
    );
    // Another user is not held back by alice's.
    let (_bob, bob_term) = f.session("bob", &f.bob, (80, 24)).await;
    f.wait_sessions(9).await;
    // Alice ends one (q): the next she opens starts.
    open[0].send(b"q").await;
    open[0].wait_closed().await;
    f.wait_sessions(8).await;
    let again = third.terminal((80, 24), "xterm", &[]).await;
    again.wait_for("user alice").await;
    f.wait_sessions(9).await;
    drop((bob_term, again, open));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_ends_the_app_and_it_is_joined() {
    let f = Fixture::start().await;
    // Cut at the TCP level, as a network failure would.
    let stream = std::net::TcpStream::connect(f.addr).unwrap();
    let cut = stream.try_clone().unwrap();
    stream.set_nonblocking(true).unwrap();
    let mut client = Client::over(tokio::net::TcpStream::from_std(stream).unwrap()).await;
    assert!(client.login("alice", &f.alice).await);
    let term = client.terminal((80, 24), "xterm", &[]).await;
    term.wait_for("user alice").await;
    f.wait_sessions(1).await;
    cut.shutdown(std::net::Shutdown::Both).unwrap();
    f.wait_sessions(0).await;
    assert_eq!(f.log.lines(), ["start alice", "closed alice", "end alice"]);

    // The client leaving properly, and the client ending its input, end it the same way.
    let (client, _term) = f.session("bob", &f.bob, (80, 24)).await;
    client.disconnect().await;
    f.wait_sessions(0).await;
    let (_client, term) = f.session("bob", &f.bob, (80, 24)).await;
    term.write.eof().await.unwrap();
    term.wait_closed().await;
    f.wait_sessions(0).await;
    assert_eq!(
        f.log.lines()[3..],
        [
            "start bob",
            "closed bob",
            "end bob",
            "start bob",
            "closed bob",
            "end bob"
        ]
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_error_is_shown_in_one_line_and_the_terminal_restored() {
    let f = Fixture::start().await;
    let (_client, term) = f.session("alice", &f.alice, (80, 24)).await;
    term.send(b"!").await;
    term.wait_closed().await;
    {
        let seen = term.seen.lock().unwrap();
        assert_eq!(seen.exit_status, Some(1));
        assert!(
            !seen.parser.screen().alternate_screen(),
            "back on the main screen"
        );
        let screen = seen.parser.screen().contents();
        assert!(
            screen.contains("owed: the test app failed on purpose"),
            "{screen}"
        );
    }
    f.wait_sessions(0).await;
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_is_ended_with_a_notice() {
    let f = Fixture::with(|s| s.idle_timeout = Some(Duration::from_secs(1))).await;
    let log = serve::log_copies();
    let (_client, me) = f.login_from("alice", &f.alice).await;
    let term = _client.terminal((80, 24), "xterm", &[]).await;
    term.wait_closed().await;
    // The log says it was the idle timeout, and whose (it said only `alice's session
    // ended`, as of a session quit).
    let said = log_of(&log, me, |said| said.len() == 3).await;
    let who = alice_from(me, &f.alice);
    assert_eq!(
        said[1..],
        [
            format!("{who}'s session was cut: 1 minute without input (the idle timeout)"),
            format!("{who}'s session ended: the idle timeout"),
        ]
    );
    assert!(
        term.screen()
            .contains("disconnected after 1 minute without input"),
        "{}",
        term.screen()
    );
    f.wait_sessions(0).await;
    assert_eq!(f.log.lines(), ["start alice", "closed alice", "end alice"]);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_ends_every_session() {
    let f = Fixture::start().await;
    let (_a, ta) = f.session("alice", &f.alice, (80, 24)).await;
    let (_b, tb) = f.session("bob", &f.bob, (80, 24)).await;
    let (log, sessions) = (f.log.clone(), f.sessions.clone());
    f.stop().await;
    assert_eq!(sessions.active(), 0);
    // Each terminal is told why, after the app's last frame: cut first, the line never came.
    for term in [&ta, &tb] {
        term.wait_for("owed: the server is stopping").await;
    }
    let mut lines = log.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            "closed alice",
            "closed bob",
            "end alice",
            "end bob",
            "start alice",
            "start bob"
        ]
    );
}

/// A session whose app is still busy when the server has waited for it is not cut in the
/// app's screen: the terminal is put back and told why before the connection goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_busy_when_the_server_stops_gets_its_terminal_back() {
    let f = Fixture::start().await;
    let (_a, ta) = f.session("alice", &f.alice, (80, 24)).await;
    ta.wait_for("keys 0").await;
    ta.send(b"z").await;
    let log = f.log.clone();
    let deadline = std::time::Instant::now() + PATIENCE;
    while !log.lines().contains(&"busy alice".to_string()) {
        assert!(std::time::Instant::now() < deadline, "{:?}", log.lines());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(ta.seen.lock().unwrap().parser.screen().alternate_screen());
    let stopping = tokio::spawn(f.stop());
    ta.wait_for("owed: the server is stopping").await;
    {
        let seen = ta.seen.lock().unwrap();
        assert!(
            !seen.parser.screen().alternate_screen(),
            "still in the app's screen"
        );
        assert!(!seen.parser.screen().hide_cursor(), "the cursor is hidden");
    }
    // Its channel ends as a session's does, without waiting for the busy app, and the
    // connection stays for the client to leave: cut 0.3 s after the terminal's reset, with
    // no exit status nor close, OpenSSH exited with 255 before writing the reset out.
    ta.wait_closed().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    {
        let seen = ta.seen.lock().unwrap();
        assert_eq!((seen.exit_status, seen.eof), (Some(0), true));
    }
    assert!(!_a.is_closed(), "cut before the client could leave");
    _a.disconnect().await;
    stopping.await.unwrap();
}

/// Every session the stop ends, idle or not, gets its terminal back, the line saying why,
/// its exit status, EOF and close, and then its connection stays until the client leaves,
/// as OpenSSH does at once: a disconnect sent right behind the close made OpenSSH exit with
/// 255 before it had written out the terminal's reset (12 sessions in 19 left in the app's
/// screen). A client that does not leave is cut a while later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_lets_each_client_leave_after_its_session_ends() {
    let f = Fixture::start().await;
    let (a, ta) = f.session("alice", &f.alice, (80, 24)).await;
    let (b, tb) = f.session("bob", &f.bob, (80, 24)).await;
    let stopping = tokio::spawn(f.stop());
    for term in [&ta, &tb] {
        term.wait_closed().await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for term in [&ta, &tb] {
        let seen = term.seen.lock().unwrap();
        let screen = seen.parser.screen();
        assert!(!screen.alternate_screen() && !screen.hide_cursor());
        assert!(screen.contents().contains("owed: the server is stopping"));
        assert_eq!((seen.exit_status, seen.eof), (Some(0), true));
    }
    assert!(
        !a.is_closed() && !b.is_closed(),
        "cut right behind the close"
    );
    // Alice's client leaves; bob's stays, and is cut.
    a.disconnect().await;
    let start = tokio::time::Instant::now();
    while !b.is_closed() {
        assert!(start.elapsed() < PATIENCE, "bob's connection stayed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stopping.await.unwrap();
}

/// `TERM=dumb` over SSH is refused as it is locally: one line, no app, the log says so
/// (the full-screen workstation was drawn on it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dumb_terminal_is_refused_in_one_line() {
    let f = Fixture::start().await;
    let log = serve::log_copies();
    let (client, me) = f.login_from("alice", &f.alice).await;
    for (term, env) in [("dumb", &[][..]), ("xterm", &[("TERM", "DUMB")][..])] {
        let t = client.terminal((80, 24), term, env).await;
        t.wait_closed().await;
        let seen = t.seen.lock().unwrap();
        let stderr = String::from_utf8_lossy(&seen.stderr);
        assert!(
            stderr.contains("the workstation cannot draw on TERM=dumb"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert_eq!(seen.exit_status, Some(1));
        assert!(seen.raw.is_empty(), "drawn: {:?}", seen.raw);
    }
    let said = log_of(&log, me, |said| said.len() == 2).await;
    let refused = format!(
        "refused a session to {}: its terminal is TERM=dumb, which cannot draw the \
         workstation",
        alice_from(me, &f.alice)
    );
    assert_eq!(said, [refused.clone(), refused]);
    assert!(f.log.lines().is_empty(), "no app ran: {:?}", f.log.lines());
    f.stop().await;
}

/// The log says why each session ended: quit, the connection closed, the server stopping
/// (it said `alice's session ended` for all of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_says_why_a_session_ended() {
    let f = Fixture::start().await;
    let log = serve::log_copies();
    let ended = |said: &[String]| {
        said.iter()
            .filter(|l| l.contains("'s session ended"))
            .cloned()
            .collect::<Vec<_>>()
    };
    // Quit.
    let (client, me) = f.login_from("alice", &f.alice).await;
    let t = client.terminal((80, 24), "xterm", &[]).await;
    t.wait_for("user alice").await;
    t.send(b"q").await;
    let said = log_of(&log, me, |said| !ended(said).is_empty()).await;
    let who = alice_from(me, &f.alice);
    assert_eq!(ended(&said), [format!("{who}'s session ended: quit")]);
    // The client gone.
    let (client, me) = f.login_from("alice", &f.alice).await;
    let t = client.terminal((80, 24), "xterm", &[]).await;
    t.wait_for("user alice").await;
    client.disconnect().await;
    let said = log_of(&log, me, |said| !ended(said).is_empty()).await;
    let who = alice_from(me, &f.alice);
    assert_eq!(
        ended(&said),
        [format!("{who}'s session ended: the connection closed")]
    );
    // The server stopping.
    let (client, me) = f.login_from("alice", &f.alice).await;
    let t = client.terminal((80, 24), "xterm", &[]).await;
    t.wait_for("user alice").await;
    let who = alice_from(me, &f.alice);
    let stopping = tokio::spawn(f.stop());
    t.wait_closed().await;
    client.disconnect().await;
    let said = log_of(&log, me, |said| !ended(said).is_empty()).await;
    assert_eq!(
        ended(&said),
        [format!("{who}'s session ended: the server is stopping")]
    );
    stopping.await.unwrap();
}

/// The server's greeting, or `None` when the connection is closed first.
async fn greeting(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 256];
    match tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Ok(_) => None,
        Err(_) => panic!("neither a greeting nor a close"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_do_not_log_in_hold_a_few_places_and_no_more() {
    let f = Fixture::with(|s| s.max_startups_per_source = 2).await;
    // Two connections from this address that never log in are greeted; a third is closed
    // before a byte is read.
    let mut first = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    let mut second = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    assert!(greeting(&mut first).await.unwrap().starts_with("SSH-2.0-"));
    assert!(greeting(&mut second).await.unwrap().starts_with("SSH-2.0-"));
    let mut third = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    assert_eq!(greeting(&mut third).await, None);
    // One ends: its place is free, and alice logs in on it.
    drop(first);
    let mut alice = None;
    for _ in 0..100 {
        if let Some(client) = Client::try_connect(f.addr).await {
            alice = Some(client);
            break;
        }
        // The server has not seen the connection end yet.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut alice = alice.expect("no place freed for alice");
    assert!(alice.login("alice", &f.alice).await);
    // Logged in and nothing opened yet (what a flood of logins does): the place is still
    // hers.
    let mut fourth = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    assert_eq!(greeting(&mut fourth).await, None);
    // Her session gave the place back: another connection is greeted, the next is not.
    let term = alice.terminal((80, 24), "xterm", &[]).await;
    term.wait_for("keys 0").await;
    let mut fifth = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    assert!(greeting(&mut fifth).await.is_some());
    let mut sixth = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    assert_eq!(greeting(&mut sixth).await, None);
    drop((term, alice, second, fifth));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_log_in_in_time_is_cut_and_one_that_did_stays() {
    use tokio::io::AsyncReadExt;
    let f = Fixture::with(|s| s.login_grace = Duration::from_secs(1)).await;
    let (_client, term) = f.session("alice", &f.alice, (80, 24)).await;
    // One that logs in and opens nothing is cut all the same.
    let lazy = Client::logged_in(f.addr, "alice", &f.alice).await;

    // A connection that sends nothing after the server's greeting.
    let mut idle = tokio::net::TcpStream::connect(f.addr).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let cut = tokio::time::timeout(PATIENCE, async {
        loop {
            match idle.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "the silent connection was not cut");
    let start = tokio::time::Instant::now();
    while !lazy.is_closed() {
        assert!(
            start.elapsed() < PATIENCE,
            "the connection that opened nothing was not cut"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Alice logged in before the grace ended: her session goes on after it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    term.send(b"k").await;
    term.wait_for("keys 1 last k").await;
    f.stop().await;
}

/// A connection whose last session has ended is closed a few seconds later: a client that
/// sent `q` and kept its connection stayed for the hour's inactivity timeout, outside the
/// limits on connections logging in and the login grace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_last_session_ended_is_closed() {
    let f = Fixture::start().await;
    let client = f.login("alice", &f.alice).await;
    let one = client.terminal((80, 24), "xterm", &[]).await;
    one.wait_for("user alice").await;
    let two = client.terminal((80, 24), "xterm", &[]).await;
    two.wait_for("user alice").await;
    one.send(b"q").await;
    one.wait_closed().await;
    // Another session runs on it: it stays.
    tokio::time::sleep(serve::session::NO_SESSION_GRACE + Duration::from_secs(1)).await;
    assert!(!client.is_closed());
    two.send(b"k").await;
    two.wait_for("keys 1 last k").await;
    two.send(b"q").await;
    two.wait_closed().await;
    let start = tokio::time::Instant::now();
    while !client.is_closed() {
        assert!(
            start.elapsed() < PATIENCE,
            "the connection stayed with no session open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f.wait_sessions(0).await;
    f.stop().await;
}

/// An RSA key logs in signing with SHA-2 (rsa-sha2-256 or -512), which is what the server
/// advertises; a SHA-1 signature (`ssh-rsa`), which OpenSSH refuses by default since 8.8,
/// was taken and advertised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rsa_key_logs_in_with_sha2_and_not_with_sha1() {
    use russh::keys::HashAlg;
    let f = Fixture::start().await;
    let mut client = Client::connect(f.addr).await;
    assert_eq!(client.best_rsa_hash().await, Some(Some(HashAlg::Sha512)));
    assert!(!client.login_rsa("dave", &f.dave, None).await, "ssh-rsa");
    assert!(
        client
            .login_rsa("dave", &f.dave, Some(HashAlg::Sha256))
            .await
    );
    let mut client = Client::connect(f.addr).await;
    assert!(
        client
            .login_rsa("dave", &f.dave, Some(HashAlg::Sha512))
            .await
    );
    f.stop().await;
}

/// A user removed or given another role after logging in and before opening a session: the
/// session goes by the users as they are when it opens (it started with the old role, and
/// a removed user's session was let in and never cut, even when the server had not yet
/// seen the users change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opened_after_the_users_changed_goes_by_them() {
    let f = Fixture::start().await;
    let bob = f.login("bob", &f.bob).await;
    let alice = f.login("alice", &f.alice).await;
    f.users.set("bob", Some(Role::Collector), false);
    f.users.set("alice", None, false);
    let term = bob.terminal((80, 24), "xterm", &[]).await;
    term.wait_for("user bob collector").await;
    let refused = alice.terminal((80, 24), "xterm", &[]).await;
    refused.wait_closed().await;
    {
        let seen = refused.seen.lock().unwrap();
        let stderr = String::from_utf8_lossy(&seen.stderr);
        assert!(
            stderr.contains("owed: your user or key was removed from this server"),
            "{stderr}"
        );
        assert_eq!(seen.exit_status, Some(1));
    }
    // Her connection goes with it.
    let deadline = std::time::Instant::now() + PATIENCE;
    while !alice.is_closed() {
        assert!(
            std::time::Instant::now() < deadline,
            "alice's connection is open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(f.log.lines(), ["start bob"]);
    // Once the server has seen the change, a session started after it is still cut when the
    // users change again.
    f.users.set("carol", Some(Role::Collector), true);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_carol, carol_term) = f.session("carol", &f.carol, (80, 24)).await;
    f.users.set("carol", None, true);
    carol_term.wait_closed().await;
    assert!(
        carol_term
            .screen()
            .contains("owed: your user or key was removed from this server"),
        "{}",
        carol_term.screen()
    );
    drop(term);
    f.stop().await;
}

/// A connection logged in without a session (`ssh -M -fN`) is closed once its user is
/// removed; one whose user has another role stays, and its session has the new role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_without_a_session_is_closed_when_its_user_is_removed() {
    let f = Fixture::start().await;
    let alice = f.login("alice", &f.alice).await;
    let bob = f.login("bob", &f.bob).await;
    f.users.set("alice", None, true);
    f.users.set("bob", Some(Role::Auditor), true);
    let started = std::time::Instant::now();
    while !alice.is_closed() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "alice's connection is open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!bob.is_closed());
    let term = bob.terminal((80, 24), "xterm", &[]).await;
    term.wait_for("user bob auditor").await;
    drop(term);
    f.stop().await;
}
