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
///
/// # Errors
///
/// [`Error::Input`] (exit 2) for a key file that is there but cannot serve: unreadable, a
/// link to nothing, empty, no OpenSSH private key, protected by a passphrase or readable by
/// others; a key that cannot be created is a runtime error.
pub fn load_or_create(path: &Path) -> Result<PrivateKey> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => load(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(unreadable(path, &e)),
    }
}

/// The key's SHA-256 fingerprint as `ssh-keygen -l` shows it (`SHA256:…`).
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

/// A host key file that is there and cannot be read: bad input like any other bad key file
/// (a link to nothing exited 1, the others 2).
fn unreadable(path: &Path, e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        return Error::input(format!(
            "host key {} is a link to nothing: point it at the key, or remove it to create a \
             new one",
            path.display()
        ));
    }
    Error::input(format!("cannot read host key {}: {e}", path.display()))
}

fn load(path: &Path) -> Result<PrivateKey> {
    check_private(path)?;
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e))?;
    let not_a_key = |why: &dyn std::fmt::Display| {
        Error::input(format!(
            "host key {} is not an OpenSSH private key ({why}); move it away to create a new one",
            path.display()
        ))
    };
    let text = String::from_utf8(bytes).map_err(|_| not_a_key(&"it is not text"))?;
    if text.trim().is_empty() {
        return Err(Error::input(format!(
            "host key {} is empty; move it away to create a new one",
            path.display()
        )));
    }
    // The library's reason is no help (a public key or plain text is "PEM preamble contains
    // invalid data (NUL byte)", though no NUL byte is there): what the file is instead is.
    let key = PrivateKey::from_openssh(text.trim_start()).map_err(|_| {
        let first = text.trim_start().lines().next().unwrap_or_default();
        if russh::keys::PublicKey::from_openssh(first.trim()).is_ok() {
            Error::input(format!(
                "host key {} holds a public key, not the private key: name the private key's \
                 file (without .pub), or a new file to create a new key",
                path.display()
            ))
        } else {
            Error::input(format!(
                "host key {} is not an OpenSSH private key; move it away to create a new one",
                path.display()
            ))
        }
    })?;
    // A server has no one to ask for a passphrase: such a key was taken at the start and
    // every connection then failed on it.
    if key.is_encrypted() {
        return Err(Error::input(format!(
            "host key {} is protected by a passphrase, which owed serve has no one to ask \
             for: remove the passphrase (`ssh-keygen -p -N \"\" -f {}`), or move the key \
             away to create a new one",
            path.display(),
            path.display()
        )));
    }
    Ok(key)
}

/// Refuses a key file that is not a plain file or that its group or others can read.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?;
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
    // Private, as the database's folder is (it was made 0755).
    crate::store::create_private_dirs(dir).map_err(|e| failed(&e))?;
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
            // The folder made for it is private too.
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
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
        // Without the library's reason, which spoke of a NUL byte that is not there.
        assert!(!e.to_string().contains("NUL"), "{e}");
        assert!(!e.to_string().contains("PEM"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"not a key");
    }

    /// A public key given as the host key is named as one.
    #[test]
    fn a_public_key_is_refused_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host_key.pub");
        let key = PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap();
        let line = key.public_key().to_openssh().unwrap();
        private_file(&path)
            .unwrap()
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("holds a public key, not the private key"), "{e}");
        assert!(!e.contains("NUL"), "{e}");
    }

    /// A key made by `ssh-keygen -q -t ed25519 -N pw -C ""`.
    const ENCRYPTED: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCq+COYqp
LIXs2ZQQ1svz+eAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIDYMBRgfz8jl8CSN
AbM1B/QKE0O5UZLC4Afp0Fvxk85vAAAAkPF21jNfefq1J0FqqLZVPNWAaC8vpH9TnTsVhA
pKpnPyJcGUk228r/Ji0339bm9VEbF1vsaJ1qN+/mhWkcqBHVH73LVL+8ssLf6zh/WRSXMB
8RiCfxWqcSKNKMucBHba9nkiPywT4L3aOwFhEqOpEL/tgW7gpRJlJBViIibVsZIydCClo8
0Wa41DCbdVecEJew==
-----END OPENSSH PRIVATE KEY-----
";

    /// A key protected by a passphrase was taken at the start, and every connection then
    /// failed on it (`SshKey: private key is encrypted` in the log).
    #[test]
    fn a_key_with_a_passphrase_is_refused_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enc");
        private_file(&path)
            .unwrap()
            .write_all(ENCRYPTED.as_bytes())
            .unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("protected by a passphrase"), "{e}");
        assert!(e.to_string().contains("ssh-keygen -p"), "{e}");
    }

    /// An empty key file said `PEM preamble contains invalid data (NUL byte)`; a link to
    /// nothing exited 1 where every other bad key exits 2.
    #[test]
    fn an_empty_key_or_a_link_to_nothing_is_said_so_and_exits_2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        private_file(&path).unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "host key {} is empty; move it away to create a new one",
                path.display()
            )
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("dangling");
            std::os::unix::fs::symlink(dir.path().join("gone"), &link).unwrap();
            let e = load_or_create(&link).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains("is a link to nothing"), "{e}");
            assert!(!dir.path().join("gone").exists());
        }
    }
}
