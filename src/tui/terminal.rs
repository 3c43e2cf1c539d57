//! The terminal the workstation draws on: raw mode on the alternate screen, cursor hidden,
//! bracketed paste (a paste arrives as one text, not as keys), no mouse capture; put back on
//! every way out, and handed back and forth around a suspend.
//!
//! - [`Guard`] enters the workstation's modes and [`restore`]s the terminal when dropped, or
//!   when anything panics that the service does not catch and answer (its threads say so with
//!   [`crate::error::panics_handled_on_this_thread`]).
//! - [`watch_signals`]: SIGTERM, SIGHUP (an SSH connection that drops) and SIGINT end the
//!   workstation the ordinary way (the loop returns, the guard restores the terminal, the exit
//!   code is 128 + the signal's number); SIGTSTP suspends it; SIGCONT takes the terminal back
//!   and draws the whole frame again. The signals arrive on a thread of their own and reach
//!   the loop as [`Signal`]s. A loop that does not end within [`GRACE`] of a terminating
//!   signal, or a second such signal, restores the terminal from that thread and exits.
//! - Ctrl-Z: raw mode turns the terminal's own suspend key off, so the keymap binds it to
//!   `suspend`, and the loop runs [`stop`] with the terminal restored around it: the process
//!   stops as a shell expects, and when it is continued (`fg`) raw mode and the alternate
//!   screen come back ([`reclaim`]) and the whole frame is drawn again, as vim and mutt do.
//! - `kill -9` cannot be caught: nothing restores the terminal then (`reset` does).

use crate::Result;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// What a signal asks of the workstation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM, SIGHUP or SIGINT (its number): restore the terminal and end.
    Terminate(i32),
    /// SIGTSTP: restore the terminal and stop until continued.
    Suspend,
    /// SIGCONT: take the terminal back (a shell may have reset its modes) and redraw.
    Continue,
}

/// How long the loop has to end after a terminating signal before the signal thread
/// restores the terminal and exits by itself.
pub const GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Whether the terminal is in the workstation's modes (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The terminating signal the watch has seen (0: none yet).
static ENDING: AtomicI32 = AtomicI32::new(0);

/// Puts the terminal in raw mode on the alternate screen, and puts it back when dropped, or
/// when anything panics.
pub struct Guard;

impl Guard {
    pub fn enter() -> Result<Guard> {
        install_panic_hook();
        crossterm::terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = Guard;
        enter_screen()?;
        Ok(guard)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen, shows the cursor and leaves raw mode, once. In the
/// background (stopped, then continued by `kill` without `fg`) the terminal's modes are the
/// shell's, which it set when the job stopped: they are left alone (setting them there stopped
/// the process again, on SIGTTOU).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(
            out,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        );
        if in_foreground() {
            let _ = crossterm::terminal::disable_raw_mode();
        }
        let _ = out.flush();
    }
}

/// Whether this process is in its terminal's foreground (true without a terminal): only
/// then may it set the terminal's modes without being stopped for it (SIGTTOU).
fn in_foreground() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: `tcgetpgrp` and `getpgrp` only read the process's and the descriptor's state.
        unsafe {
            let owner = libc::tcgetpgrp(libc::STDIN_FILENO);
            owner < 0 || owner == libc::getpgrp()
        }
    }
    #[cfg(not(unix))]
    true
}

