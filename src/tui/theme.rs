//! Themes: `themes/*.toml` files mapping semantic style names to colours and attributes.
//!
//! ```toml
//! name = "default"
//! [styles]
//! title = { fg = "black", bg = "cyan", bold = true }
//! "bucket.current" = { fg = "green" }
//! ```
//! Colours are the 16 ANSI names (`black`, `red`, … `lightcyan`, `white`), `reset`, a palette
//! number `"0"` to `"255"` (256 colours), or `#rrggbb` (truecolor: opt-in, since COLORTERM is
//! often lost over SSH). The 16 names are written as 16-colour codes (`ESC[31m`), which every
//! terminal shows; a terminal with fewer colours than a theme uses gets the nearest ones.
//! Attributes: `bold`,
//! `dim`, `italic`, `underline`, `reverse`. A user theme (`themes/NAME.toml` in the config
//! dir, or a path) starts from `extends` (default `"default"`) and changes what it names.
//! `default` uses the 16 ANSI colours only; `256` and `truecolor` the richer shades of those
//! depths; `mono` uses only bold, dim, reverse and underline and is chosen when `NO_COLOR` is set.

use super::remote::ColorDepth;
use crate::domain::text::line_of;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What is wrong with a theme file: the line it is on (none: the file as a whole), and a
/// sentence.
type Fault = (Option<usize>, String);

/// The themes shipped with owed, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("256", include_str!("../../themes/256.toml")),
    ("truecolor", include_str!("../../themes/truecolor.toml")),
];

/// What a style is for. Widgets ask for roles, never for colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Role {
    Title,
    TitleAsOf,
    MetricLabel,
    MetricValue,
    MetricAlert,
    Border,
    Heading,
    Tab,
    TabActive,
    Header,
    Selected,
    Marked,
    Overdue,
    Muted,
    BucketCurrent,
    Bucket1,
    Bucket2,
    Bucket3,
    Bucket4,
    Bucket5,
    ChartSelected,
    FlagDisputed,
    FlagPromised,
    FlagBroken,
    FlagMismatch,
    FlagFollowUp,
    Footer,
    FooterKey,
    Input,
    Error,
    Popup,
    /// What a search found: a document named in the filter, the words of a text search.
    Match,
}

impl Role {
    /// Every role with its name in theme files.
    pub const NAMES: &[(Role, &str)] = &[
        (Role::Title, "title"),
        (Role::TitleAsOf, "title.as_of"),
        (Role::MetricLabel, "metric.label"),
        (Role::MetricValue, "metric.value"),
        (Role::MetricAlert, "metric.alert"),
        (Role::Border, "border"),
        (Role::Heading, "heading"),
        (Role::Tab, "tab"),
        (Role::TabActive, "tab.active"),
        (Role::Header, "header"),
        (Role::Selected, "selected"),
        (Role::Marked, "marked"),
        (Role::Overdue, "overdue"),
        (Role::Muted, "muted"),
        (Role::BucketCurrent, "bucket.current"),
        (Role::Bucket1, "bucket.1"),
        (Role::Bucket2, "bucket.2"),
        (Role::Bucket3, "bucket.3"),
        (Role::Bucket4, "bucket.4"),
        (Role::Bucket5, "bucket.5"),
        (Role::ChartSelected, "chart.selected"),
        (Role::FlagDisputed, "flag.disputed"),
        (Role::FlagPromised, "flag.promised"),
        (Role::FlagBroken, "flag.broken"),
        (Role::FlagMismatch, "flag.mismatch"),
        (Role::FlagFollowUp, "flag.followup"),
        (Role::Footer, "footer"),
        (Role::FooterKey, "footer.key"),
        (Role::Input, "input"),
        (Role::Error, "error"),
        (Role::Popup, "popup"),
        (Role::Match, "match"),
    ];

    fn from_name(name: &str) -> Option<Role> {
        Role::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(r, _)| *r)
    }
}

/// A resolved theme: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    extends: Option<toml::Spanned<String>>,
    /// By name, each keeping its place in the file, for the line of a fault.
    #[serde(default)]
    styles: BTreeMap<toml::Spanned<String>, StyleFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleFile {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reverse: bool,
}

