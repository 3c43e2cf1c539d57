//! Writing a long text in the collector's `$EDITOR` (`$VISUAL` first, else `vi`).
//!
//! The text goes through a private temporary file that is removed afterwards. The caller
//! owns the terminal: the workstation leaves its alternate screen before calling [`edit`].

use crate::{Error, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`.
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// Opens the editor on `initial` and returns what was saved, without the lines starting
/// with `#` (the instructions at the end). An editor that fails is a runtime error.
pub fn edit(initial: &str, instructions: &str) -> Result<String> {
    let path = temp_path();
    let result = edit_at(&path, initial, instructions);
    let _ = std::fs::remove_file(&path);
    result
}

fn edit_at(path: &PathBuf, initial: &str, instructions: &str) -> Result<String> {
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        writeln!(file, "{initial}")?;
        for line in instructions.lines() {
            writeln!(file, "# {line}")?;
        }
    }
    let editor = editor_command();
    // Through the shell, so that `EDITOR="code --wait"` works.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| Error::runtime(format!("cannot start the editor `{editor}`: {e}")))?;
    if !status.success() {
        return Err(Error::runtime(format!(
            "the editor `{editor}` failed ({status}); nothing was saved"
        )));
    }
    let text = std::fs::read_to_string(path)?;
    Ok(strip_comments(&text))
}

/// Drops the `#` lines and the blank lines around the text.
fn strip_comments(text: &str) -> String {
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    kept.join("\n").trim().to_string()
}

fn temp_path() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("owed-note-{}-{nanos}.txt", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_surrounding_blank_lines_are_dropped() {
        let text = "\nCalled Anna.\n\nShe will pay Friday.\n# Lines starting with # are ignored.\n";
        assert_eq!(strip_comments(text), "Called Anna.\n\nShe will pay Friday.");
    }
}
