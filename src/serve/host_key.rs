//! The server's host key: created once, kept private, read on every later start.
//!
//! The key is an ed25519 private key in OpenSSH format (`host_key.ed25519` beside the database
//! by default). On first start it is written to a temporary file created with mode 0600 in the
//! same folder and then linked into place, so the key file is never visible half-written or
//! with wider permissions, and two servers starting at once end up with one key (the second
//! link fails and that server reads the first one's key). On later starts an existing key
//! file that other users can read is refused, as OpenSSH refuses an unprotected private key.

use crate::{Error, Result};
use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, HashAlg, PrivateKey};
use std::io::Write;
use std::path::Path;

/// Reads the host key at `path`, creating it first when there is none.
pub fn load_or_create(path: &Path) -> Result<PrivateKey> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => load(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(Error::runtime(format!(
            "cannot read host key {}: {e}",
            path.display()
        ))),
    }
}

/// The key's SHA-256 fingerprint as `ssh-keygen -l` shows it (`SHA256:…`).
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

fn load(path: &Path) -> Result<PrivateKey> {
    check_private(path)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::runtime(format!("cannot read host key {}: {e}", path.display())))?;
    PrivateKey::from_openssh(text.trim_start()).map_err(|e| {
        Error::input(format!(
            "host key {} is not an OpenSSH private key ({e}); move it away to create a new one",
            path.display()
        ))
    })
}

/// Refuses a key file that is not a plain file or that its group or others can read.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::runtime(format!("cannot read host key {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(Error::input(format!(
            "host key {} is not a file",
            path.display()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::input(format!(
            "host key {} is readable by other users (mode {mode:03o}): run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<()> {
    Ok(())
}

fn create(path: &Path) -> Result<PrivateKey> {
    let failed = |e: &dyn std::fmt::Display| {
        Error::runtime(format!("cannot create host key {}: {e}", path.display()))
    };
    let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).map_err(|e| failed(&e))?;
    let text = key.to_openssh(LineEnding::LF).map_err(|e| failed(&e))?;
    let dir = crate::store::folder_of(path);
    std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "host_key".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = private_file(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(&e));
    }
    // A hard link never replaces an existing file: a server that started at the same moment
    // and linked its key first wins, and this one reads that key.
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(path),
        Err(e) => Err(failed(&e)),
    }
}

/// A new file that only its owner can read and write.
#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_private_on_first_start_and_the_same_on_the_second() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("host_key.ed25519");
        let first = load_or_create(&path).unwrap();
        assert_eq!(first.algorithm(), Algorithm::Ed25519);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let second = load_or_create(&path).unwrap();
        assert_eq!(
            first.public_key().key_data(),
            second.public_key().key_data()
        );
        assert_eq!(fingerprint(&first), fingerprint(&second));
        assert!(fingerprint(&first).starts_with("SHA256:"));
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("host_key.ed25519")]);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host_key.ed25519");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }

    #[test]
    fn a_file_that_is_no_key_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host_key.ed25519");
        private_file(&path)
            .unwrap()
            .write_all(b"not a key")
            .unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert!(e.to_string().contains("not an OpenSSH private key"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"not a key");
    }
}
