//! A connection's socket that fails once the login grace has passed without a login.
//!
//! OpenSSH's `LoginGraceTime`: a client that connects and never authenticates (it stalls in
//! the version exchange, the key exchange or the authentication) is cut after
//! [`Settings::login_grace`](super::Settings), at the socket, whatever state the protocol is
//! in. Once the connection's handler has accepted a key the deadline no longer applies.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Set by the connection's handler when a user has logged in.
pub(crate) type LoggedIn = Arc<AtomicBool>;

/// A stream with a login deadline.
pub(crate) struct Guarded<S> {
    inner: S,
    deadline: Pin<Box<Sleep>>,
    logged_in: LoggedIn,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, grace: Duration, logged_in: LoggedIn) -> Guarded<S> {
        Guarded {
            inner,
            deadline: Box::pin(tokio::time::sleep(grace)),
            logged_in,
        }
    }

    /// Whether the grace has passed with no login (and registers to be woken when it does).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        !self.logged_in.load(Ordering::Acquire) && self.deadline.as_mut().poll(cx).is_ready()
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
        Pin::new(&mut self.inner).poll_read(cx, buf)
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

    #[tokio::test(start_paused = true)]
    async fn a_read_fails_after_the_grace_unless_logged_in() {
        let (a, mut b) = tokio::io::duplex(64);
        let logged_in = LoggedIn::default();
        let mut guarded = Guarded::new(a, Duration::from_secs(120), logged_in.clone());
        b.write_all(b"x").await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 1);
        // Nothing more comes: the read waits, and fails when the grace is over.
        let e = guarded.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);

        let (a, mut b) = tokio::io::duplex(64);
        let mut guarded = Guarded::new(a, Duration::from_secs(120), logged_in.clone());
        logged_in.store(true, Ordering::Release);
        tokio::time::sleep(Duration::from_secs(600)).await;
        b.write_all(b"y").await.unwrap();
        assert_eq!(guarded.read(&mut buf).await.unwrap(), 1);
    }
}
