//! A one-line form field on tui-input, with choices that Tab completes and cycles through.
//!
//! The field only holds text: what the text means (an amount, a date, a reason) and whether
//! it is valid is for the form that owns it ([`super::action_forms`]).

use crossterm::event::{Event, KeyEvent};
use tui_input::InputRequest::InsertChar;
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

/// The most characters a form's field takes: a note is a few lines, and a longer text (an
/// email thread) goes in a file attached with `A`. A paste of megabytes would otherwise be
/// typed one character at a time, each re-laid out.
pub const FIELD_MAX_CHARS: usize = 20_000;

/// The sentence for a field at [`FIELD_MAX_CHARS`].
pub fn field_full() -> String {
    format!(
        "at most {} characters here: a longer text goes in a file, attached with A",
        crate::domain::money::grouped(crate::domain::Decimal::from(FIELD_MAX_CHARS as u64), "JPY")
    )
}

/// Whether `request` would type past `max` characters into `input` (editing keys and
/// deletions always pass).
pub fn would_overflow(input: &Input, request: &InputRequest, max: usize) -> bool {
    let value = input.value();
    matches!(request, InputRequest::InsertChar(_))
        && value.len() >= max
        && value.chars().count() >= max
}

/// Text pasted into a one-line `input` (bracketed paste): inserted at the cursor in one go,
/// cleaned, and cut at `max` characters in all. Line breaks (`\r\n`, `\r`, `\n`) are kept as
/// `\n` where `lines` (a note's text, as the editor writes it), else each becomes a space;
/// a tab becomes a space; other control characters (an escape sequence's ESC, C1 controls)
/// are dropped. Returns the new input and whether the paste was cut.
pub fn pasted(input: &Input, text: &str, max: usize, lines: bool) -> (Input, bool) {
    let value = input.value();
    let room = max.saturating_sub(value.chars().count());
    let line_break = if lines { '\n' } else { ' ' };
    let mut kept = String::new();
    let (mut count, mut cut) = (0, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                line_break
            }
            '\n' => line_break,
            '\t' => ' ',
            c if c.is_control() => continue,
            c => c,
        };
        if count == room {
            cut = true;
            break;
        }
        kept.push(c);
        count += 1;
    }
    let cursor = input.cursor();
    let at = value
        .char_indices()
        .nth(cursor)
        .map_or(value.len(), |(i, _)| i);
    let joined = format!("{}{kept}{}", &value[..at], &value[at..]);
    (Input::new(joined).with_cursor(cursor + count), cut)
}

/// What a form field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldId {
    /// Free text: the note, the promise's or dispute's comment, the resolution, the
    /// follow-up's reminder to oneself.
    Text,
    Amount,
    Date,
    /// Document ids, separated by commas or spaces.
    Documents,
    /// A dispute reason from the config.
    Reason,
    /// The number of an open issue.
    Issue,
    /// An owner's name.
    Owner,
    /// `finance` or `sales`.
    Role,
    /// How a call ended, or how an issue was resolved (`valid`, `invalid`, `written_off`).
    Outcome,
    /// Whom a call was to.
    Contact,
    /// Paths of files to attach, separated by `;` (Tab completes the last one).
    Files,
}

/// Where Tab has got to in a field's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cycle {
    /// What was typed before the first Tab (lowercase): the choices that start with it.
    prefix: String,
    /// Position among those choices.
    index: usize,
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    pub id: FieldId,
    pub label: &'static str,
    pub input: Input,
    /// What Tab offers (reasons, issues, owners, roles); empty: free text.
    pub choices: Vec<String>,
    /// The collector changed it (or the form set it for them): defaults that arrive later
    /// leave it alone.
    pub edited: bool,
    /// The collector typed into it (or the editor, or a draft, put text there): closing the
    /// form asks before this is thrown away.
    pub typed: bool,
    /// Why the last save refused this field (until it is edited).
    pub refused: Option<String>,
    /// It holds [`FIELD_MAX_CHARS`] and more was typed (or the editor's text was cut): the
    /// line under it says so until it is edited. It can still be saved.
    pub full: bool,
    cycle: Option<Cycle>,
}

impl Field {
    /// An empty field.
    pub fn new(id: FieldId, label: &'static str) -> Field {
        Field {
            id,
            label,
            input: Input::default(),
            choices: Vec::new(),
            edited: false,
            typed: false,
            refused: None,
            full: false,
            cycle: None,
        }
    }

