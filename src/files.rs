//! Files that come from outside (a Maildir's messages, a lockbox folder's images), opened
//! without following links; and what an entry a folder names as a file to read is instead.

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
