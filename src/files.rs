//! Files that come from outside (a Maildir's messages, a lockbox folder's images), opened
//! without following links.

use std::fs::File;
use std::path::Path;

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
