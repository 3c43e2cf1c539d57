//! What a terminal can show, from its `TERM` and environment: the one rule for the local
//! terminal (`owed` in a shell) and an SSH client's (`owed serve`, from what its pty request
//! and `env` requests said), so that one terminal is drawn alike either way.
//!
//! - Colour depth: `NO_COLOR` (not empty) none; `dumb`, the VT family, `*-mono` and an empty
//!   `TERM` none; `COLORTERM=truecolor` (or `24bit`), `*-direct` and `*-truecolor` 24-bit;
//!   `*-256color` 256; everything else the 16 ANSI colours.
//! - Unicode: the locale's charset when one is set (`LC_ALL`, else `LC_CTYPE`, else `LANG`:
//!   `C`, `POSIX` and `…ISO-8859-1` mean ASCII), else not for `dumb`, the VT family and the
//!   `linux` console.

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// None: bold, dim, reverse and underline only.
    Mono,
    /// The 16 ANSI colours (the default themes use only these).
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

/// What a terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub colors: ColorDepth,
    /// Unicode (box drawing, bars, `…`); else every cell is drawn in ASCII.
    pub unicode: bool,
}

impl Default for Capabilities {
    /// 16 colours and Unicode: what nearly every terminal of today shows.
    fn default() -> Self {
        Capabilities {
            colors: ColorDepth::Ansi16,
            unicode: true,
        }
    }
}

impl Capabilities {
    /// The capabilities of a terminal named `term` in an environment where `var` reads a
    /// variable (`NO_COLOR`, `COLORTERM`, `LC_ALL`, `LC_CTYPE`, `LANG`); a blank value counts
    /// as unset.
    pub fn detect(term: &str, var: impl Fn(&str) -> Option<String>) -> Capabilities {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let term = term.trim().to_ascii_lowercase();
        let colors = if var("NO_COLOR").is_some() {
            ColorDepth::Mono
        } else {
            term_colors(&term, var("COLORTERM").as_deref())
        };
        // POSIX: LC_ALL wins over LC_CTYPE, which wins over LANG.
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].into_iter().find_map(var);
        let unicode = match locale {
            Some(locale) => {
                let l = locale.to_ascii_lowercase();
                l.contains("utf-8") || l.contains("utf8")
            }
            None => !plain_terminal(&term) && term != "linux",
        };
        Capabilities { colors, unicode }
    }
}

/// The colour depth of a terminal named `term` (lower case) with `COLORTERM` set to
/// `colorterm`.
fn term_colors(term: &str, colorterm: Option<&str>) -> ColorDepth {
    if plain_terminal(term) || term.ends_with("-mono") || term.ends_with("-m") {
        return ColorDepth::Mono;
    }
    let truecolor = colorterm.is_some_and(|c| {
        c.trim().eq_ignore_ascii_case("truecolor") || c.trim().eq_ignore_ascii_case("24bit")
    });
    if truecolor || term.ends_with("-direct") || term.ends_with("-truecolor") {
        return ColorDepth::TrueColor;
    }
    if term.ends_with("-256color") || term.ends_with("-256") {
        return ColorDepth::Ansi256;
    }
    ColorDepth::Ansi16
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

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(term: &str, pairs: &[(&str, &str)]) -> Capabilities {
        Capabilities::detect(term, |name| {
            pairs
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn colour_depth_from_term() {
        let depth = |term| detect(term, &[]).colors;
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
        assert_eq!(depth("XTERM-256COLOR"), ColorDepth::Ansi256);
        assert_eq!(depth(""), ColorDepth::Mono);
    }

    #[test]
    fn environment_overrides_colour() {
        let caps = detect("xterm-256color", &[("NO_COLOR", "1")]);
        assert_eq!(caps.colors, ColorDepth::Mono);
        let caps = detect("xterm-256color", &[("NO_COLOR", "")]);
        assert_eq!(
            caps.colors,
            ColorDepth::Ansi256,
            "an empty NO_COLOR is unset"
        );
        let caps = detect("xterm", &[("COLORTERM", "truecolor")]);
        assert_eq!(caps.colors, ColorDepth::TrueColor);
        let caps = detect("xterm", &[("COLORTERM", "24BIT")]);
        assert_eq!(caps.colors, ColorDepth::TrueColor);
        // A terminal without colour stays without, whatever COLORTERM says.
        let caps = detect("vt220", &[("COLORTERM", "truecolor")]);
        assert_eq!(caps.colors, ColorDepth::Mono);
    }

    #[test]
    fn unicode_from_locale_else_term() {
        let unicode = |term, pairs: &[(&str, &str)]| detect(term, pairs).unicode;
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
        assert!(unicode(
            "xterm",
            &[("LC_ALL", "  "), ("LANG", "fr_FR.UTF-8")]
        ));
    }
}