impl Theme {
    /// The style of a role.
    pub fn get(&self, role: Role) -> Style {
        self.styles.get(role as usize).copied().unwrap_or_default()
    }

    /// The style of aging bucket `i` (0 = current; later buckets beyond five share the last).
    pub fn bucket(&self, i: usize) -> Style {
        const BUCKETS: [Role; 6] = [
            Role::BucketCurrent,
            Role::Bucket1,
            Role::Bucket2,
            Role::Bucket3,
            Role::Bucket4,
            Role::Bucket5,
        ];
        self.get(BUCKETS[i.min(BUCKETS.len() - 1)])
    }

    /// Whether the theme uses no colour at all (`mono`): bold, dim, reverse and underline only.
    pub fn colourless(&self) -> bool {
        self.styles
            .iter()
            .flat_map(|s| [s.fg, s.bg])
            .flatten()
            .all(|c| c == Color::Reset)
    }

    /// The richest colour depth the theme uses: 24-bit when it names a `#rrggbb`, 256 colours
    /// when a palette number above 15, else the 16 ANSI colours (`mono` too). The attachment
    /// viewer draws pictures within it, so a 16-colour theme's screen stays in 16 colours;
    /// a terminal with fewer colours gets the nearest of its own when the cells are written.
    pub fn depth(&self) -> ColorDepth {
        let colours = self.styles.iter().flat_map(|s| [s.fg, s.bg]).flatten();
        let mut depth = ColorDepth::Ansi16;
        for c in colours {
            match c {
                Color::Rgb(..) => return ColorDepth::TrueColor,
                Color::Indexed(i) if i >= 16 => depth = ColorDepth::Ansi256,
                _ => {}
            }
        }
        depth
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let text = BUILTIN.iter().find(|(n, _)| *n == name)?.1;
        Theme::parse(text, None).ok()
    }

    /// The theme for this session: `explicit` (`--theme`) wins; else `NO_COLOR` gives `mono`;
    /// else the config's `theme`; else `default`. A name is looked up as `themes/NAME.toml`
    /// in `config_dir`, then among the built-in themes; a value with a `/` or ending in
    /// `.toml` is a path.
    pub fn choose(
        explicit: Option<&str>,
        configured: Option<&str>,
        no_color: bool,
        config_dir: Option<&Path>,
    ) -> crate::Result<Theme> {
        let name = match (explicit, no_color, configured) {
            (Some(n), _, _) => n,
            (None, true, _) => "mono",
            (None, false, Some(n)) => n,
            (None, false, None) => "default",
        };
        Theme::load(name, config_dir)
    }

