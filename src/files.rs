//! Files that come from outside (a Maildir's messages, a lockbox folder's images), opened
//! without following links; what an entry a folder names as a file to read is instead; and
//! the files people write (config, keymap, themes, cycles, templates), read as UTF-8 with the
//! place of a byte that is not.

use crate::domain::text::line_of;
use crate::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

/// What an entry that should be a file to read is instead (links followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAFile {
    /// A directory.
    Folder,
    /// A symbolic link to nothing (an unmounted share, a file moved away): where it points.
    BrokenLink(PathBuf),
    /// A pipe, a socket or a device: opening a pipe would wait for a writer.
    Special,
}

/// What it is, after "is" in a sentence naming the entry: `a folder, not a file`, `a broken
/// link: `…` does not exist`, `not a plain file (a pipe, a socket or a device)` (the words of
/// [`crate::domain::attachment::not_a_file`] for the same kinds).
impl std::fmt::Display for NotAFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAFile::Folder => f.write_str("a folder, not a file"),
            NotAFile::BrokenLink(target) => write!(
                f,
                "a broken link: {} does not exist",
                crate::error::quoted(&target.display().to_string())
            ),
            NotAFile::Special => f.write_str("not a plain file (a pipe, a socket or a device)"),
        }
    }
}

impl NotAFile {
    /// What `path` is when it is not a regular file; `None` for a file, or for an entry that
    /// cannot be looked at (reading it then says why).
    pub fn of(path: &Path) -> Option<NotAFile> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => None,
            Ok(meta) if meta.is_dir() => Some(NotAFile::Folder),
            Ok(_) => Some(NotAFile::Special),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::read_link(path).ok().map(NotAFile::BrokenLink)
            }
            Err(_) => None,
        }
    }
}

/// Opens `path` for reading without following a symbolic link, and without waiting on a pipe:
/// on Unix with `O_NOFOLLOW | O_NONBLOCK`, so a file swapped for a link or a pipe after it
/// was looked at is not read either. `Ok(None)` when `path` is a link.
///
/// # Errors
///
/// The I/O error of the open.
pub fn open_no_follow(path: &Path) -> std::io::Result<Option<File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    match options.open(path) {
        Ok(file) => Ok(Some(file)),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The text of `file`, a file a person writes (a cycle file, `what` empty; a `template `, a
/// `config `, a `keymap `, a `theme `): a byte that is not UTF-8, as in a file saved in
/// Windows-1252 or UTF-16, is an error naming its line and column (in characters), which the
/// reader's own error ("stream did not contain valid UTF-8") does not.
///
/// # Errors
///
/// [`Error::Input`] when the file cannot be read or is not UTF-8.
pub fn read_text(file: &Path, what: &str) -> Result<String> {
    let bytes = std::fs::read(file)
        .map_err(|e| Error::input(format!("cannot read {what}{}: {e}", file.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let good = String::from_utf8_lossy(&bytes[..e.utf8_error().valid_up_to()]);
        let line_start = good.rfind('\n').map_or(0, |i| i + 1);
        Error::input(format!(
            "{}, line {}, column {}: not valid UTF-8 (the byte 0x{:02X}; save the {} as UTF-8)",
            file.display(),
            line_of(&good, good.len()),
            good[line_start..].chars().count() + 1,
            bytes.get(good.len()).copied().unwrap_or_default(),
            if what.is_empty() { "file" } else { what.trim() }
        ))
    })
}