    /// The text as typed.
    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// Puts `text` in the field (cursor at the end), as if typed.
    pub fn set(&mut self, text: &str) {
        // From the editor: kept up to the field's limit, and the field says it was cut.
        let kept = crate::domain::text::first_chars(text, FIELD_MAX_CHARS);
        self.preset(kept);
        self.full = kept.len() < text.len();
        self.typed = true;
    }

    /// Puts `text` in the field for the collector (the record a form acts on): defaults
    /// leave it alone, but it is not theirs to lose.
    pub fn preset(&mut self, text: &str) {
        self.input = Input::new(text.to_string());
        self.edited = true;
        self.refused = None;
        self.full = false;
        self.cycle = None;
    }

    /// Pre-fills the field unless the collector has typed into it.
    pub fn set_default(&mut self, text: &str) {
        if !self.edited {
            self.input = Input::new(text.to_string());
            self.cycle = None;
        }
    }

    /// A key typed into the field (tui-input's editing keys). Returns whether the text
    /// changed.
    pub fn type_key(&mut self, event: &KeyEvent) -> bool {
        let Some(request) = to_input_request(&Event::Key(*event)) else {
            return false;
        };
        // Known full: a pasted megabyte is refused a character at a time without counting
        // the field's twenty thousand each time (a minute of one core over SSH).
        let full = self.full && matches!(request, InsertChar(_));
        if full || would_overflow(&self.input, &request, FIELD_MAX_CHARS) {
            self.full = true;
            return false;
        }
        let changed = self
            .input
            .handle(request)
            .is_some_and(|response| response.value);
        if changed {
            self.typed_now();
            self.full = false;
        }
        changed
    }

    /// The collector changed the text: it is theirs, a refusal and a Tab cycle are over.
    fn typed_now(&mut self) {
        self.edited = true;
        self.typed = true;
        self.refused = None;
        self.cycle = None;
    }

    /// Text pasted into the field ([`pasted`]; a note's text keeps its line breaks). Returns
    /// whether the text changed; a paste cut at [`FIELD_MAX_CHARS`] leaves the field `full`.
    pub fn paste(&mut self, text: &str) -> bool {
        let lines = self.id == FieldId::Text;
        let (input, cut) = pasted(&self.input, text, FIELD_MAX_CHARS, lines);
        let changed = input.value() != self.input.value();
        self.input = input;
        if changed {
            self.typed_now();
        }
        self.full = cut;
        changed
    }

    /// Whether the value is one of the choices (without regard to case).
    pub fn is_choice(&self) -> bool {
        let v = self.value().trim();
        self.choices.iter().any(|c| c.eq_ignore_ascii_case(v))
    }

    /// The choices that start with what is typed (else those that contain it).
    pub fn matches(&self) -> Vec<&str> {
        matching(&self.choices, &self.value().trim().to_lowercase())
    }

    /// Tab in a field with choices: the next choice starting with what was typed (`forward`)
    /// or the previous one; on a complete choice, the next of all. Returns false when nothing
    /// matches (or the field has no choices).
    pub fn complete(&mut self, forward: bool) -> bool {
        let (prefix, index) = match &self.cycle {
            Some(c) => (c.prefix.clone(), Some(c.index)),
            None if self.is_choice() => {
                let v = self.value().trim();
                let at = self.choices.iter().position(|c| c.eq_ignore_ascii_case(v));
                (String::new(), at)
            }
            None => (self.value().trim().to_lowercase(), None),
        };
        let matches: Vec<String> = matching(&self.choices, &prefix)
            .into_iter()
            .map(str::to_string)
            .collect();
        if matches.is_empty() {
            return false;
        }
        let n = matches.len();
        let index = match (index, forward) {
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
            (None, true) => 0,
            (None, false) => n - 1,
        };
        self.input = Input::new(matches[index].clone());
        self.edited = true;
        self.typed = true;
        self.refused = None;
        self.cycle = Some(Cycle { prefix, index });
        true
    }
}

