//! A billing document's kind: an invoice, a debit note or a credit note (SPEC `documents.csv`,
//! column `type`). A credit note lowers what the customer owes: it is never due, never
//! overdue, never dunned.

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
}
