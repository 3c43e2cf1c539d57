//! A connection's socket that fails once the login grace has passed without a login, and the
//! places for connections that are logging in.
//!
//! OpenSSH's `LoginGraceTime`: a client that connects and never authenticates (it stalls in
//! the version exchange, the key exchange or the authentication) is cut after
//! [`Settings::login_grace`](super::Settings), at the socket, whatever state the protocol is
//! in. Once the connection's first session has started (a key accepted, a terminal asked
//! for) the deadline no longer applies: a client that logs in and opens nothing is cut all
//! the same.
//!
//! OpenSSH's `MaxStartups` and `PerSourceMaxStartups`: until its first session starts, a
//! connection holds
//! one of [`Startups`]' places, at most [`MAX_STARTUPS`] in all and [`MAX_STARTUPS_PER_SOURCE`]
//! from one address (an IPv6 address's /64), and a connection beyond them is closed at once.
//! Connections that never log in (a scanner, a flood) then cannot use up the server's file
//! descriptors, and one address cannot keep the others from logging in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// The most connections logging in at once.
pub const MAX_STARTUPS: usize = 100;
/// The most connections logging in at once from one address.
pub const MAX_STARTUPS_PER_SOURCE: usize = 10;

/// The connections logging in, by where they come from.
#[derive(Debug)]
pub(crate) struct Startups {
    max: usize,
    per_source: usize,
    /// By where they come from (at most [`MAX_STARTUPS`] sources: summed at each).
    pending: Mutex<HashMap<IpAddr, usize>>,
}

impl Startups {
    pub fn new(max: usize, per_source: usize) -> Arc<Startups> {
        Arc::new(Startups {
            max,
            per_source,
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// A place for a connection from `peer` to log in, if there is one.
    pub fn enter(self: &Arc<Self>, peer: IpAddr) -> Option<LoggedIn> {
        let source = source(peer);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let all: usize = pending.values().sum();
        let from = pending.get(&source).copied().unwrap_or(0);
        if all >= self.max || from >= self.per_source {
            return None;
        }
        *pending.entry(source).or_default() += 1;
        Some(Arc::new(Login {
            done: AtomicBool::new(false),
            place: Some((self.clone(), source)),
        }))
    }

    /// The most connections logging in at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The most from one address.
    pub fn per_source(&self) -> usize {
        self.per_source
    }

    /// How many connections are logging in.
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    fn leave(&self, source: IpAddr) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = pending.get_mut(&source) {
            *n -= 1;
            if *n == 0 {
                pending.remove(&source);
            }
        }
    }
}

/// Where a connection comes from, as its place is counted: an IPv4 address, an IPv6
/// address's /64 (one host's share of a network).
fn source(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
        v4 => v4,
    }
}

/// A connection's login: set by its handler when a user has logged in. Until then it holds
/// its place among the [`Startups`], given back at the login or when the connection ends.
#[derive(Debug, Default)]
pub(crate) struct Login {
    done: AtomicBool,
    place: Option<(Arc<Startups>, IpAddr)>,
}

impl Login {
    /// A user has logged in: the deadline no longer applies, the place is given back.
    pub fn set(&self) {
        if !self.done.swap(true, Ordering::AcqRel)
            && let Some((startups, source)) = &self.place
        {
            startups.leave(*source);
        }
    }

    pub fn is_set(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        if !*self.done.get_mut()
            && let Some((startups, source)) = &self.place
        {
            startups.leave(*source);
        }
    }
}

/// Shared by a connection's handler and its socket.
pub(crate) type LoggedIn = Arc<Login>;

/// How many of the first bytes a client sends are kept for the log.
const FIRST_BYTES: usize = 4 * crate::error::QUOTED_CHARS;

/// The first bytes a client sent (up to [`FIRST_BYTES`]) and how many it sent in all: what
/// the log quotes of a connection that ends before the SSH protocol starts (an HTTP request,
/// an SSH-1 client, a banner sent a byte at a time).
#[derive(Debug, Default)]
pub(crate) struct Sent {
    first: Vec<u8>,
    total: u64,
}

impl Sent {
    pub fn record(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = FIRST_BYTES.saturating_sub(self.first.len());
        self.first
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    /// Whether nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// What was sent as a message quotes it: `nothing`, or in backticks on one line with
    /// its control characters shown, cut to [`crate::error::QUOTED_CHARS`] characters with
    /// the number of bytes sent in all.
    pub fn shown(&self) -> String {
        use crate::domain::text::{first_chars, one_line};
        if self.total == 0 {
            return "nothing".into();
        }
        let text = String::from_utf8_lossy(&self.first);
        let kept = first_chars(&text, crate::error::QUOTED_CHARS);
        if kept.len() < text.len() || self.total > self.first.len() as u64 {
            format!("`{}…` ({} bytes)", one_line(kept), self.total)
        } else {
            format!("`{}`", one_line(&text))
        }
    }
}

/// Shared by a connection's socket and the task that logs its end.
pub(crate) type Received = Arc<Mutex<Sent>>;

/// A stream with a login deadline, which keeps the first bytes read from it.
pub(crate) struct Guarded<S> {
    inner: S,
    deadline: Pin<Box<Sleep>>,
    logged_in: LoggedIn,
    received: Received,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, grace: Duration, logged_in: LoggedIn, received: Received) -> Guarded<S> {
        Guarded {
            inner,
            deadline: Box::pin(tokio::time::sleep(grace)),
            logged_in,
            received,
        }
    }

