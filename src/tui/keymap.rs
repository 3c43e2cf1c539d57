//! The keymap: `config/keymap.toml` (embedded) merged with the user's `keymap.toml`.
//!
//! Each section names a context and lists its bindings, each carrying its own help text:
//! ```toml
//! [queue]
//! keymap = [
//!   { on = "j", run = "down", desc = "Move down" },
//!   { on = ["g", "g"], run = "top", desc = "First row" },
//! ]
//! ```
//! Keys are written as typed (`j`, `G`, `?`) or in angle brackets (`<Enter>`, `<Esc>`,
//! `<Space>`, `<Tab>`, `<S-Tab>`, `<Up>`, `<PageDown>`, `<C-d>`, `<A-x>`, `<F1>`). A user entry
//! replaces the default entry bound to the same keys; `run = "noop"` unbinds one. Two entries
//! on the same keys of a section, and a key that starts a sequence of its section (`g` beside
//! `g g`), are refused with the file's line. The `?` help
//! and the footer hints are generated from the merged keymap, so they never disagree with it.

use super::key_action::Action;
use crate::domain::text::line_of;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The default keymap shipped with owed.
pub const DEFAULT_KEYMAP: &str = include_str!("../../config/keymap.toml");

/// Where a key is pressed: each context has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyContext {
    /// The queue (the main screen).
    Queue,
    /// The chart, when it has the focus.
    Chart,
    /// The customer detail screen.
    Detail,
    /// The detail's timeline, when it has the focus (an entry is selected).
    Timeline,
    /// The engagement screen (plan, skipped, held, outbox, report).
    Engage,
    /// The team screen (every collector's figures).
    Team,
    /// The send popup (template picker, preview, progress).
    Send,
    /// A question before an outward action (sending email).
    Confirm,
    /// The help popup.
    Help,
    /// A text field (filter, command line).
    Input,
    /// A collector-action form (note, promise, dispute …).
    Form,
}

impl KeyContext {
    /// Every context, in the order help lists them.
    pub const ALL: [KeyContext; 11] = [
        KeyContext::Queue,
        KeyContext::Chart,
        KeyContext::Detail,
        KeyContext::Timeline,
        KeyContext::Engage,
        KeyContext::Team,
        KeyContext::Send,
        KeyContext::Confirm,
        KeyContext::Help,
        KeyContext::Input,
        KeyContext::Form,
    ];

