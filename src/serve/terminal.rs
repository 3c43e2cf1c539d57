//! What the client's terminal can show, from what its pty request and environment say.
//!
//! An SSH client sends its `TERM` with the pty request and, when configured to (OpenSSH's
//! `SendEnv LANG LC_*`, the default on Debian), its locale and a few other variables as `env`
//! requests. From those: the colour depth (`*-256color` gives 256 colours, `*-direct` or
//! `COLORTERM=truecolor` 24-bit, `dumb`, `vt100`-like and `*-mono` terminals none, `NO_COLOR`
//! none; everything else the 16 ANSI colours) and whether to draw Unicode (the locale's
//! charset when one was sent, else not for `dumb`, `vt100`-like and `linux` terminals).
//! Names and values are hostile: only the variables listed in [`ACCEPTED_ENV`] are kept,
//! each cut to a sane length.

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// None: bold, reverse and underline only.
    Mono,
    /// The 16 ANSI colours.
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

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
                .map(|(_, v)| v.as_str())
        };
        let term = clean_term(var("TERM").unwrap_or(term)).to_ascii_lowercase();
        let colors = if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            ColorDepth::Mono
        } else {
            term_colors(&term, var("COLORTERM"))
        };
        // POSIX: LC_ALL wins over LC_CTYPE, which wins over LANG; empty ones don't count.
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|v| !v.is_empty());
        let unicode = match locale {
            Some(locale) => {
                let l = locale.to_ascii_lowercase();
                l.contains("utf-8") || l.contains("utf8")
            }
            None => !plain_terminal(&term) && term != "linux",
        };
        Capabilities {
            term,
            colors,
            unicode,
        }
    }
}

/// Terminals with no colour and no Unicode: `dumb`, the VT family, an empty `TERM`.
fn plain_terminal(term: &str) -> bool {
    term.is_empty()
        || term == "dumb"
        || term == "unknown"
        || ["vt52", "vt100", "vt102", "vt220", "vt320", "vt420"]
            .iter()
            .any(|t| term == *t || term.starts_with(&format!("{t}-")))
}

fn term_colors(term: &str, colorterm: Option<&str>) -> ColorDepth {
    if plain_terminal(term) || term.ends_with("-mono") || term.ends_with("-m") {
        return ColorDepth::Mono;
    }
    if matches!(colorterm, Some("truecolor" | "24bit"))
        || term.ends_with("-direct")
        || term.ends_with("-truecolor")
    {
        return ColorDepth::TrueColor;
    }
    if term.ends_with("-256color") || term.ends_with("-256") {
        return ColorDepth::Ansi256;
    }
    ColorDepth::Ansi16
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

    #[test]
    fn colour_depth_from_term() {
        let depth = |term| Capabilities::detect(term, &[]).colors;
        assert_eq!(depth("xterm-256color"), ColorDepth::Ansi256);
        assert_eq!(depth("tmux-256color"), ColorDepth::Ansi256);
        assert_eq!(depth("xterm"), ColorDepth::Ansi16);
        assert_eq!(depth("screen"), ColorDepth::Ansi16);
        assert_eq!(depth("linux"), ColorDepth::Ansi16);
        assert_eq!(depth("xterm-direct"), ColorDepth::TrueColor);
        assert_eq!(depth("dumb"), ColorDepth::Mono);
        assert_eq!(depth("vt100"), ColorDepth::Mono);
        assert_eq!(depth("vt220"), ColorDepth::Mono);
        assert_eq!(depth("xterm-mono"), ColorDepth::Mono);
        assert_eq!(depth(""), ColorDepth::Mono);
    }

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
    }

    #[test]
    fn unicode_from_locale_else_term() {
        let unicode =
            |term, pairs: &[(&str, &str)]| Capabilities::detect(term, &env(pairs)).unicode;
        assert!(unicode("xterm-256color", &[]));
        assert!(!unicode("vt100", &[]));
        assert!(!unicode("linux", &[]));
        assert!(!unicode("dumb", &[]));
        assert!(unicode("linux", &[("LANG", "en_US.UTF-8")]));
        assert!(!unicode("xterm", &[("LANG", "C")]));
        assert!(!unicode("xterm", &[("LANG", "de_DE.ISO-8859-1")]));
        assert!(unicode("xterm", &[("LANG", "C"), ("LC_CTYPE", "C.utf8")]));
        assert!(!unicode(
            "xterm",
            &[("LC_CTYPE", "C.utf8"), ("LC_ALL", "POSIX")]
        ));
        assert!(unicode("xterm", &[("LC_ALL", ""), ("LANG", "fr_FR.UTF-8")]));
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
