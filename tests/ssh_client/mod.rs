//! An SSH client for the tests of `owed serve`: russh's, in-process, with a vt100 screen.
//!
//! It speaks the real protocol to the server (key exchange, authentication, channels), so a
//! test sees what `ssh -p PORT NAME@HOST` would: the frames are parsed by vt100, what arrives
//! on stderr is kept apart, and the channel's success, failure, exit status and close are
//! recorded.

#![allow(dead_code)]

use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use russh::{ChannelMsg, ChannelWriteHalf};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long to wait for something to appear (generous: CI machines can be slow).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A new ed25519 key.
pub fn new_key() -> PrivateKey {
    PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap()
}

/// Records the server's host key; accepts any (the test compares it afterwards).
struct Recorder {
    seen: Arc<Mutex<Option<PublicKey>>>,
}

impl client::Handler for Recorder {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = key {
            *self.seen.lock().unwrap() = Some(key.clone());
        }
        Ok(true)
    }
}

/// A connection to the server.
pub struct Client {
    handle: Handle<Recorder>,
    host_key: Arc<Mutex<Option<PublicKey>>>,
}

impl Client {
    /// Connects (key exchange done, not yet authenticated).
    pub async fn connect(addr: std::net::SocketAddr) -> Client {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        Client::over(stream).await
    }

    /// Connects to `addr` and logs in as `user` with `key`, asserting that it gets in.
    pub async fn logged_in(addr: std::net::SocketAddr, user: &str, key: &PrivateKey) -> Client {
        let mut client = Client::connect(addr).await;
        assert!(client.login(user, key).await, "{user} should get in");
        client
    }

    /// Connects, and the address it connected from (as the server's log names it).
    pub async fn connect_from(addr: std::net::SocketAddr) -> (Client, std::net::SocketAddr) {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let me = stream.local_addr().unwrap();
        (Client::over(stream).await, me)
    }

    /// Asks for `ssh -L`: a channel to `host:port` from the server; whether it opened.
    pub async fn forward_local(&self, host: &str, port: u32) -> bool {
        self.handle
            .channel_open_direct_tcpip(host, port, "127.0.0.1", 40000)
            .await
            .is_ok()
    }

    /// Asks for `ssh -R`: the server to listen on `address:port`; whether it agreed.
    pub async fn forward_remote(&self, address: &str, port: u32) -> bool {
        self.handle.tcpip_forward(address, port).await.is_ok()
    }

    /// Connects over a stream the test made (to cut it later).
    pub async fn over(stream: tokio::net::TcpStream) -> Client {
        Client::try_over(stream)
            .await
            .expect("the key exchange should succeed")
    }

    /// Connects, if the server lets the key exchange happen (`None`: it closed the
    /// connection).
    pub async fn try_connect(addr: std::net::SocketAddr) -> Option<Client> {
        let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        Client::try_over(stream).await
    }

    async fn try_over(stream: tokio::net::TcpStream) -> Option<Client> {
        let seen = Arc::new(Mutex::new(None));
        let config = Arc::new(client::Config {
            nodelay: true,
            ..Default::default()
        });
        let handle = client::connect_stream(config, stream, Recorder { seen: seen.clone() })
            .await
            .ok()?;
        Some(Client {
            handle,
            host_key: seen,
        })
    }

    /// The host key the server showed.
    pub fn host_key(&self) -> PublicKey {
        self.host_key.lock().unwrap().clone().expect("a host key")
    }

    /// Logs in as `user` with `key`; whether the server accepted it.
    pub async fn login(&mut self, user: &str, key: &PrivateKey) -> bool {
        self.login_rsa(user, key, None).await
    }

    /// Logs in as `user` with `key`, an RSA one signing with `hash` (`None`: SHA-1, `ssh-rsa`;
    /// other keys take `None`); whether the server accepted it.
    pub async fn login_rsa(
        &mut self,
        user: &str,
        key: &PrivateKey,
        hash: Option<russh::keys::HashAlg>,
    ) -> bool {
        self.handle
            .authenticate_publickey(
                user,
                PrivateKeyWithHashAlg::new(Arc::new(key.clone()), hash),
            )
            .await
            .unwrap()
            .success()
    }

    /// The best RSA signature the server advertises (`server-sig-algs`): `Some(None)` for
    /// SHA-1 (`ssh-rsa`).
    pub async fn best_rsa_hash(&self) -> Option<Option<russh::keys::HashAlg>> {
        self.handle.best_supported_rsa_hash().await.unwrap()
    }

    /// Logs in as `user` with a password; whether the server accepted it.
    pub async fn login_password(&mut self, user: &str, password: &str) -> bool {
        self.handle
            .authenticate_password(user, password)
            .await
            .unwrap()
            .success()
    }

    /// Tries keyboard-interactive authentication; whether the server let the user in.
    pub async fn login_interactive(&mut self, user: &str) -> bool {
        matches!(
            self.handle
                .authenticate_keyboard_interactive_start(user, None::<String>)
                .await
                .unwrap(),
            client::KeyboardInteractiveAuthResponse::Success
        )
    }