    /// The section name in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Queue => "queue",
            KeyContext::Chart => "chart",
            KeyContext::Detail => "detail",
            KeyContext::Timeline => "timeline",
            KeyContext::Engage => "engage",
            KeyContext::Team => "team",
            KeyContext::Send => "send",
            KeyContext::Confirm => "confirm",
            KeyContext::Help => "help",
            KeyContext::Input => "input",
            KeyContext::Form => "form",
        }
    }

    /// The heading help shows.
    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Queue => "Queue",
            KeyContext::Chart => "Chart (focused)",
            KeyContext::Detail => "Customer detail",
            KeyContext::Timeline => "Timeline (focused: act on an entry)",
            KeyContext::Engage => "Engagement screen",
            KeyContext::Team => "Team screen (managers)",
            KeyContext::Send => "Reminder: template, preview, sending",
            KeyContext::Confirm => "Confirm before sending",
            KeyContext::Help => "Help",
            KeyContext::Input => "Filter and command line",
            KeyContext::Form => "Forms (note, promise, dispute …)",
        }
    }

    fn from_name(name: &str) -> Option<KeyContext> {
        KeyContext::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One key with its modifiers, normalised (`G` is `G`, not shift+`g`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    /// A key from its code and modifiers, normalised.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let mut modifiers =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // Shift is already in the character; terminals disagree on reporting it.
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                if modifiers.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, modifiers }
    }

    /// The key of a terminal key event.
    pub fn from_event(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    /// Parses the keymap notation (`j`, `<C-d>`, `<Enter>`).
    pub fn parse(text: &str) -> Result<Key, String> {
        let bad = || format!("`{text}` is not a key (write `j`, `G`, `<Enter>`, `<C-d>` …)");
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(Key::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let inner = text
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .ok_or_else(bad)?;
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = inner;
        while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
            match rest.as_bytes()[0].to_ascii_uppercase() {
                b'C' => modifiers |= KeyModifiers::CONTROL,
                b'A' | b'M' => modifiers |= KeyModifiers::ALT,
                b'S' => modifiers |= KeyModifiers::SHIFT,
                _ => return Err(bad()),
            }
            rest = &rest[2..];
        }
        let mut chars = rest.chars();
        let code = if let (Some(c), None) = (chars.next(), chars.next()) {
            KeyCode::Char(c)
        } else {
            match rest.to_ascii_lowercase().as_str() {
                "enter" | "cr" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "tab" if modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "insert" => KeyCode::Insert,
                "lt" => KeyCode::Char('<'),
                "gt" => KeyCode::Char('>'),
                f if f.starts_with('f') => KeyCode::F(f[1..].parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        };
        Ok(Key::new(code, modifiers))
    }
}

impl fmt::Display for Key {
    /// How help and the footer show a key: `j`, `G`, `Enter`, `Ctrl-d`, `↓`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prefix())?;
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One binding: a key sequence, the action it runs and its help text.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: String,
    /// The line of its entry in the file it was read from.
    pub line: Option<usize>,
}

impl Key {
    /// How help and the footer show the key on a terminal that draws in ASCII when `ascii`:
    /// the arrows by name (`Down`), since the ASCII fallback of `↓` is `v`, itself a key.
    pub fn name(&self, ascii: bool) -> String {
        let word = match self.code {
            KeyCode::Up => "Up",
            KeyCode::Down => "Down",
            KeyCode::Left => "Left",
            KeyCode::Right => "Right",
            _ => return self.to_string(),
        };
        match ascii {
            true => format!("{}{word}", self.prefix()),
            false => self.to_string(),
        }
    }

    /// The modifiers as help writes them before the key (`Ctrl-`, `Alt-`, `Shift-`).
    fn prefix(&self) -> String {
        [
            (KeyModifiers::CONTROL, "Ctrl-"),
            (KeyModifiers::ALT, "Alt-"),
            (KeyModifiers::SHIFT, "Shift-"),
        ]
        .into_iter()
        .filter(|(m, _)| self.modifiers.contains(*m))
        .map(|(_, name)| name)
        .collect()
    }
}

impl Binding {
    /// The keys as help shows them (`g g`, `Ctrl-d`).
    pub fn keys_text(&self) -> String {
        self.keys_named(false)
    }

    /// The keys as help shows them, the arrows by name when the terminal draws in ASCII
    /// ([`Key::name`]).
    pub fn keys_named(&self, ascii: bool) -> String {
        self.keys
            .iter()
            .map(|k| k.name(ascii))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a key sequence typed so far resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// Run this action.
    Run(Action),
    /// The start of a longer binding (`g` of `g g`): wait for the next key.
    Pending,
    /// Bound to nothing.
    Unbound,
}

/// What is wrong with a keymap file: the line of the entry at fault (none: the file as a
/// whole), and a sentence.
type Fault = (Option<usize>, String);

/// The merged keymap, by context.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keymap {
    sections: BTreeMap<KeyContext, Vec<Binding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionFile {
    keymap: Vec<toml::Spanned<EntryFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    on: OnFile,
    run: String,
    #[serde(default)]
    desc: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OnFile {
    One(String),
    Many(Vec<String>),
}

impl Keymap {
    /// The default keymap.
    pub fn builtin() -> Keymap {
        // The embedded file is tested to parse; an empty keymap would still let `q` quit
        // through the fallback in `update`.
        Keymap::parse(DEFAULT_KEYMAP).unwrap_or_default()
    }

    /// The default keymap with the user's file (when it exists) merged over it.
    pub fn load(user_file: Option<&Path>) -> crate::Result<Keymap> {
        let mut keymap = Keymap::parse(DEFAULT_KEYMAP).map_err(crate::Error::runtime)?;
        if let Some(path) = user_file.filter(|p| p.exists()) {
            let text = crate::files::read_text(path, "keymap ")?;
            let fault = |(line, e): Fault| {
                let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
                crate::Error::input(format!("{}{at}: {e}", path.display()))
            };
            let user = Keymap::parse_file(&text).map_err(fault)?;
            keymap.merge(user).map_err(fault)?;
        }
        Ok(keymap)
    }

    /// Parses keymap TOML.
    pub fn parse(text: &str) -> Result<Keymap, String> {
        Keymap::parse_file(text).map_err(|(line, e)| match line {
            Some(l) => format!("line {l}: {e}"),
            None => e,
        })
    }

    /// Parses keymap TOML; a fault names the line of its entry where it is about one.
    fn parse_file(text: &str) -> Result<Keymap, Fault> {
        // The section names keep their place in the file, for the line of an unknown one.
        let file: BTreeMap<toml::Spanned<String>, SectionFile> =
            toml::from_str(text).map_err(|e| (None, e.to_string().trim().to_string()))?;
        let mut sections = BTreeMap::new();
        for (name, section) in file {
            let line = line_of(text, name.span().start);
            let name = name.into_inner();
            let context = KeyContext::from_name(&name).ok_or_else(|| {
                let names: Vec<&str> = KeyContext::ALL.iter().map(|c| c.name()).collect();
                (
                    Some(line),
                    format!("unknown keymap section [{name}] ({})", names.join(", ")),
                )
            })?;
            let mut bindings: Vec<Binding> = Vec::new();
            for spanned in section.keymap {
                let line = Some(line_of(text, spanned.span().start));
                let entry = spanned.into_inner();
                let texts = match entry.on {
                    OnFile::One(k) => vec![k],
                    OnFile::Many(ks) => ks,
                };
                if texts.is_empty() {
                    return Err((line, format!("[{name}]: an entry has no keys in `on`")));
                }
                let keys = texts
                    .iter()
                    .map(|t| Key::parse(t))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| (line, format!("[{name}]: {e}")))?;
                let action = Action::from_name(&entry.run)
                    .ok_or_else(|| (line, format!("[{name}]: `{}` is not an action", entry.run)))?;
                // An action this section's dispatch ignores would only sit in `?`.
                let acts = action.contexts();
                if action != Action::Noop && !acts.contains(&context) {
                    let names: Vec<String> =
                        acts.iter().map(|c| format!("[{}]", c.name())).collect();
                    return Err((
                        line,
                        format!(
                            "[{name}]: `{}` does nothing in [{name}]; it acts in {}",
                            entry.run,
                            names.join(", ")
                        ),
                    ));
                }
                let desc = entry.desc.unwrap_or_else(|| entry.run.replace('_', " "));
                let binding = Binding {
                    keys,
                    action,
                    desc,
                    line,
                };
                // Two entries on the same keys: one of them would be dropped without a word.
                if let Some(first) = bindings.iter().find(|b| b.keys == binding.keys) {
                    let on = first.line.map(|l| format!(" (first on line {l})"));
                    return Err((
                        line,
                        format!(
                            "[{name}]: `{}` is bound twice{}: keep one entry for it",
                            binding.keys_text(),
                            on.unwrap_or_default()
                        ),
                    ));
                }
                bindings.push(binding);
            }
            sections.insert(context, bindings);
        }
        Ok(Keymap { sections })
    }

    /// Merges `user` over this keymap: a user binding replaces the one on the same keys.
    ///
    /// A binding that starts another one (`g` and `g g`) is refused: the first key would run
    /// the shorter one at once, and the longer could never be typed while `?` still listed
    /// it. The fault names the user's entry and the binding it would hide or be hidden by.
    pub fn merge(&mut self, user: Keymap) -> Result<(), (Option<usize>, String)> {
        for (context, bindings) in user.sections {
            let section = self.sections.entry(context).or_default();
            for binding in &bindings {
                section.retain(|b| b.keys != binding.keys);
                section.push(binding.clone());
            }
            let name = context.name();
            let live = |b: &&Binding| b.action != Action::Noop;
            for mine in bindings.iter().filter(live) {
                let whose = |b: &Binding| {
                    if bindings.iter().any(|u| u.keys == b.keys) {
                        "your"
                    } else {
                        "the built-in"
                    }
                };
                let starts = |short: &Binding, long: &Binding| {
                    long.keys.len() > short.keys.len() && long.keys.starts_with(&short.keys)
                };
                let fault = |text: String| Err((mine.line, format!("[{name}]: {text}")));
                if let Some(longer) = section.iter().filter(live).find(|b| starts(mine, b)) {
                    return fault(format!(
                        "`{}` would hide {} `{}` ({}): bind it to another key, or rebind `{}` \
                         too (run = \"noop\" unbinds it)",
                        mine.keys_text(),
                        whose(longer),
                        longer.keys_text(),
                        longer.desc,
                        longer.keys_text()
                    ));
                }
                if let Some(shorter) = section.iter().filter(live).find(|b| starts(b, mine)) {
                    return fault(format!(
                        "`{}` could never be typed: {} `{}` ({}) runs at its first key; bind it \
                         to other keys, or rebind `{}` too (run = \"noop\" unbinds it)",
                        mine.keys_text(),
                        whose(shorter),
                        shorter.keys_text(),
                        shorter.desc,
                        shorter.keys_text()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The bindings of a context (without the unbound ones).
    pub fn bindings(&self, context: KeyContext) -> impl Iterator<Item = &Binding> {
        self.sections
            .get(&context)
            .into_iter()
            .flatten()
            .filter(|b| b.action != Action::Noop)
    }

    /// What the keys typed so far run in `context`.
    pub fn resolve(&self, context: KeyContext, typed: &[Key]) -> Resolved {
        let mut pending = false;
        for b in self.sections.get(&context).into_iter().flatten() {
            if b.keys == typed {
                return match b.action {
                    Action::Noop => Resolved::Unbound,
                    a => Resolved::Run(a),
                };
            }
            // An unbound sequence (`g g` with `run = "noop"`) waits for nothing.
            if b.keys.len() > typed.len() && b.keys.starts_with(typed) && b.action != Action::Noop {
                pending = true;
            }
        }
        if pending {
            Resolved::Pending
        } else {
            Resolved::Unbound
        }
    }

    /// The first binding of `action` in `context` (for the footer).
    pub fn first(&self, context: KeyContext, action: Action) -> Option<&Binding> {
        self.bindings(context).find(|b| b.action == action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    #[test]
    fn the_default_keymap_parses_and_covers_the_basics() {
        let k = Keymap::parse(DEFAULT_KEYMAP).unwrap();
        let q = KeyContext::Queue;
        assert_eq!(k.resolve(q, &[key("j")]), Resolved::Run(Action::Down));
        assert_eq!(k.resolve(q, &[key("<Down>")]), Resolved::Run(Action::Down));
        assert_eq!(k.resolve(q, &[key("g")]), Resolved::Pending);
        assert_eq!(
            k.resolve(q, &[key("g"), key("g")]),
            Resolved::Run(Action::Top)
        );
        assert_eq!(k.resolve(q, &[key("G")]), Resolved::Run(Action::Bottom));
        assert_eq!(
            k.resolve(q, &[key("<C-d>")]),
            Resolved::Run(Action::HalfPageDown)
        );
        assert_eq!(k.resolve(q, &[key("q")]), Resolved::Run(Action::Quit));
        assert_eq!(k.resolve(q, &[key("<C-l>")]), Resolved::Run(Action::Redraw));
        assert_eq!(
            k.resolve(KeyContext::Input, &[key("<Enter>")]),
            Resolved::Run(Action::Submit)
        );
        for context in KeyContext::ALL {
            assert!(k.bindings(context).count() > 0, "{context:?} has keys");
            assert!(k.bindings(context).all(|b| !b.desc.is_empty()));
        }
    }

    #[test]
    fn key_notation() {
        let shift_g = Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(key("G"), shift_g);
        assert_eq!(
            key("<C-d>"),
            Key::new(KeyCode::Char('d'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            key("<S-Tab>"),
            Key::new(KeyCode::BackTab, KeyModifiers::SHIFT)
        );
        assert_eq!(key("<Space>").to_string(), "Space");
        assert_eq!(key("<C-d>").to_string(), "Ctrl-d");
        assert_eq!(key("<F5>"), Key::new(KeyCode::F(5), KeyModifiers::NONE));
        assert!(Key::parse("<Hyper-x>").is_err());
        assert!(Key::parse("jj").is_err());
    }

    #[test]
    fn user_entries_replace_defaults_and_noop_unbinds() {
        let mut k = Keymap::builtin();
        let user = Keymap::parse(
            r#"[queue]
keymap = [
  { on = "j", run = "up", desc = "Up instead" },
  { on = "q", run = "noop" },
  { on = "<C-q>", run = "quit", desc = "Quit" },
]"#,
        )
        .unwrap();
        k.merge(user).unwrap();
        let q = KeyContext::Queue;
        assert_eq!(k.resolve(q, &[key("j")]), Resolved::Run(Action::Up));
        assert_eq!(k.resolve(q, &[key("q")]), Resolved::Unbound);
        assert_eq!(k.resolve(q, &[key("<C-q>")]), Resolved::Run(Action::Quit));
        assert_eq!(k.resolve(q, &[key("k")]), Resolved::Run(Action::Up));
    }

    #[test]
    fn a_keymap_that_is_not_utf8_names_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        std::fs::write(&path, b"[queue]\n# caf\xe9\n").unwrap();
        assert_eq!(
            Keymap::load(Some(&path)).unwrap_err().to_string(),
            format!(
                "{}, line 2, column 6: not valid UTF-8 (the byte 0xE9; save the keymap as UTF-8)",
                path.display()
            )
        );
    }

    #[test]
    fn bad_keymaps_say_what_is_wrong() {
        let e = Keymap::parse("[queue]\nkeymap = [{ on = \"j\", run = \"jump\" }]").unwrap_err();
        assert!(e.contains("`jump` is not an action"), "{e}");
        // The section's line, as an entry's.
        let e = Keymap::parse("# mine\n\n[queu]\nkeymap = []").unwrap_err();
        assert!(
            e.starts_with("line 3: unknown keymap section [queu] (queue, "),
            "{e}"
        );
        let e = Keymap::parse("[queue]\nkeymap = [{ on = \"<Nope>\", run = \"up\" }]").unwrap_err();
        assert!(e.contains("not a key"), "{e}");
        let e = Keymap::parse("[queue]\nkeymap = [{ on = [], run = \"up\" }]").unwrap_err();
        assert!(e.contains("no keys"), "{e}");
    }

    #[test]
    fn a_key_that_starts_a_built_in_sequence_is_refused_unless_the_sequence_is_rebound_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        let bottom =
            "[queue]\nkeymap = [\n  { on = \"g\", run = \"bottom\", desc = \"bottom\" },\n";
        std::fs::write(&path, format!("{bottom}]\n")).unwrap();
        let e = Keymap::load(Some(&path)).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}, line 3: [queue]: `g` would hide the built-in `g g` (First row): bind it to \
                 another key, or rebind `g g` too (run = \"noop\" unbinds it)",
                path.display()
            )
        );
        // With `g g` unbound, `g` goes to the bottom at once and help lists no `g g`.
        std::fs::write(
            &path,
            format!("{bottom}  {{ on = [\"g\", \"g\"], run = \"noop\" }},\n]\n"),
        )
        .unwrap();
        let k = Keymap::load(Some(&path)).unwrap();
        let q = KeyContext::Queue;
        assert_eq!(k.resolve(q, &[key("g")]), Resolved::Run(Action::Bottom));
        assert!(k.bindings(q).all(|b| b.keys_text() != "g g"));
        // Rebinding `g g` to something else keeps the refusal: it could never be typed.
        std::fs::write(
            &path,
            format!("{bottom}  {{ on = [\"g\", \"g\"], run = \"top\" }},\n]\n"),
        )
        .unwrap();
        let e = Keymap::load(Some(&path)).unwrap_err().to_string();
        assert!(
            e.contains("line 3: [queue]: `g` would hide your `g g` (top)"),
            "{e}"
        );
        // A sequence that starts with a built-in key: the key would run before the sequence.
        std::fs::write(
            &path,
            "[queue]\nkeymap = [{ on = [\"G\", \"x\"], run = \"top\", desc = \"Top\" }]\n",
        )
        .unwrap();
        let e = Keymap::load(Some(&path)).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "line 2: [queue]: `G x` could never be typed: the built-in `G` (Last row) runs at \
                 its first key; bind it to other keys, or rebind `G` too (run = \"noop\" unbinds it)"
            ),
            "{e}"
        );
        // Another section's `g g` is not in the way.
        std::fs::write(
            &path,
            "[input]\nkeymap = [{ on = \"g\", run = \"submit\", desc = \"Apply\" }]\n",
        )
        .unwrap();
        Keymap::load(Some(&path)).unwrap();
    }

    #[test]
    fn an_action_that_does_nothing_in_its_section_is_refused_naming_where_it_acts() {
        let e = Keymap::parse(
            "[queue]\nkeymap = [\n  { on = \"x\", run = \"void\", desc = \"void in queue\" },\n]",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "line 3: [queue]: `void` does nothing in [queue]; it acts in [timeline]"
        );
        let e = Keymap::parse("[form]\nkeymap = [{ on = \"q\", run = \"quit\" }]").unwrap_err();
        assert!(
            e.contains("`quit` does nothing in [form]; it acts in [queue], [chart]"),
            "{e}"
        );
        let e = Keymap::parse("[help]\nkeymap = [{ on = \"x\", run = \"submit\" }]").unwrap_err();
        assert!(e.ends_with("it acts in [input], [form]"), "{e}");
        // Unbinding takes any section; an action where it acts is taken.
        Keymap::parse(
            "[confirm]\nkeymap = [{ on = \"y\", run = \"noop\" }, { on = \"Y\", run = \"confirm\" }]",
        )
        .unwrap();
    }

    #[test]
    fn no_built_in_binding_starts_another() {
        let mut k = Keymap::default();
        k.merge(Keymap::builtin()).unwrap();
    }

    #[test]
    fn two_entries_on_the_same_keys_of_a_section_are_refused_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        std::fs::write(
            &path,
            "[queue]\nkeymap = [\n  { on = \"x\", run = \"down\", desc = \"down\" },\n  \
             { on = \"x\", run = \"up\", desc = \"up\" },\n]\n",
        )
        .unwrap();
        let e = Keymap::load(Some(&path)).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}, line 4: [queue]: `x` is bound twice (first on line 3): keep one entry for it",
                path.display()
            )
        );
        // A sequence too, and the same keys written another way (`<C-d>`, `<c-d>`).
        let e = Keymap::parse(
            "[detail]\nkeymap = [\n{ on = [\"g\", \"g\"], run = \"top\" },\n{ on = [\"g\", \"g\"], run = \"noop\" },\n]",
        )
        .unwrap_err();
        assert!(
            e.starts_with("line 4: [detail]: `g g` is bound twice"),
            "{e}"
        );
        let e = Keymap::parse(
            "[help]\nkeymap = [{ on = \"<C-d>\", run = \"down\" }, { on = \"<c-d>\", run = \"up\" }]",
        )
        .unwrap_err();
        assert!(e.contains("`Ctrl-d` is bound twice"), "{e}");
        // The same key in two sections is two bindings.
        Keymap::parse(
            "[queue]\nkeymap = [{ on = \"x\", run = \"down\" }]\n[detail]\nkeymap = [{ on = \"x\", run = \"down\" }]",
        )
        .unwrap();
    }
}