    /// Whether the grace has passed with no login (and registers to be woken when it does).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        !self.logged_in.is_set() && self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "no login in time")
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.expired(cx) {
            return Poll::Ready(Err(timed_out()));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let mut sent = self.received.lock().unwrap_or_else(|e| e.into_inner());
            sent.record(&buf.filled()[before..]);
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.expired(cx) {
            return Poll::Ready(Err(timed_out()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn a_place_to_log_in_is_held_until_the_login_or_the_end() {
        let startups = Startups::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = startups.enter(a).unwrap();
        let second = startups.enter(a).unwrap();
        // Two from one address at most; another address still gets in.
        assert!(startups.enter(a).is_none());
        let third = startups.enter(b).unwrap();
        // Three in all at most.
        assert!(startups.enter("192.0.2.3".parse().unwrap()).is_none());
        assert_eq!(startups.pending(), 3);
        // A login gives its place back, once; so does a connection that ends without one.
        first.set();
        first.set();
        assert_eq!(startups.pending(), 2);
        let again = startups.enter(a).unwrap();
        assert!(startups.enter(a).is_none());
        drop(second);
        drop(first);
        assert_eq!(startups.pending(), 2);
        drop(third);
        drop(again);
        assert_eq!(startups.pending(), 0);
        // A place the login gave back is not given back again when the connection ends.
        let logged = startups.enter(b).unwrap();
        logged.set();
        drop(logged);
        assert_eq!(startups.pending(), 0);
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64() {
        let startups = Startups::new(10, 1);
        let one = startups.enter("2001:db8::1".parse().unwrap()).unwrap();
        assert!(
            startups
                .enter("2001:db8::ffff:1".parse().unwrap())
                .is_none()
        );
        assert!(startups.enter("2001:db8:0:1::1".parse().unwrap()).is_some());
        // An IPv4 client on a dual-stack socket is its IPv4 address.
        let v4 = startups.enter("::ffff:192.0.2.1".parse().unwrap()).unwrap();
        assert!(startups.enter("192.0.2.1".parse().unwrap()).is_none());
        drop((one, v4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_fails_after_the_grace_unless_logged_in() {
        let (a, mut b) = tokio::io::duplex(64);
        let logged_in = LoggedIn::default();
        let mut guarded = Guarded::new(
            a,
            Duration::from_secs(120),
            logged_in.clone(),
            Received::default(),
        );
        b.write_all(b"x").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 1);
        // Nothing more comes: the read waits, and fails when the grace is over.
        let e = guarded.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);

        let (a, mut b) = tokio::io::duplex(64);
        let mut guarded = Guarded::new(
            a,
            Duration::from_secs(120),
            logged_in.clone(),
            Received::default(),
        );
        logged_in.set();
        tokio::time::sleep(Duration::from_secs(600)).await;
        b.write_all(b"y").await.unwrap();
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn the_first_bytes_read_are_kept_escaped_and_cut_for_the_log() {
        let (a, mut b) = tokio::io::duplex(4096);
        let received = Received::default();
        let mut guarded = Guarded::new(
            a,
            Duration::from_secs(120),
            LoggedIn::default(),
            received.clone(),
        );
        assert_eq!(received.lock().unwrap().shown(), "nothing");
        b.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut buf = [0u8; 4096];
        let n = guarded.read(&mut buf).await.unwrap();
        assert_eq!(n, 16);
        let shown = received.lock().unwrap().shown();
        assert!(shown.starts_with("`GET / HTTP/1.1"), "{shown}");
        assert!(!shown.contains('\n') && !shown.contains('\r'), "{shown}");
        // A long stream of escapes: shown, not obeyed, and cut with its length.
        let hostile = b"\x1b[31mX".repeat(500);
        b.write_all(&hostile).await.unwrap();
        let mut read = 0;
        while read < hostile.len() {
            read += guarded.read(&mut buf).await.unwrap();
        }
        let shown = received.lock().unwrap().shown();
        assert!(!shown.contains('\x1b'), "{shown}");
        assert!(
            shown.ends_with(&format!("…` ({} bytes)", 16 + hostile.len())),
            "{shown}"
        );
        assert!(shown.chars().count() < 200, "{shown}");
    }
}