    /// Opens a session channel; `setup` sends its requests (pty, env, shell, exec…).
    pub async fn channel(&self, size: (u16, u16)) -> Term {
        let channel = self.handle.channel_open_session().await.unwrap();
        Term::new(channel, size)
    }

    /// Opens a session with a pty of `size` and `term`, the `env` variables and a shell.
    pub async fn terminal(&self, size: (u16, u16), term: &str, env: &[(&str, &str)]) -> Term {
        let t = self.channel(size).await;
        t.write
            .request_pty(true, term, size.0.into(), size.1.into(), 0, 0, &[])
            .await
            .unwrap();
        for (name, value) in env {
            t.write.set_env(true, *name, *value).await.unwrap();
        }
        t.write.request_shell(true).await.unwrap();
        t
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Says goodbye properly.
    pub async fn disconnect(&self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "bye", "en")
            .await;
    }
}

/// What a channel has received.
pub struct Seen {
    pub parser: vt100::Parser,
    /// Every byte of the session's output, as received.
    pub raw: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Replies to requests, in order: true for success.
    pub replies: Vec<bool>,
    pub exit_status: Option<u32>,
    pub eof: bool,
    pub closed: bool,
}

/// Bumps the message count when dropped (after the message's lock is released).
struct Bump<'a>(&'a tokio::sync::watch::Sender<u64>);

impl Drop for Bump<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n += 1);
    }
}

/// A session channel with a screen.
pub struct Term {
    pub write: ChannelWriteHalf<client::Msg>,
    pub seen: Arc<Mutex<Seen>>,
    /// Counts the messages received, bumped once each is in [`Term::seen`]: a benchmark
    /// waits on it to see a frame as it arrives.
    pub received: tokio::sync::watch::Receiver<u64>,
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n.max(1)).unwrap()
}

impl Term {
    fn new(channel: russh::Channel<client::Msg>, size: (u16, u16)) -> Term {
        let (mut read, write) = channel.split();
        let seen = Arc::new(Mutex::new(Seen {
            parser: vt100::Parser::new(nz(size.1), nz(size.0), 0),
            raw: Vec::new(),
            stderr: Vec::new(),
            replies: Vec::new(),
            exit_status: None,
            eof: false,
            closed: false,
        }));
        let sink = seen.clone();
        let (count, received) = tokio::sync::watch::channel(0u64);
        tokio::spawn(async move {
            while let Some(msg) = read.wait().await {
                let _bump = Bump(&count);
                let mut s = sink.lock().unwrap();
                match msg {
                    ChannelMsg::Data { data } => {
                        s.parser.process(&data);
                        s.raw.extend_from_slice(&data);
                    }
                    ChannelMsg::ExtendedData { data, .. } => s.stderr.extend_from_slice(&data),
                    ChannelMsg::Success => s.replies.push(true),
                    ChannelMsg::Failure => s.replies.push(false),
                    ChannelMsg::ExitStatus { exit_status } => s.exit_status = Some(exit_status),
                    ChannelMsg::Eof => s.eof = true,
                    ChannelMsg::Close => {
                        s.closed = true;
                        break;
                    }
                    _ => {}
                }
            }
            sink.lock().unwrap().closed = true;
        });
        Term {
            write,
            seen,
            received,
        }
    }

    /// Types bytes (one SSH packet).
    pub async fn send(&self, bytes: &[u8]) {
        self.write.data_bytes(bytes.to_vec()).await.unwrap();
    }

    /// Resizes the terminal: the local screen and a window-change to the server.
    pub async fn resize(&self, columns: u16, rows: u16) {
        self.seen
            .lock()
            .unwrap()
            .parser
            .set_size(nz(rows), nz(columns));
        self.write
            .window_change(columns.into(), rows.into(), 0, 0)
            .await
            .unwrap();
    }

    /// The screen's text.
    pub fn screen(&self) -> String {
        self.seen.lock().unwrap().parser.screen().contents()
    }

    /// Waits until `check` holds for what was seen; panics with the screen after
    /// [`PATIENCE`].
    pub async fn wait(&self, what: &str, check: impl Fn(&Seen) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if check(&self.seen.lock().unwrap()) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                let said = {
                    let s = self.seen.lock().unwrap();
                    format!(
                        "screen:\n{}\nstderr: {:?}\nreplies {:?} exit {:?} closed {}",
                        s.parser.screen().contents(),
                        String::from_utf8_lossy(&s.stderr),
                        s.replies,
                        s.exit_status,
                        s.closed
                    )
                };
                panic!("waited {PATIENCE:?} for {what}; {said}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the screen shows `text`.
    pub async fn wait_for(&self, text: &str) {
        self.wait(&format!("`{text}` on screen"), |s| {
            s.parser.screen().contents().contains(text)
        })
        .await;
    }

    /// Waits until the server has closed the channel.
    pub async fn wait_closed(&self) {
        self.wait("the channel to close", |s| s.closed).await;
    }
}
