//! A real SMTP server on loopback for the tests (mailin-embedded), collecting what it
//! receives. It runs on its own thread until the test process ends.
#![allow(dead_code)]

use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    /// Envelope recipients (RCPT TO).
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    /// The message as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The header block, unfolded: one entry per header, `(name, value)`.
    pub fn headers(&self) -> Vec<(String, String)> {
        let text = self.text().replace("\r\n", "\n");
        let head = text.split("\n\n").next().unwrap_or("").to_string();
        let mut out: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = out.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                out.push((name.trim().to_string(), value.trim().to_string()));
            } else {
                out.push((line.to_string(), String::new()));
            }
        }
        out
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

#[derive(Clone)]
struct Collect {
    inbox: Arc<Mutex<Vec<Received>>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collect {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.inbox.lock().unwrap().push(Received {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
        });
        response::OK
    }
}

/// A running server: its port and what it received.
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let handler = Collect {
            inbox: inbox.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(handler);
        server
            .with_name("test.localhost")
            .with_num_threads(8)
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, inbox }
    }

    /// What was received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// The envelope's recipients of each message received so far, in order.
    pub fn recipients(&self) -> Vec<String> {
        self.received().into_iter().flat_map(|m| m.to).collect()
    }
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Where a [`ScriptedServer`] stops answering (it keeps the connection open and reads on,
/// as a server that hangs does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangAt {
    /// Accepts the connection and sends no greeting.
    Greeting,
    Ehlo,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    /// No answer to the DATA command (the message is never handed over).
    Data,
    /// Reads the message and its terminating dot, then never answers (handed over).
    Dot,
}

/// What a [`ScriptedServer`] does.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Where it hangs; `None` answers everything.
    pub hang_at: Option<HangAt>,
    /// Offer STARTTLS in the EHLO answer.
    pub starttls: bool,
    /// Offer AUTH PLAIN LOGIN in the EHLO answer.
    pub auth: bool,
    /// The answer to AUTH (default `235 2.7.0 ok`).
    pub auth_answer: Option<&'static str>,
    /// It hangs only once it has received this many messages (default 0: at once): a run
    /// that delivers some, then hangs.
    pub after_messages: usize,
    /// A recipient it refuses (550) at RCPT TO: any address holding this text.
    pub refuse_rcpt: Option<&'static str>,
}

/// A tiny SMTP server on loopback, written for the tests: it answers the dialogue as
/// scripted and stops answering at the chosen step. It records every line it was sent and
/// how many connections and messages it had.
pub struct ScriptedServer {
    pub port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    connections: Arc<std::sync::atomic::AtomicUsize>,
    messages: Arc<std::sync::atomic::AtomicUsize>,
}

impl ScriptedServer {
    /// Starts a server that hangs at `hang_at`.
    pub fn hanging_at(hang_at: HangAt) -> ScriptedServer {
        ScriptedServer::start(Script {
            hang_at: Some(hang_at),
            ..Script::default()
        })
    }

    /// Starts a server following `script` on a free loopback port.
    pub fn start(script: Script) -> ScriptedServer {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let messages = Arc::new(AtomicUsize::new(0));
        let (l, c, m) = (lines.clone(), connections.clone(), messages.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let (script, l, m) = (script.clone(), l.clone(), m.clone());
                std::thread::spawn(move || {
                    let _ = converse(stream, &script, &l, &m);
                });
            }
        });
        ScriptedServer {
            port,
            lines,
            connections,
            messages,
        }
    }

    /// Every line received, in order (message bodies excluded).
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// How many connections it accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many messages (with their terminating dot) it read.
    pub fn messages(&self) -> usize {
        self.messages.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits (up to 30 s) until a received line starts with `prefix`.
    pub fn wait_for_line(&self, prefix: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !self.lines().iter().any(|l| l.starts_with(prefix)) {
            assert!(
                std::time::Instant::now() < deadline,
                "no `{prefix}` line: {:?}",
                self.lines()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Reads a message's lines up to the lone `.` that ends it; false when the client went away
/// first.
fn read_to_dot(input: &mut impl std::io::BufRead) -> std::io::Result<bool> {
    for line in std::io::BufRead::lines(&mut *input) {
        if line? == "." {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One connection of a [`ScriptedServer`].
fn converse(
    stream: std::net::TcpStream,
    script: &Script,
    lines: &Mutex<Vec<String>>,
    messages: &std::sync::atomic::AtomicUsize,
) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    // Hanging: read (and drop) whatever comes until the client goes away.
    let hang = |input: &mut BufReader<std::net::TcpStream>| {
        let mut sink = [0u8; 1024];
        while matches!(input.read(&mut sink), Ok(n) if n > 0) {}
    };
    if script.hang_at == Some(HangAt::Greeting) {
        hang(&mut input);
        return Ok(());
    }
    out.write_all(b"220 scripted.localhost ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        lines.lock().unwrap().push(command.clone());
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let step = match verb.as_str() {
            "EHLO" | "HELO" => Some(HangAt::Ehlo),
            "STARTTLS" => Some(HangAt::StartTls),
            "AUTH" => Some(HangAt::Auth),
            "MAIL" => Some(HangAt::Mail),
            "RCPT" => Some(HangAt::Rcpt),
            "DATA" => Some(HangAt::Data),
            _ => None,
        };
        let hangs_now = messages.load(std::sync::atomic::Ordering::SeqCst) >= script.after_messages;
        if step.is_some() && step == script.hang_at && hangs_now {
            hang(&mut input);
            return Ok(());
        }
        match verb.as_str() {
            "EHLO" | "HELO" => {
                let mut answer = String::from("250-scripted.localhost\r\n250-8BITMIME\r\n");
                if script.starttls {
                    answer.push_str("250-STARTTLS\r\n");
                }
                if script.auth {
                    answer.push_str("250-AUTH PLAIN LOGIN\r\n");
                }
                answer.push_str("250 SMTPUTF8\r\n");
                out.write_all(answer.as_bytes())?;
            }
            "STARTTLS" => out.write_all(b"454 4.7.0 TLS not available\r\n")?,
            "AUTH" => {
                let answer = script.auth_answer.unwrap_or("235 2.7.0 ok");
                out.write_all(format!("{answer}\r\n").as_bytes())?;
            }
            "RCPT" if script.refuse_rcpt.is_some_and(|r| command.contains(r)) => {
                out.write_all(b"550 5.1.1 no such user\r\n")?;
            }
            "MAIL" | "RCPT" | "RSET" | "NOOP" => out.write_all(b"250 2.0.0 ok\r\n")?,
            "DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                if !read_to_dot(&mut input)? {
                    return Ok(());
                }
                let before = messages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if script.hang_at == Some(HangAt::Dot) && before >= script.after_messages {
                    hang(&mut input);
                    return Ok(());
                }
                out.write_all(b"250 2.0.0 queued\r\n")?;
            }
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 5.5.1 unknown command\r\n")?,
        }
    }
}