fn matching<'a>(choices: &'a [String], prefix: &str) -> Vec<&'a str> {
    let starts: Vec<&str> = choices
        .iter()
        .filter(|c| c.to_lowercase().starts_with(prefix))
        .map(String::as_str)
        .collect();
    if !starts.is_empty() {
        return starts;
    }
    choices
        .iter()
        .filter(|c| c.to_lowercase().contains(prefix))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn typed(field: &mut Field, text: &str) {
        for c in text.chars() {
            field.type_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn a_field_takes_at_most_its_limit_and_says_so() {
        let mut f = Field::new(FieldId::Text, "Note");
        f.preset(&"é".repeat(FIELD_MAX_CHARS - 1));
        typed(&mut f, "ab");
        assert_eq!(f.value().chars().count(), FIELD_MAX_CHARS);
        assert!(f.value().ends_with("éa"));
        assert!(f.full);
        assert_eq!(
            field_full(),
            "at most 20,000 characters here: a longer text goes in a file, attached with A"
        );
        // Deleting works at the limit, and the sentence goes once the text changes.
        assert!(f.type_key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
        assert!(!f.full);
        // The editor's text is kept up to the limit, and the field says it was cut.
        f.set(&"x".repeat(FIELD_MAX_CHARS + 5));
        assert_eq!(f.value().len(), FIELD_MAX_CHARS);
        assert!(f.full);
        f.set("short");
        assert_eq!((f.value(), f.full), ("short", false));
    }

    #[test]
    fn a_paste_goes_in_at_the_cursor_cleaned_and_cut_at_the_limit() {
        let input = Input::new("Dear , thanks".into()).with_cursor(5);
        let (input, cut) = pasted(&input, "Ann\r\nMüller\rGmbH\t\u{1b}[2J\u{9b}x", 100, true);
        assert_eq!(input.value(), "Dear Ann\nMüller\nGmbH [2Jx, thanks");
        assert_eq!((input.cursor(), cut), (5 + 20, false));
        // One line: each line break a space.
        let (line, _) = pasted(&Input::default(), "a\r\nb\nc", 100, false);
        assert_eq!(line.value(), "a b c");
        // Cut at the limit, counted in characters (the dropped ones do not count).
        let (full, cut) = pasted(&Input::new("ééé".into()), "\u{7}xyz", 5, true);
        assert_eq!((full.value(), cut), ("éééxy", true));
        let (same, cut) = pasted(&full, "more", 5, true);
        assert_eq!((same.value(), cut), ("éééxy", true));
        // A field says it was cut until the next edit.
        let mut f = Field::new(FieldId::Amount, "Amount");
        assert!(f.paste("1,200.00\n"));
        assert_eq!((f.value(), f.full, f.typed), ("1,200.00 ", false, true));
        assert!(!Field::new(FieldId::Text, "Note").paste("\u{1b}"));
    }

    fn reasons() -> Field {
        let mut f = Field::new(FieldId::Reason, "Reason");
        f.choices = ["pricing", "quantity", "quality", "missing_po"]
            .map(String::from)
            .to_vec();
        f
    }

    #[test]
    fn tab_completes_what_was_typed_then_cycles_through_its_matches() {
        let mut f = reasons();
        typed(&mut f, "qu");
        assert!(f.complete(true));
        assert_eq!(f.value(), "quantity");
        assert!(f.complete(true));
        assert_eq!(f.value(), "quality");
        assert!(f.complete(true));
        assert_eq!(f.value(), "quantity", "back to the first match");
        assert!(f.complete(false));
        assert_eq!(f.value(), "quality");
        // Typing again starts a new completion.
        typed(&mut f, "x");
        assert!(!f.complete(true), "nothing starts with qualityx");
        assert_eq!(f.value(), "qualityx");
    }

    #[test]
    fn tab_on_an_empty_or_complete_value_walks_every_choice() {
        let mut f = reasons();
        assert!(f.complete(true));
        assert_eq!(f.value(), "pricing");
        let mut g = reasons();
        g.set_default("quality");
        assert!(g.complete(true));
        assert_eq!(g.value(), "missing_po");
        assert!(g.complete(true));
        assert_eq!(g.value(), "pricing");
        let mut h = reasons();
        typed(&mut h, "po");
        assert!(h.complete(true), "no choice starts with po: contains");
        assert_eq!(h.value(), "missing_po");
    }

    #[test]
    fn defaults_never_overwrite_what_was_typed() {
        let mut f = Field::new(FieldId::Amount, "Amount");
        f.set_default("100.00");
        assert_eq!(f.value(), "100.00");
        assert!(!f.edited);
        typed(&mut f, "5");
        f.set_default("200.00");
        assert_eq!(f.value(), "100.005");
    }
}
