//! A billing document's kind: an invoice, a debit note or a credit note (SPEC `documents.csv`,
//! column `type`). A credit note lowers what the customer owes: it is never due, never
//! overdue, never dunned. And how people are shown a document: by its number, the id only
//! when it has none ([`label`], [`NamedDocument`]).

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
