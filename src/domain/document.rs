//! A billing document's kind: an invoice, a debit note or a credit note (SPEC `documents.csv`,
//! column `type`). A credit note lowers what the customer owes: it is never due, never
//! overdue, never dunned. And how people are shown a document: by its number, the id only
//! when it has none ([`label`], [`NamedDocument`]).

use std::cmp::Ordering;
use std::fmt;

/// The kind of a document, as the import reads it and the database keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    DebitNote,
    CreditNote,
}

impl DocumentKind {
    /// Every kind, in the import's order.
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::Invoice,
        DocumentKind::DebitNote,
        DocumentKind::CreditNote,
    ];

    /// As the import's `type` column, the database and JSON spell it (`debit_note`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::DebitNote => "debit_note",
            DocumentKind::CreditNote => "credit_note",
        }
    }

    /// The kind spelled `text` (exactly, as [`DocumentKind::as_str`] spells it).
    pub fn parse(text: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// In words, for people: `debit note`.
    pub fn words(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::DebitNote => "debit note",
            DocumentKind::CreditNote => "credit note",
        }
    }

    /// A credit note: what it leaves open is owed to the customer.
    pub fn is_credit(self) -> bool {
        self == DocumentKind::CreditNote
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How messages and the workstation name a document: its number (what the customer and the
/// collector know it by, `A2026-0001305`), the billing system's id (`INV-0001305`) only when it
/// has none (or an empty one).
pub fn label<'a>(id: &'a str, number: Option<&'a str>) -> &'a str {
    number.filter(|n| !n.is_empty()).unwrap_or(id)
}

/// Whether `typed` names the document numbered `number`: without regard to case or width in
/// any script, typed decomposed too, as users are told apart
/// ([`super::text::same_person`]: `re-ü002` and `ＲＥ-Ü002` are `RE-Ü002`); the accents count
/// (`RE-U002` is another number). The store's searches compare numbers so (`owed_person`).
pub fn same_number(number: &str, typed: &str) -> bool {
    super::text::same_person(number, typed)
}

/// The order documents are listed in by number, as a collector reads them: the numbers inside
/// compared by their value (`MR-9` before `MR-10`, `I1501` before `I10000`, where the order of
/// the characters put `I10000` first), the rest letter by letter without regard to case, then
/// the characters themselves, so that the order is total and the same everywhere (the store's
/// collation `owed_number` is this). The lists of one customer's documents (the detail, the
/// statement, `export documents`, the forms, the documents an entry names) are by due date,
/// then this order of their labels ([`document_order`]).
pub fn number_order(a: &str, b: &str) -> Ordering {
    natural(a, b).then_with(|| a.cmp(b))
}

/// Two documents by [`number_order`] of their labels ([`label`]), then of their ids.
pub fn document_order(a: (&str, Option<&str>), b: (&str, Option<&str>)) -> Ordering {
    number_order(label(a.0, a.1), label(b.0, b.1)).then_with(|| number_order(a.0, b.0))
}

/// [`number_order`] before its last tie-break: runs of ASCII digits by value (leading zeros
/// aside), other characters one by one with ASCII letters in lower case.
fn natural(mut a: &str, mut b: &str) -> Ordering {
    loop {
        let (Some(x), Some(y)) = (a.chars().next(), b.chars().next()) else {
            return a.len().min(1).cmp(&b.len().min(1));
        };
        if x.is_ascii_digit() && y.is_ascii_digit() {
            let (da, ra) = digits(a);
            let (db, rb) = digits(b);
            let (va, vb) = (da.trim_start_matches('0'), db.trim_start_matches('0'));
            let by_value = va.len().cmp(&vb.len()).then_with(|| va.cmp(vb));
            if by_value != Ordering::Equal {
                return by_value;
            }
            (a, b) = (ra, rb);
        } else {
            let by_letter = x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase());
            if by_letter != Ordering::Equal {
                return by_letter;
            }
            (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
        }
    }
}

/// The run of ASCII digits `text` starts with, and what follows it.
fn digits(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

/// A document a record names (a promise's, an issue's, a reminder's, an attachment's): its key
/// in the store, the billing system's id and its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDocument {
    pub did: i64,
    pub id: String,
    pub number: Option<String>,
}

impl NamedDocument {
    /// How people are shown it ([`label`]).
    pub fn label(&self) -> &str {
        label(&self.id, self.number.as_deref())
    }

    /// Its number, none when it has none (the JSON's `document_numbers`, beside the ids).
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref().filter(|n| !n.is_empty())
    }
}

/// The labels of `documents`, separated by `, ` (`INV-9, M2`).
pub fn labels(documents: &[NamedDocument]) -> String {
    documents
        .iter()
        .map(NamedDocument::label)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_document_numbers_order_by_their_value() {
        let mut listed = vec![
            "MR-0010000",
            "mr-10",
            "MR-0001501",
            "MR-9",
            "I10000",
            "I1501",
            "MR-10",
            "A",
            "",
            "MR-010",
            "MR-9a",
            "MR-9-2",
            "MR-",
            "99999999999999999999999",
            "100000000000000000000000",
        ];
        listed.sort_by(|a, b| number_order(a, b));
        assert_eq!(
            listed,
            [
                "",
                "99999999999999999999999",
                "100000000000000000000000",
                "A",
                "I1501",
                "I10000",
                "MR-",
                "MR-9",
                "MR-9-2",
                "MR-9a",
                "MR-010",
                "MR-10",
                "mr-10",
                "MR-0001501",
                "MR-0010000",
            ]
        );
        // A total order: equal only when the same.
        assert_eq!(number_order("MR-010", "MR-10"), Ordering::Less);
        assert_eq!(number_order("MR-10", "MR-10"), Ordering::Equal);
        // The label first (the number, else the id), then the id.
        assert_eq!(
            document_order(
                ("I10000", Some("MR-0010000")),
                ("I1501", Some("MR-0001501"))
            ),
            Ordering::Greater
        );
        assert_eq!(
            document_order(("B2", None), ("B10", Some(""))),
            Ordering::Less
        );
        assert_eq!(
            document_order(("X2", Some("N1")), ("X10", Some("N1"))),
            Ordering::Less
        );
    }

    #[test]
    fn kinds_are_spelled_as_the_import_spells_them() {
        let spelled: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(spelled, crate::domain::format::DOCUMENT_TYPES);
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        assert_eq!(DocumentKind::parse("Invoice"), None);
        assert_eq!(DocumentKind::parse("payment"), None);
        assert_eq!(DocumentKind::DebitNote.words(), "debit note");
        assert!(DocumentKind::CreditNote.is_credit() && !DocumentKind::Invoice.is_credit());
    }

    #[test]
    fn a_document_is_shown_by_its_number_else_its_id() {
        assert_eq!(label("I4", Some("INV-4")), "INV-4");
        assert_eq!(label("I4", None), "I4");
        assert_eq!(label("I4", Some("")), "I4");
        let named = |id: &str, number: Option<&str>| NamedDocument {
            did: 1,
            id: id.into(),
            number: number.map(str::to_string),
        };
        assert_eq!(
            labels(&[named("M1", Some("INV-9")), named("M2", None)]),
            "INV-9, M2"
        );
        assert_eq!(named("M2", Some("")).number(), None);
    }
}
