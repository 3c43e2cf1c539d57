//! Searching what was written: the words of a search, the full-text query they make, and
//! where they occur in a text (to highlight it).
//!
//! Pure. A search is split into words the way SQLite's `unicode61` tokenizer splits the texts
//! it indexes (runs of letters and digits; everything else separates), lowered. Every word
//! must occur in an entry; a word of [`PREFIX_CHARS`] characters or more also finds the words
//! it starts (`approv` finds "Invoice approved"), a shorter one only itself (`ap` finds "AP",
//! not every word starting so: the first keystrokes of a search stay quick).
//! The store turns the words into an FTS5 query with [`fts_query`]; the text typed never
//! reaches FTS5's own query syntax, so quotes, `AND`, `*`, `NEAR` or a column name in it are
//! only words.

use std::ops::Range;

/// A search word this long or longer also finds the words it starts.
pub const PREFIX_CHARS: usize = 3;

/// The longest text a search takes (names, numbers and words are far shorter; SQLite refuses
/// a pattern of 50,000 bytes with an error of its own).
pub const MAX_SEARCH_CHARS: usize = 1000;

/// Refuses a search text longer than [`MAX_SEARCH_CHARS`], in a sentence.
pub fn check_length(text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n > MAX_SEARCH_CHARS {
        return Err(format!(
            "the search is {n} characters long: at most {MAX_SEARCH_CHARS} are taken"
        ));
    }
    Ok(())
}

/// Whether a search word finds `word` (lowered): the same, or its start when long enough.
fn finds(search: &str, word: &str) -> bool {
    if search.chars().count() >= PREFIX_CHARS {
        word.starts_with(search)
    } else {
        word == search
    }
}

/// The words of a search (or of a text), lowered, in order, without repeats.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let word = word.to_lowercase();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// The FTS5 query that holds when every word of `text` finds a word of an entry (`"w"*`, or
/// `"w"` for a short one, joined by `AND`); `None` when `text` has no word.
pub fn fts_query(text: &str) -> Option<String> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    Some(
        words
            .iter()
            .map(|w| {
                let star = if w.chars().count() >= PREFIX_CHARS {
                    "*"
                } else {
                    ""
                };
                format!("\"{}\"{star}", w.replace('"', "\"\""))
            })
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// Whether every word of `search` finds a word of `text` (what [`fts_query`] asks FTS5,
/// diacritics aside).
pub fn matches(search: &[String], text: &str) -> bool {
    let found = words(text);
    !search.is_empty() && search.iter().all(|s| found.iter().any(|w| finds(s, w)))
}

/// The byte ranges of `text` that a search's words match: each word of `text` that starts
/// with one of them, as far as the search word goes (`approv` in "approved" marks
/// "approv"). In order, not overlapping.
pub fn highlights(search: &[String], text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if search.is_empty() {
        return out;
    }
    let mut start: Option<usize> = None;
    let check = |from: usize, to: usize, out: &mut Vec<Range<usize>>| {
        let word = &text[from..to];
        let lowered = word.to_lowercase();
        // The longest search word that finds this one.
        let Some(best) = search
            .iter()
            .filter(|s| finds(s, &lowered))
            .max_by_key(|s| s.len())
        else {
            return;
        };
        // Map the matched length back onto the original word (lowering may change lengths).
        let mut seen = 0;
        let mut end = from;
        for (i, c) in word.char_indices() {
            if seen >= best.len() {
                break;
            }
            seen += c.to_lowercase().map(char::len_utf8).sum::<usize>();
            end = from + i + c.len_utf8();
        }
        out.push(from..end);
    };
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                check(s, i, &mut out);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        check(s, text.len(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters_and_digits_lowered() {
        assert_eq!(
            words("Invoice A2026-0016412: \"approval\" ÉTÉ été"),
            vec!["invoice", "a2026", "0016412", "approval", "été"]
        );
        assert!(words("  -- \" * ").is_empty());
    }

    #[test]
    fn the_query_quotes_every_word_so_nothing_typed_is_syntax() {
        assert_eq!(
            fts_query("approv NEAR(x) \"AND\" col:*").as_deref(),
            Some("\"approv\"* AND \"near\"* AND \"x\" AND \"and\"* AND \"col\"*")
        );
        assert_eq!(fts_query("\"\" * ()"), None);
    }

    #[test]
    fn matching_and_highlighting_agree() {
        let search = words("approv ap");
        let text = "Called AP, invoice in approval";
        assert!(matches(&search, text));
        let marked: Vec<&str> = highlights(&search, text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(marked, vec!["AP", "approv"]);
        assert!(!matches(&words("approval pending"), text));
        assert!(!matches(&[], text));
        // A short word finds only itself; from three letters, the words it starts.
        assert!(!matches(&words("in"), "Invoice approved"));
        assert!(matches(&words("inv"), "Invoice approved"));
        assert!(matches(&words("in"), "Called AP, invoice in approval"));
        // Lowering that changes length still marks whole characters.
        let text = "İstanbul office";
        let r = highlights(&words("İst"), text);
        assert_eq!(r.len(), 1);
        assert!(text.is_char_boundary(r[0].end));
    }
}
