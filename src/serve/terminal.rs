//! What the client's terminal can show, from what its pty request and environment say.
//!
//! An SSH client sends its `TERM` with the pty request and, when configured to (OpenSSH's
//! `SendEnv LANG LC_*`, the default on Debian), its locale and a few other variables as `env`
//! requests. From those, by the rule the local terminal is read by ([`crate::terminal`]): the
//! colour depth and whether to draw Unicode. Names and values are hostile: only the variables listed in [`ACCEPTED_ENV`] are kept,
//! each cut to a sane length.

pub use crate::terminal::ColorDepth;

/// What a session's terminal can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// The client's `TERM`, cleaned (letters, digits and `.`, `_`, `+`, `-` only).
    pub term: String,
    pub colors: ColorDepth,
    /// Whether to draw Unicode (box drawing, blocks, `…`); else plain ASCII.
    pub unicode: bool,
}

/// The environment variables a client may set for its session; others are refused.
pub const ACCEPTED_ENV: [&str; 6] = [
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "NO_COLOR",
    "COLORTERM",
    "TERM",
];

/// The longest `TERM` kept.
const MAX_TERM: usize = 64;
/// The longest environment value kept.
const MAX_ENV_VALUE: usize = 256;

/// Whether an `env` request for `name` is accepted.
pub fn accepts_env(name: &str) -> bool {
    ACCEPTED_ENV.contains(&name)
}

/// An environment value as kept: cut to `MAX_ENV_VALUE` bytes, control characters dropped.
pub fn clean_env_value(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .scan(0, |len, c| {
            *len += c.len_utf8();
            (*len <= MAX_ENV_VALUE).then_some(c)
        })
        .collect()
}

/// A `TERM` as kept: its safe characters, at most `MAX_TERM` of them.
pub fn clean_term(term: &str) -> String {
    term.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
        .take(MAX_TERM)
        .collect()
}

impl Capabilities {
    /// The capabilities of a terminal named `term` with the environment `env` the client sent
    /// (name, value pairs; a later pair overrides an earlier one of the same name).
    pub fn detect(term: &str, env: &[(String, String)]) -> Capabilities {
        let var = |name: &str| {
            env.iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let term = clean_term(var("TERM").as_deref().unwrap_or(term)).to_ascii_lowercase();
        let shown = crate::terminal::Capabilities::detect(&term, var);
        Capabilities {
            term,
            colors: shown.colors,
            unicode: shown.unicode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// The client's variables reach the rule; a later pair overrides an earlier one, and the
    /// `TERM` of an `env` request the pty request's.
    #[test]
    fn environment_overrides_colour() {
        let caps = Capabilities::detect("xterm-256color", &env(&[("NO_COLOR", "1")]));
        assert_eq!(caps.colors, ColorDepth::Mono);
        let caps = Capabilities::detect("xterm-256color", &env(&[("NO_COLOR", "")]));
        assert_eq!(
            caps.colors,
            ColorDepth::Ansi256,
            "an empty NO_COLOR is unset"
        );
        let caps = Capabilities::detect("xterm", &env(&[("COLORTERM", "truecolor")]));
        assert_eq!(caps.colors, ColorDepth::TrueColor);
        let caps = Capabilities::detect("xterm", &env(&[("LANG", "C"), ("LANG", "C.UTF-8")]));
        assert!(caps.unicode);
        let caps = Capabilities::detect("xterm-256color", &env(&[("TERM", "vt220")]));
        assert_eq!(
            (caps.term.as_str(), caps.colors),
            ("vt220", ColorDepth::Mono)
        );
    }

    #[test]
    fn hostile_names_and_values_are_cleaned() {
        let caps = Capabilities::detect("xterm\x1b[31m-256color\n", &[]);
        assert_eq!(caps.term, "xterm31m-256color");
        assert_eq!(clean_term(&"x".repeat(1000)).len(), MAX_TERM);
        assert_eq!(clean_env_value("en_US.UTF-8\r\n\x1b"), "en_US.UTF-8");
        assert_eq!(clean_env_value(&"é".repeat(1000)).len(), MAX_ENV_VALUE);
        assert!(accepts_env("LANG") && !accepts_env("LD_PRELOAD") && !accepts_env("PATH"));
    }
}