/// After a stop: waits until the terminal is this process's again (`fg`), or a terminating
/// signal has come (its number: the workstation ends without taking the terminal back).
/// Continued in the background (`kill -TERM %1` sends SIGCONT behind the signal), taking the
/// terminal back stopped the process again (SIGTTOU), and it stayed stopped until `fg`.
pub fn wait_for_terminal() -> Option<i32> {
    loop {
        match ENDING.load(Ordering::SeqCst) {
            0 => {}
            n => return Some(n),
        }
        if in_foreground() {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Puts the terminal back in the workstation's modes after [`restore`] or a stop: raw mode
/// set again even if crossterm believes it still is (a shell resets the modes of a job it
/// stops), the alternate screen, the cursor hidden. The caller draws the whole frame.
///
/// When the terminal is still raw (a `SIGCONT` after the workstation took it back itself), its
/// modes are left alone: leaving raw mode to enter it again would echo keys typed in between.
pub fn reclaim() -> Result<()> {
    let believed = crossterm::terminal::is_raw_mode_enabled().unwrap_or(false);
    if !(believed && terminal_is_raw()) {
        let _ = crossterm::terminal::disable_raw_mode();
        crossterm::terminal::enable_raw_mode()?;
    }
    ACTIVE.store(true, Ordering::SeqCst);
    enter_screen()
}

/// The alternate screen, bracketed paste, the cursor hidden.
fn enter_screen() -> Result<()> {
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    Ok(())
}

/// Whether the terminal on standard input reads keys one by one without echoing them (false
/// when standard input is not a terminal: then its modes are set again).
fn terminal_is_raw() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: `isatty` and `tcgetattr` only read the descriptor's state into `t`, a plain
        // C struct that lives for the call.
        unsafe {
            if libc::isatty(libc::STDIN_FILENO) != 1 {
                return false;
            }
            let mut t: libc::termios = std::mem::zeroed();
            libc::tcgetattr(libc::STDIN_FILENO, &mut t) == 0
                && t.c_lflag & (libc::ICANON | libc::ECHO) == 0
        }
    }
    #[cfg(not(unix))]
    false
}

/// Stops the process until it is continued (SIGSTOP, which cannot be caught: the shell sees
/// a stopped job). The terminal must have been [`restore`]d.
pub fn stop() {
    #[cfg(unix)]
    let _ = signal_hook::low_level::raise(signal_hook::consts::SIGSTOP);
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A panic the service catches and answers (a portfolio's worker, an export's thread)
        // leaves the workstation running: the terminal stays its own, and `Ctrl-L` draws the
        // screen again over the message. Any other panic may end it: the terminal comes back.
        if !crate::error::panic_is_handled() {
            restore();
        }
        previous(info);
    }));
}

/// The signal watcher; dropping it stops the watch.
pub struct SignalWatch {
    #[cfg(unix)]
    handle: signal_hook::iterator::Handle,
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        #[cfg(unix)]
        self.handle.close();
    }
}

/// Watches SIGTERM, SIGHUP, SIGINT, SIGTSTP and SIGCONT on a thread of its own and hands
/// each to `send` (which returns false once the loop is gone).
///
/// While another program has the terminal (the editor), SIGTSTP stops the process at once,
/// as it would without the watch (the editor's job stops whole). A terminating signal the
/// loop has not acted on within [`GRACE`] while the workstation holds the terminal, or a
/// second one, restores the terminal here and exits with 128 + its number.
#[cfg(unix)]
pub fn watch_signals(send: impl Fn(Signal) -> bool + Send + 'static) -> Result<SignalWatch> {
    use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGTERM, SIGTSTP};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGTSTP, SIGCONT])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("owed-signals".into())
        .spawn(move || {
            let mut terminating = false;
            for signal in signals.forever() {
                let event = match signal {
                    SIGTSTP if !ACTIVE.load(Ordering::SeqCst) => {
                        stop();
                        continue;
                    }
                    SIGTSTP => Signal::Suspend,
                    SIGCONT => Signal::Continue,
                    n if terminating => {
                        restore();
                        std::process::exit(128 + n);
                    }
                    n => {
                        terminating = true;
                        ENDING.store(n, Ordering::SeqCst);
                        std::thread::spawn(move || {
                            std::thread::sleep(GRACE);
                            if ACTIVE.load(Ordering::SeqCst) {
                                restore();
                                std::process::exit(128 + n);
                            }
                        });
                        Signal::Terminate(n)
                    }
                };
                if !send(event) {
                    return;
                }
            }
        })
        .map_err(|e| crate::Error::runtime(format!("cannot watch signals: {e}")))?;
    Ok(SignalWatch { handle })
}

/// No signals to watch here.
#[cfg(not(unix))]
pub fn watch_signals(_send: impl Fn(Signal) -> bool + Send + 'static) -> Result<SignalWatch> {
    Ok(SignalWatch {})
}