    /// Loads a theme by name or path (see [`Theme::choose`]).
    pub fn load(name: &str, config_dir: Option<&Path>) -> crate::Result<Theme> {
        let as_path = name.contains('/') || name.ends_with(".toml");
        let user_file: Option<PathBuf> = if as_path {
            Some(PathBuf::from(name))
        } else {
            config_dir
                .map(|d| d.join("themes").join(format!("{name}.toml")))
                .filter(|p| p.exists())
        };
        if let Some(path) = user_file {
            let text = crate::files::read_text(&path, "theme ")?;
            return Theme::parse_file(&text, Some(name)).map_err(|(line, e)| {
                let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
                crate::Error::input(format!("{}{at}: {e}", path.display()))
            });
        }
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => Theme::parse(text, None).map_err(crate::Error::runtime),
            None => Err(crate::Error::input(format!(
                "no theme `{name}` (built in: {}; or put {name}.toml in the themes folder of the config dir)",
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Parses theme TOML. A built-in theme (`fallback_name` is `None`) must define every role;
    /// a user theme starts from its `extends`.
    pub fn parse(text: &str, fallback_name: Option<&str>) -> Result<Theme, String> {
        Theme::parse_file(text, fallback_name).map_err(|(line, e)| match line {
            Some(l) => format!("line {l}: {e}"),
            None => e,
        })
    }

    /// [`Theme::parse`]; a fault names the line of the style or `extends` it is about, as
    /// TOML's own errors name theirs.
    fn parse_file(text: &str, fallback_name: Option<&str>) -> Result<Theme, Fault> {
        let file: ThemeFile =
            toml::from_str(text).map_err(|e| (None, e.to_string().trim().to_string()))?;
        let mut styles: Vec<Option<Style>> = vec![None; Role::NAMES.len()];
        if fallback_name.is_some() || file.extends.is_some() {
            let base_name = file.extends.as_ref().map_or("default", |e| e.get_ref());
            let base_text = BUILTIN
                .iter()
                .find(|(n, _)| *n == base_name)
                .ok_or_else(|| {
                    (
                        file.extends.as_ref().map(|e| line_of(text, e.span().start)),
                        format!("`extends = \"{base_name}\"` is not a built-in theme"),
                    )
                })?
                .1;
            let base = Theme::parse_file(base_text, None)?;
            styles = base.styles.into_iter().map(Some).collect();
        }
        for (name, spec) in &file.styles {
            let line = Some(line_of(text, name.span().start));
            let name = name.get_ref();
            let role = Role::from_name(name).ok_or_else(|| {
                (
                    line,
                    format!("unknown style `{name}` (known: {})", known_names()),
                )
            })?;
            styles[role as usize] =
                Some(style_of(spec).map_err(|e| (line, format!("`{name}`: {e}")))?);
        }
        let missing: Vec<&str> = Role::NAMES
            .iter()
            .filter(|(r, _)| styles[*r as usize].is_none())
            .map(|(_, n)| *n)
            .collect();
        if !missing.is_empty() {
            return Err((
                None,
                format!("the theme does not define {}", missing.join(", ")),
            ));
        }
        Ok(Theme {
            name: file
                .name
                .or_else(|| fallback_name.map(str::to_string))
                .unwrap_or_else(|| "unnamed".into()),
            styles: styles.into_iter().map(Option::unwrap_or_default).collect(),
        })
    }
}

fn known_names() -> String {
    Role::NAMES
        .iter()
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn style_of(spec: &StyleFile) -> Result<Style, String> {
    let mut style = Style::default();
    if let Some(fg) = &spec.fg {
        style = style.fg(color(fg)?);
    }
    if let Some(bg) = &spec.bg {
        style = style.bg(color(bg)?);
    }
    let flags = [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.reverse, Modifier::REVERSED),
    ];
    for (on, modifier) in flags {
        if on {
            style = style.add_modifier(modifier);
        }
    }
    Ok(style)
}

fn color(name: &str) -> Result<Color, String> {
    let lower = name.to_ascii_lowercase().replace(['_', '-', ' '], "");
    Ok(match lower.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        n if !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()) => {
            let i: u16 = n.parse().unwrap_or(u16::MAX);
            Color::Indexed(
                u8::try_from(i)
                    .map_err(|_| format!("`{name}` is not a palette colour (0 to 255)"))?,
            )
        }
        hex if hex.starts_with('#') && hex.len() == 7 => {
            let v = u32::from_str_radix(&hex[1..], 16)
                .map_err(|_| format!("`{name}` is not a #rrggbb colour"))?;
            Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
        }
        _ => {
            return Err(format!(
                "`{name}` is not a colour (the 16 ANSI names, reset, a palette number 0 to 255, or #rrggbb)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colours(theme: &Theme) -> Vec<Color> {
        theme
            .styles
            .iter()
            .flat_map(|s| [s.fg, s.bg])
            .flatten()
            .collect()
    }

    #[test]
    fn every_builtin_theme_defines_every_role() {
        for (name, text) in BUILTIN {
            let theme = Theme::parse(text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, *name);
        }
    }

    #[test]
    fn default_uses_only_the_16_ansi_colours_and_mono_none() {
        let default = Theme::builtin("default").unwrap();
        assert!(
            colours(&default)
                .iter()
                .all(|c| !matches!(c, Color::Rgb(..) | Color::Indexed(_)))
        );
        let mono = Theme::builtin("mono").unwrap();
        assert!(
            colours(&mono).iter().all(|c| *c == Color::Reset),
            "{:?}",
            colours(&mono)
        );
        assert!(
            mono.get(Role::Selected)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn the_256_and_truecolor_themes_use_their_depth() {
        let t = Theme::builtin("256").unwrap();
        assert!(
            colours(&t)
                .iter()
                .any(|c| matches!(c, Color::Indexed(i) if *i >= 16))
        );
        assert!(!colours(&t).iter().any(|c| matches!(c, Color::Rgb(..))));
        let t = Theme::builtin("truecolor").unwrap();
        assert!(colours(&t).iter().all(|c| matches!(c, Color::Rgb(..))));
        // And say so, for the pictures drawn under them.
        assert_eq!(t.depth(), ColorDepth::TrueColor);
        assert_eq!(Theme::builtin("256").unwrap().depth(), ColorDepth::Ansi256);
        for name in ["default", "light", "mono"] {
            assert_eq!(Theme::builtin(name).unwrap().depth(), ColorDepth::Ansi16);
        }
        assert!(Theme::builtin("mono").unwrap().colourless());
        assert!(!Theme::builtin("default").unwrap().colourless());
    }

    #[test]
    fn choosing_a_theme() {
        assert_eq!(Theme::choose(None, None, true, None).unwrap().name, "mono");
        assert_eq!(
            Theme::choose(None, Some("light"), false, None)
                .unwrap()
                .name,
            "light"
        );
        assert_eq!(
            Theme::choose(Some("default"), None, true, None)
                .unwrap()
                .name,
            "default"
        );
        let e = Theme::choose(Some("neon"), None, false, None).unwrap_err();
        assert!(e.to_string().contains("no theme `neon`"), "{e}");
    }

    #[test]
    fn user_themes_extend_a_builtin_and_errors_name_the_style() {
        let t = Theme::parse(
            "extends = \"mono\"\n[styles]\noverdue = { fg = \"#ff0000\", bold = true }",
            Some("mine"),
        )
        .unwrap();
        assert_eq!(t.name, "mine");
        assert_eq!(t.get(Role::Overdue).fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(
            t.get(Role::Selected),
            Theme::builtin("mono").unwrap().get(Role::Selected)
        );
        let e = Theme::parse("[styles]\nfancy = {}", Some("x")).unwrap_err();
        assert!(e.contains("unknown style `fancy`"), "{e}");
        let e = Theme::parse("[styles]\ntitle = { fg = \"puce\" }", Some("x")).unwrap_err();
        assert!(e.contains("`title`: `puce` is not a colour"), "{e}");
        let t = Theme::parse("[styles]\ntitle = { fg = \"208\" }", Some("x")).unwrap();
        assert_eq!(t.get(Role::Title).fg, Some(Color::Indexed(208)));
        let e = Theme::parse("[styles]\ntitle = { fg = \"256\" }", Some("x")).unwrap_err();
        assert!(e.contains("not a palette colour"), "{e}");
    }

    /// Value errors named no line, where TOML's own errors in the same file name one.
    #[test]
    fn a_bad_style_names_its_line_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Theme::load(path.to_str().unwrap(), None)
                .unwrap_err()
                .to_string()
        };
        let at = |line: usize| format!("{}, line {line}: ", path.display());
        let e = load("name = \"mine\"\n\n[styles]\ntitle = { fg = \"redd\" }\n");
        assert!(
            e.starts_with(&format!("{}`title`: `redd` is not a colour", at(4))),
            "{e}"
        );
        let e = load("[styles]\noverdue = { bold = true }\ntitel = { fg = \"red\" }\n");
        assert!(
            e.starts_with(&format!("{}unknown style `titel`", at(3))),
            "{e}"
        );
        let e = load("# mine\nextends = \"neon\"\n");
        assert!(
            e.starts_with(&format!(
                "{}`extends = \"neon\"` is not a built-in theme",
                at(2)
            )),
            "{e}"
        );
        // A table of its own is named by its header's line.
        let e = load("[styles]\n[styles.title]\nfg = \"puce\"\n");
        assert!(e.starts_with(&at(2)) || e.starts_with(&at(3)), "{e}");
    }

    /// Saved in Windows-1252: the place of the byte, not the reader's own words.
    #[test]
    fn a_theme_that_is_not_utf8_names_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sepia.toml");
        std::fs::write(&path, b"name = \"s\xe9pia\"\n").unwrap();
        assert_eq!(
            Theme::load(path.to_str().unwrap(), None)
                .unwrap_err()
                .to_string(),
            format!(
                "{}, line 1, column 10: not valid UTF-8 (the byte 0xE9; save the theme as UTF-8)",
                path.display()
            )
        );
    }
}
