//! Where a session's files are: the paths the attach form reads and the file `:export`
//! writes.
//!
//! A workstation in the user's own shell reaches what their account reaches: a relative path
//! is from the folder it was started in, `~/` is their home. A session over SSH runs as the
//! server's user, who can read the database, the host key and the process's own environment
//! (where the SMTP password is): there a collector reaches only the server's files folder
//! (`[serve] files`), a relative path being from their own folder in it (`FILES/alice`, made
//! when their session starts, or at their first export). Without that setting, files are
//! refused over SSH. A folder of the files folder named for a user ([`UserFolders`]) is that
//! user's alone: no one else reads or writes in it (a manager's export of the team's figures
//! stays the manager's); the other folders (`FILES/scans`) are the team's. Every path is
//! checked as written and again after links are followed, so a link does not lead out of the
//! folder or into someone else's; a user's own folder that is a link (into the team's folder),
//! or that is not the server's user's alone (0700: one someone made, who reads what is
//! written in it), is refused.
//!
//! The screens use it to resolve and complete what is typed; the service checks it again on
//! every export and attachment it is asked for, whatever the screen sent.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Why a file cannot be read here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Not this session's to read (over SSH without a files folder, outside it or in another
    /// user's folder in it), whatever is typed next.
    Refused(String),
    /// Not there, or not opened (a path still being typed).
    Missing(String),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Refused(why) | Unreadable::Missing(why) => f.write_str(why),
        }
    }
}

/// Where a session may read and write files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAccess {
    /// In the user's own shell: any path; relative ones from `cwd`, `~/` from `home`.
    Own { cwd: PathBuf, home: Option<PathBuf> },
    /// Over SSH with `[serve] files`: only inside `root`, and not in another user's folder
    /// there; relative paths from `root/user`.
    Within {
        root: PathBuf,
        user: String,
        users: UserFolders,
    },
    /// Over SSH without a files folder: none.
    Nowhere,
}

impl FileAccess {
    /// This process's own: its working folder and `HOME`.
    pub fn own() -> FileAccess {
        FileAccess::Own {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    /// An SSH session's: inside the server's files folder, if it has one (taken with its
    /// links followed, once: every path is compared with it so), out of the folders of the
    /// other `users`.
    pub fn over_ssh(root: Option<&Path>, user: &str, users: &UserFolders) -> FileAccess {
        match root {
            Some(root) => FileAccess::Within {
                root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
                user: user.to_string(),
                users: users.clone(),
            },
            None => FileAccess::Nowhere,
        }
    }

    /// Why files are refused here, when they are.
    pub fn refused(&self) -> Option<&'static str> {
        match self {
            FileAccess::Nowhere => Some(
                "over SSH, files are read and written in the server's files folder, and this \
                 server has none: a manager sets [serve] files in its config",
            ),
            _ => None,
        }
    }

    /// Whether what this session writes is kept to the server's user (0600): over SSH, the
    /// users' files are the server's to protect (every local account read them, a manager's
    /// team figures among them); in one's own shell, a file follows one's umask.
    pub fn private(&self) -> bool {
        matches!(self, FileAccess::Within { .. })
    }

    /// Makes the user's own folder of the files folder, readable by the server's user only,
    /// when there is none (over SSH; nothing otherwise).
    ///
    /// # Errors
    ///
    /// When it cannot be made, or when the one there is not the server's user's alone (see
    /// [`FileAccess::own_folder_refused`]).
    pub fn make_own_folder(&self) -> std::io::Result<()> {
        match self {
            FileAccess::Within { root, user, .. } => {
                match private_folder(&root.join(user_folder(user))) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        match self.own_folder_refused() {
                            Some(why) => Err(std::io::Error::other(why)),
                            None => Ok(()),
                        }
                    }
                    other => other,
                }
            }
            _ => Ok(()),
        }
    }

    /// Why the user's own folder of the files folder is refused, when it is there and is not
    /// a folder of the server's user's alone (0700): a link, another account's folder (made
    /// by someone else, who reads what is written in it), or one others may open. Nothing is
    /// read or written in it until it is mended; the session says so when it starts.
    pub fn own_folder_refused(&self) -> Option<String> {
        let FileAccess::Within { root, user, .. } = self else {
            return None;
        };
        let own = root.join(user_folder(user));
        let why = own_folder_fault(&own)?;
        Some(format!("your folder {}, which {why}", own.display()))
    }

    /// The folder a relative path starts from.
    pub fn base(&self) -> Option<PathBuf> {
        match self {
            FileAccess::Own { cwd, .. } => Some(cwd.clone()),
            FileAccess::Within { root, user, .. } => Some(root.join(user_folder(user))),
            FileAccess::Nowhere => None,
        }
    }

    /// A path as typed, made absolute, without its `.` parts: `:export .` says `wrote
    /// /home/alice/queue-….xlsx`, not `/home/alice/./…`. (A `..` is kept: the disk, not the
    /// text, says where it leads past a link.) `~` and `~/` are one's home folder in one's own
    /// shell, and over SSH one's own folder of the files folder, where a collector's files are
    /// there (`~/x.xlsx` was `FILES/alice/~/x.xlsx`, a folder that is not there).
    ///
    /// # Errors
    ///
    /// The sentence of [`FileAccess::refused`].
    pub fn absolute(&self, typed: &str) -> Result<PathBuf, String> {
        let base = self
            .base()
            .ok_or_else(|| self.refused().unwrap_or("").to_string())?;
        let home = match self {
            FileAccess::Own { home, .. } => home.clone(),
            FileAccess::Within { .. } => Some(base.clone()),
            FileAccess::Nowhere => None,
        };
        if let Some(home) = home {
            if typed == "~" {
                return Ok(home);
            }
            if let Some(rest) = typed.strip_prefix("~/") {
                return Ok(home.join(rest).components().collect());
            }
        }
        // Its components leave out the `.` parts (but a leading one, which a base has not).
        Ok(base.join(typed).components().collect())
    }

    /// A file to read (to attach), as typed: its absolute path, which over SSH must lie in the
    /// files folder, out of other users' folders, as written and once links are followed.
    ///
    /// # Errors
    ///
    /// A sentence naming the path: [`Unreadable::Refused`] here, outside the folder or in
    /// another user's, [`Unreadable::Missing`] when it cannot be read.
    pub fn readable(&self, typed: &str) -> Result<PathBuf, Unreadable> {
        let path = self.absolute(typed).map_err(Unreadable::Refused)?;
        let FileAccess::Within { root, .. } = self else {
            return Ok(path);
        };
        // Out of the folder as written (`../../x`, `/etc/x`, `../dana/x`), whatever is there;
        // then once links are followed.
        let plain = as_written(&path);
        self.reaches(root, &plain, typed)
            .map_err(Unreadable::Refused)?;
        self.own_folder_kept(&plain, typed)
            .map_err(Unreadable::Refused)?;
        let real = plain
            .canonicalize()
            .map_err(|e| Unreadable::Missing(format!("cannot read {typed}: {e}")))?;
        self.reaches(root, &real, typed)
            .map_err(Unreadable::Refused)?;
        Ok(real)
    }

    /// A file to write (an export) at `path` (absolute, from [`FileAccess::absolute`]): over
    /// SSH its folder must lie in the files folder, out of other users' folders, once links
    /// are followed, and the file must be a plain one or none yet (not a link, a FIFO or a
    /// device); the user's own folder is made when it is the one written in.
    ///
    /// # Errors
    ///
    /// A sentence naming the path: refused here, no such folder, outside the folder or in
    /// another user's.
    pub fn writable(&self, path: &Path) -> Result<PathBuf, String> {
        let FileAccess::Within { root, user, .. } = self else {
            return match self.refused() {
                Some(why) => Err(why.to_string()),
                None => Ok(path.to_path_buf()),
            };
        };
        let shown = path.display().to_string();
        let path = as_written(path);
        self.reaches(root, &path, &shown)?;
        self.own_folder_kept(&path, &shown)?;
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(format!("{shown} is not a file name"));
        };
        let own = root.join(user_folder(user));
        if folder == own && !own.exists() {
            private_folder(&own).map_err(|e| {
                format!(
                    "cannot make your folder {} in the files folder: {e}",
                    own.display()
                )
            })?;
        }
        let real = folder
            .canonicalize()
            .map_err(|e| format!("cannot write {shown}: {e}"))?;
        self.reaches(root, &real, &shown)?;
        let file = real.join(name);
        // The file itself: an export replaces what a link points to, and writes straight
        // into a FIFO (waiting for a reader for ever): a link planted in the shared folder
        // had an auditor's export replace the server's host key and config, and another
        // user's file.
        match std::fs::symlink_metadata(&file) {
            Ok(meta) if meta.file_type().is_symlink() => Err(format!(
                "{shown} is a link: over SSH, an export is written only to a plain file"
            )),
            Ok(meta) if !meta.is_file() => Err(format!(
                "{shown} is not a plain file: over SSH, an export is written only to one"
            )),
            _ => Ok(file),
        }
    }

    /// Whether `path` (as written, or with links followed) lies in the files folder `root`
    /// and out of every other user's folder there.
    fn reaches(&self, root: &Path, path: &Path, shown: &str) -> Result<(), String> {
        if !path.starts_with(root) {
            return Err(format!(
                "{shown} is outside the server's files folder ({}): over SSH, files are read \
                 and written only there",
                root.display()
            ));
        }
        self.ours(path, shown)
    }

    /// Refuses `path` (as written) when it goes through the user's own folder and that
    /// folder is a link: `ln -s scans FILES/eve` had eve's exports (a manager's `:export
    /// team`) written into the team's folder, for every collector to read.
    /// The same for a folder that is not the server's user's alone (see
    /// [`own_folder_fault`]): one left by someone else, or open to others, had the user's
    /// exports read by whoever made it.
    fn own_folder_kept(&self, path: &Path, shown: &str) -> Result<(), String> {
        let FileAccess::Within { root, user, .. } = self else {
            return Ok(());
        };
        let own = root.join(user_folder(user));
        if !path.starts_with(&own) {
            return Ok(());
        }
        match own_folder_fault(&own) {
            Some(why) => Err(format!(
                "{shown} is in your folder {}, which {why}",
                own.display()
            )),
            None => Ok(()),
        }
    }

    /// Whether `path` (in the files folder) is out of every other user's folder there.
    fn ours(&self, path: &Path, shown: &str) -> Result<(), String> {
        let FileAccess::Within { root, user, users } = self else {
            return Ok(());
        };
        let Some(Component::Normal(top)) = path
            .strip_prefix(root)
            .ok()
            .and_then(|rest| rest.components().next())
        else {
            return Ok(());
        };
        let top = top.to_string_lossy();
        if *top != user_folder(user) && users.holds(&top) {
            return Err(format!(
                "{shown} is in {top}'s folder: each user's folder of the files folder is theirs \
                 alone (share a file in a folder that is no one's, such as ../scans/)"
            ));
        }
        Ok(())
    }

    /// Completions of the last path of `typed` (paths separated by `;`, see [`split_paths`]):
    /// the entries of its folder, folders with a `/`, each as the whole field would read (the
    /// attach form's Tab, which keeps those that start with what is typed), a name's `;`, `\`
    /// and spaces at its ends written so that the field reads it back whole. Over SSH, only
    /// folders inside the files folder are listed; without one, nothing.
    pub fn choices(&self, typed: &str) -> Vec<String> {
        let (head, last) = match separators(typed).last() {
            Some(&i) => (
                format!("{}; ", typed[..i].trim_end()),
                typed[i + 1..].trim_start(),
            ),
            None => (String::new(), typed),
        };
        let dir_text = match last.rfind('/') {
            Some(i) => &last[..=i],
            None => "",
        };
        // A folder the session may read, as a file to attach is.
        let dir = match (self.readable(&unescape(dir_text)), self) {
            (Ok(dir), _) => dir,
            // The user's own folder may not be made yet: its listing is the folder's.
            (Err(Unreadable::Missing(_)), FileAccess::Within { root, .. })
                if dir_text.is_empty() =>
            {
                root.clone()
            }
            (Err(_), _) => return Vec::new(),
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .take(2000)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                // Another user's folder is not listed (it could not be read).
                self.ours(&e.path(), &name).ok()?;
                let is_dir = e.path().is_dir();
                let name = escape(&name);
                Some(if is_dir { format!("{name}/") } else { name })
            })
            .collect();
        names.sort();
        names.truncate(500);
        names
            .into_iter()
            .map(|n| format!("{head}{dir_text}{n}"))
            .collect()
    }
}

/// The paths of the attach form's field: separated by `;`, each without the spaces around it.
/// A name may hold a `;` (`invoice;2.pdf`, as some billing systems name their exports) or
/// start or end with a space: the field writes such a character with a `\` before it
/// (`invoice\;2.pdf`, as a shell's completion does), and a `\` itself as `\\`; a
/// `\` before anything else is kept as it is, so a name typed with one reads as typed.
/// [`FileAccess::choices`] writes names so.
pub fn split_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in separators(text).into_iter().chain([text.len()]) {
        let path = unescape(&text[start..end]);
        if !path.is_empty() {
            out.push(path);
        }
        start = end + 1;
    }
    out
}

/// The whole of the attach form's field read as one path, its `;` part of the name (to tell
/// a collector who typed a name with a `;` how to write it).
pub fn one_path(text: &str) -> String {
    unescape(text)
}

/// Whether `c` is written with a `\` before it where it would otherwise be read as a
/// separator or trimmed.
fn escapable(c: char) -> bool {
    c == ';' || c == '\\' || c.is_whitespace()
}

/// Where the `;` that separate paths are (those without a `\` before them).
fn separators(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|&(_, n)| escapable(n)) => {
                chars.next();
            }
            ';' => out.push(i),
            _ => {}
        }
    }
    out
}

/// One path as written in the field: its escapes read and the spaces around it trimmed (a
/// space written `\ ` stays).
fn unescape(text: &str) -> String {
    let mut read: Vec<(char, bool)> = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&n) if c == '\\' && escapable(n) => {
                chars.next();
                read.push((n, true));
            }
            _ => read.push((c, false)),
        }
    }
    let bare = |&(c, escaped): &(char, bool)| !escaped && c.is_whitespace();
    let first = read.iter().position(|r| !bare(r)).unwrap_or(read.len());
    let last = read.iter().rposition(|r| !bare(r)).map_or(first, |i| i + 1);
    read[first..last].iter().map(|&(c, _)| c).collect()
}

/// A name as the field writes it: its `;` and `\`, and the spaces at its ends, each with a
/// `\` before it.
fn escape(name: &str) -> String {
    let ends = name.len() - name.trim_start().len()..name.trim_end().len();
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.char_indices() {
        if c == ';' || c == '\\' || (c.is_whitespace() && !ends.contains(&i)) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The folders of the files folder that are users' own: one for each user of `owed serve`
/// there is or was (a removed user's folder stays theirs until a manager moves it), shared by
/// every session of a server, which adds each user as they log in.
#[derive(Clone, Default)]
pub struct UserFolders(Arc<RwLock<BTreeSet<String>>>);

impl UserFolders {
    /// The folders of these users.
    pub fn of<S: AsRef<str>>(users: impl IntoIterator<Item = S>) -> UserFolders {
        let folders = UserFolders::default();
        for user in users {
            folders.add(user.as_ref());
        }
        folders
    }

    /// `user`'s folder is theirs from now on.
    pub fn add(&self, user: &str) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user_folder(user));
    }

    /// Whether the folder named `folder` is a user's.
    fn holds(&self, folder: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(folder)
    }
}

impl std::fmt::Debug for UserFolders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.0.read().unwrap_or_else(|e| e.into_inner());
        f.debug_set().entries(set.iter()).finish()
    }
}

/// The same set (a session's is the server's).
impl PartialEq for UserFolders {
    fn eq(&self, other: &UserFolders) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for UserFolders {}

/// A user's folder in the files folder: their name, with each character that is not a
/// letter, a digit, `-`, `_` or `.` written as `%` and its UTF-8 bytes in hex, and a name
/// of dots only as `%2E`s. Two names never share a folder: `a/b` and `a_b` did (both
/// `a_b`), and `.` and `..` (both `_`), so one user read and wrote another's files.
fn user_folder(user: &str) -> String {
    if user.is_empty() || user.chars().all(|c| c == '.') {
        return "%2E".repeat(user.len().max(1));
    }
    let mut name = String::with_capacity(user.len());
    for c in user.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            name.push(c);
        } else {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                name.push_str(&format!("%{b:02X}"));
            }
        }
    }
    name
}

/// A user's folder `path` of the files folder, as the folder `owed user add` finds there
/// before the user is added (a removed user's, whose files the new one would read).
pub fn user_folder_in(root: &Path, user: &str) -> PathBuf {
    root.join(user_folder(user))
}

/// What is wrong with a user's own folder `own` (when it is there) for their files over SSH,
/// as the end of a sentence: a link, no folder, another account's, open to others. A folder
/// the user's first session made is the server's user's, 0700.
fn own_folder_fault(own: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(own).ok()?;
    if meta.file_type().is_symlink() {
        return Some(
            "is a link: over SSH, files are read and written in your folder only when it is a \
             folder of its own (ask for the link to be made one)"
                .into(),
        );
    }
    let move_it = "ask a manager to move it away (a folder of your own is made at your next \
                   session)";
    if !meta.is_dir() {
        return Some(format!("is not a folder: {move_it}"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Some(format!(
                "belongs to another account (uid {}) than the server's (uid {me}), who reads \
                 what is written in it: {move_it}",
                meta.uid()
            ));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Some(format!(
                "others may open (mode {mode:o}, not 700): ask a manager to close it (chmod 700 \
                 it) or to move it away"
            ));
        }
    }
    None
}

/// Makes the folder `path` readable by its owner only (0700): a user's folder is theirs
/// alone, and every local account could list and read it (0755).
fn private_folder(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// `path` as written: each `..` takes off the part before it, without looking at the disk
/// (as a shell's `cd` does).
fn as_written(path: &Path) -> PathBuf {
    let mut plain = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                plain.pop();
            }
            Component::CurDir => {}
            other => plain.push(other),
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dir` may be entered by its owner alone (0700).
    #[track_caller]
    fn assert_private_folder(dir: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}: {mode:o}", dir.display());
        }
    }

    /// A user's folder as their first session makes it (0700), and the folders above it.
    fn own_folder(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        private_folder(path).unwrap();
    }

    fn within(root: &Path) -> FileAccess {
        FileAccess::over_ssh(Some(root), "alice", &UserFolders::of(["alice", "dana"]))
    }

    #[test]
    fn over_ssh_another_users_folder_is_neither_read_written_nor_listed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        for dir in ["alice", "dana", "scans"] {
            own_folder(&root.join(dir));
        }
        std::fs::write(root.join("dana/team-2026-04-30.csv"), "the team's figures").unwrap();
        std::fs::write(root.join("scans/cheque.png"), "png").unwrap();
        let users = UserFolders::of(["alice", "dana"]);
        let alice = FileAccess::over_ssh(Some(&root), "alice", &users);
        let real = root.canonicalize().unwrap();
        // Read: by `..`, by its absolute path, or through a link in one's own folder.
        let abs = root.join("dana/team-2026-04-30.csv");
        let mut typed = vec![
            "../dana/team-2026-04-30.csv".to_string(),
            abs.display().to_string(),
        ];
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&abs, root.join("alice/figures.csv")).unwrap();
            std::os::unix::fs::symlink(root.join("dana"), root.join("alice/d")).unwrap();
            typed.extend(["figures.csv".to_string(), "d/team-2026-04-30.csv".into()]);
        }
        for t in &typed {
            match alice.readable(t) {
                Err(Unreadable::Refused(e)) => assert!(e.contains("dana's folder"), "{t}: {e}"),
                other => panic!("{t}: {other:?}"),
            }
        }
        // Written: an export into it, by name or by a link.
        for t in ["../dana/team-2026-04-30.csv", "../dana/new.xlsx"] {
            let e = alice.writable(&alice.absolute(t).unwrap()).unwrap_err();
            assert!(e.contains("dana's folder"), "{t}: {e}");
        }
        #[cfg(unix)]
        {
            let e = alice
                .writable(&alice.absolute("d/new.xlsx").unwrap())
                .unwrap_err();
            assert!(e.contains("dana's folder"), "{e}");
        }
        // Not listed; one's own folder and the team's are.
        assert_eq!(alice.choices("../"), ["../alice/", "../scans/"]);
        assert!(alice.choices("../dana/").is_empty());
        assert_eq!(
            alice.readable("../scans/cheque.png").unwrap(),
            real.join("scans/cheque.png")
        );
        assert!(
            alice
                .writable(&alice.absolute("../scans/q.xlsx").unwrap())
                .is_ok()
        );
        // Dana reads her own; a user added later (at their login) gets theirs.
        let dana = FileAccess::over_ssh(Some(&root), "dana", &users);
        assert!(dana.readable("team-2026-04-30.csv").is_ok());
        std::fs::create_dir(root.join("bob")).unwrap();
        std::fs::write(root.join("bob/notes.txt"), "bob's").unwrap();
        assert!(alice.readable("../bob/notes.txt").is_ok());
        users.add("bob");
        assert!(matches!(
            alice.readable("../bob/notes.txt"),
            Err(Unreadable::Refused(_))
        ));
    }

    #[test]
    fn over_ssh_a_file_is_read_only_inside_the_files_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        own_folder(&root.join("alice"));
        std::fs::create_dir_all(root.join("scans")).unwrap();
        std::fs::write(root.join("alice/po.pdf"), "po").unwrap();
        std::fs::write(root.join("scans/cheque.png"), "png").unwrap();
        std::fs::write(tmp.path().join("secret"), "key").unwrap();
        let f = within(&root);
        let real = root.canonicalize().unwrap();
        // Relative from the user's own folder; the team's folders beside it by `..`.
        assert_eq!(f.readable("po.pdf").unwrap(), real.join("alice/po.pdf"));
        assert_eq!(
            f.readable("../scans/cheque.png").unwrap(),
            real.join("scans/cheque.png")
        );
        let abs = root.join("scans/cheque.png");
        assert!(f.readable(abs.to_str().unwrap()).is_ok());
        // Out of it: by `..`, by an absolute path, by `~`, or by a link inside it.
        for typed in ["../../secret", "/etc/passwd", "/proc/self/environ"] {
            let e = f.readable(typed).unwrap_err().to_string();
            assert!(
                e.contains("outside the server's files folder"),
                "{typed}: {e}"
            );
        }
        // `~/` is the user's own folder here, not the server's user's home.
        assert!(matches!(
            f.readable("~/secret"),
            Err(Unreadable::Missing(_))
        ));
        assert_eq!(f.readable("~/po.pdf").unwrap(), real.join("alice/po.pdf"));
        assert_eq!(
            f.readable("~/../scans/cheque.png").unwrap(),
            real.join("scans/cheque.png")
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret"), root.join("alice/link")).unwrap();
            let e = f.readable("link").unwrap_err().to_string();
            assert!(e.contains("link is outside"), "{e}");
        }
        // Without a files folder, nothing.
        let none = FileAccess::over_ssh(None, "alice", &UserFolders::default());
        assert!(
            none.readable("po.pdf")
                .unwrap_err()
                .to_string()
                .contains("[serve] files")
        );
        assert!(none.choices("").is_empty());
    }

    #[test]
    fn over_ssh_an_export_is_written_in_the_users_folder_made_at_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        std::fs::create_dir(&root).unwrap();
        let f = within(&root);
        let path = f.absolute("queue.xlsx").unwrap();
        assert_eq!(path, root.join("alice/queue.xlsx"));
        // `~` is the user's own folder, as their home would be in their own shell: `~/x.xlsx`
        // was `alice/~/x.xlsx`, in a folder that is not there.
        assert_eq!(f.absolute("~").unwrap(), root.join("alice"));
        assert_eq!(f.absolute("~/x.xlsx").unwrap(), root.join("alice/x.xlsx"));
        assert_eq!(
            f.absolute("~/./d/q.xlsx").unwrap(),
            root.join("alice/d/q.xlsx")
        );
        let e = f
            .writable(&f.absolute("~/../dana/x.xlsx").unwrap())
            .unwrap_err();
        assert!(e.contains("dana's folder"), "{e}");
        // Without `.` parts, whose `/./` the status line would show.
        assert_eq!(f.absolute(".").unwrap(), root.join("alice"));
        assert_eq!(
            f.absolute("./d/./q.xlsx").unwrap(),
            root.join("alice/d/q.xlsx")
        );
        let real = f.writable(&path).unwrap();
        assert_eq!(real, root.canonicalize().unwrap().join("alice/queue.xlsx"));
        assert!(root.join("alice").is_dir());
        assert!(f.private());
        assert_private_folder(&root.join("alice"));
        // Not beside the folder, not in a folder that is not there.
        let e = f
            .writable(&f.absolute("../../x.xlsx").unwrap())
            .unwrap_err();
        assert!(e.contains("outside"), "{e}");
        let e = f.writable(Path::new("/tmp/x.xlsx")).unwrap_err();
        assert!(e.contains("outside"), "{e}");
        assert!(f.writable(&f.absolute("nope/x.xlsx").unwrap()).is_err());
        assert!(
            FileAccess::over_ssh(None, "alice", &UserFolders::default())
                .writable(Path::new("/tmp/x.xlsx"))
                .is_err()
        );
        // A plain file there is written over; a link (planted in the shared folder, to the
        // server's config outside it or to another user's file) or a FIFO is not.
        std::fs::write(root.join("alice/old.csv"), "x").unwrap();
        assert!(f.writable(&f.absolute("old.csv").unwrap()).is_ok());
        #[cfg(unix)]
        {
            std::fs::create_dir(root.join("scans")).unwrap();
            std::fs::write(tmp.path().join("config.toml"), "x").unwrap();
            std::os::unix::fs::symlink("../../config.toml", root.join("scans/cfg.csv")).unwrap();
            std::os::unix::fs::symlink("../alice/old.csv", root.join("scans/mine.csv")).unwrap();
            for typed in ["../scans/cfg.csv", "../scans/mine.csv"] {
                let e = f.writable(&f.absolute(typed).unwrap()).unwrap_err();
                assert!(e.contains("is a link"), "{typed}: {e}");
            }
            let fifo = root.join("scans/pipe.csv");
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(&fifo)
                    .status()
                    .unwrap()
                    .success()
            );
            let e = f
                .writable(&f.absolute("../scans/pipe.csv").unwrap())
                .unwrap_err();
            assert!(e.contains("is not a plain file"), "{e}");
        }
    }

    /// A user's folder that is a link into the team's folder was followed: eve's `:export
    /// team` wrote `FILES/scans/team.xlsx`, for every collector to read.
    #[cfg(unix)]
    #[test]
    fn over_ssh_a_users_folder_that_is_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        std::fs::create_dir_all(root.join("scans")).unwrap();
        std::fs::write(root.join("scans/cheque.png"), "png").unwrap();
        std::os::unix::fs::symlink("scans", root.join("eve")).unwrap();
        let eve = FileAccess::over_ssh(Some(&root), "eve", &UserFolders::of(["eve", "dana"]));
        let e = eve
            .writable(&eve.absolute("team.xlsx").unwrap())
            .unwrap_err();
        assert!(e.contains("which is a link"), "{e}");
        assert!(!root.join("scans/team.xlsx").exists());
        match eve.readable("cheque.png") {
            Err(Unreadable::Refused(e)) => assert!(e.contains("which is a link"), "{e}"),
            other => panic!("{other:?}"),
        }
        // The team's folder itself, by its own name, is still the team's.
        assert!(eve.readable("../scans/cheque.png").is_ok());
        assert!(
            eve.writable(&eve.absolute("../scans/q.xlsx").unwrap())
                .is_ok()
        );
    }

    /// A user's folder there before their first session, open to others or another
    /// account's (a removed user's left as it was, one someone made): the user's exports went
    /// into it for its maker to read. Refused until it is closed or moved away.
    #[cfg(unix)]
    #[test]
    fn over_ssh_a_users_folder_not_the_servers_alone_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        let own = root.join("alice");
        std::fs::create_dir_all(&own).unwrap();
        std::fs::create_dir_all(root.join("scans")).unwrap();
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(own.join("left.xlsx"), "a former alice's").unwrap();
        let f = within(&root);
        let e = f.make_own_folder().unwrap_err().to_string();
        assert!(e.contains("others may open (mode 755, not 700)"), "{e}");
        assert!(e.contains("chmod 700"), "{e}");
        assert_eq!(f.own_folder_refused(), Some(e));
        match f.readable("left.xlsx") {
            Err(Unreadable::Refused(e)) => assert!(e.contains("mode 755"), "{e}"),
            other => panic!("{other:?}"),
        }
        let e = f.writable(&f.absolute("~/q.xlsx").unwrap()).unwrap_err();
        assert!(e.contains("mode 755"), "{e}");
        assert!(!own.join("q.xlsx").exists());
        // The team's folders beside it are not held back.
        assert!(f.writable(&f.absolute("../scans/q.xlsx").unwrap()).is_ok());
        // Closed: hers.
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(f.make_own_folder().is_ok());
        assert_eq!(f.own_folder_refused(), None);
        assert!(f.readable("left.xlsx").is_ok());
        // Another account's (only root can give it away).
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(&own, Some(65534), None).unwrap();
            let e = f.make_own_folder().unwrap_err().to_string();
            assert!(e.contains("belongs to another account (uid 65534)"), "{e}");
            assert!(e.contains("move it away"), "{e}");
            assert!(f.writable(&f.absolute("q.xlsx").unwrap()).is_err());
        }
    }

    #[test]
    fn completion_over_ssh_lists_only_the_files_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        std::fs::create_dir_all(root.join("scans")).unwrap();
        std::fs::write(root.join("scans/a.png"), "").unwrap();
        let f = within(&root);
        // The user's folder is not made yet: its listing is the files folder's.
        assert_eq!(f.choices(""), ["scans/"]);
        // Once it is (a session over SSH makes it when it starts, its user's alone), from
        // there.
        f.make_own_folder().unwrap();
        f.make_own_folder().unwrap();
        assert_private_folder(&root.join("alice"));
        assert!(f.choices("").is_empty());
        assert_eq!(f.choices("x; ../scans/"), ["x; ../scans/a.png"]);
        assert_eq!(f.choices("~/../scans/"), ["~/../scans/a.png"]);
        assert!(f.choices("/etc/").is_empty());
        assert!(f.choices("../../").is_empty());
    }

    #[test]
    fn in_ones_own_shell_paths_complete_in_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("remittance.pdf"), "x").unwrap();
        std::fs::write(dir.path().join("receipt.png"), "x").unwrap();
        std::fs::create_dir(dir.path().join("scans")).unwrap();
        let f = FileAccess::Own {
            cwd: dir.path().to_path_buf(),
            home: None,
        };
        let base = format!("{}/", dir.path().display());
        assert_eq!(
            f.choices(&base),
            [
                format!("{base}receipt.png"),
                format!("{base}remittance.pdf"),
                format!("{base}scans/")
            ]
        );
        // Relative to the working folder; the last of several paths.
        assert_eq!(
            f.choices("a.txt; "),
            [
                "a.txt; receipt.png",
                "a.txt; remittance.pdf",
                "a.txt; scans/"
            ]
        );
    }

    /// Every name Tab offers is read back by the field as that one name: a `;` would
    /// otherwise separate two paths, spaces at its ends be trimmed.
    #[test]
    fn completion_offers_only_names_the_field_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "invoice;2.pdf",
            " lead.pdf",
            "trail.pdf ",
            r"back\slash.pdf",
            r"a\;b.pdf",
            "plain copy.pdf",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("old;scans")).unwrap();
        std::fs::write(dir.path().join("old;scans/c;1.png"), "x").unwrap();
        let f = FileAccess::Own {
            cwd: dir.path().to_path_buf(),
            home: None,
        };
        let offered = f.choices("");
        assert!(
            offered.contains(&r"invoice\;2.pdf".to_string()),
            "{offered:?}"
        );
        assert!(offered.contains(&r"\ lead.pdf".to_string()), "{offered:?}");
        assert!(offered.contains(&r"trail.pdf\ ".to_string()), "{offered:?}");
        assert!(
            offered.contains(&"plain copy.pdf".to_string()),
            "{offered:?}"
        );
        for choice in &offered {
            let paths = split_paths(choice);
            assert_eq!(paths.len(), 1, "{choice}: {paths:?}");
            assert!(dir.path().join(&paths[0]).exists(), "{choice}: {paths:?}");
            // After another path, the same.
            let after = format!("x.pdf; {choice}");
            assert!(
                f.choices(&format!("x.pdf; {}", &choice[..1]))
                    .contains(&after)
            );
            assert_eq!(split_paths(&after), ["x.pdf", paths[0].as_str()]);
        }
        // Into a folder whose name has a `;`; what is typed so far with its escape
        assert_eq!(f.choices(r"old\;scans/"), [r"old\;scans/c\;1.png"]);
        assert_eq!(split_paths(r"old\;scans/c\;1.png"), ["old;scans/c;1.png"]);
        // (the whole folder: the field keeps those that start with what is typed).
        let typed = r"invoice\;";
        let kept: Vec<String> = f
            .choices(typed)
            .into_iter()
            .filter(|c| c.starts_with(typed))
            .collect();
        assert_eq!(kept, [r"invoice\;2.pdf"]);
        // A `\` before anything else is kept as typed; `;` still separates.
        assert_eq!(
            split_paths(r"scan\1.pdf; b.pdf ;"),
            [r"scan\1.pdf", "b.pdf"]
        );
        assert_eq!(one_path("invoice;2.pdf"), "invoice;2.pdf");
    }

    #[test]
    fn in_ones_own_shell_any_path_from_the_working_folder_or_home() {
        let f = FileAccess::Own {
            cwd: PathBuf::from("/work"),
            home: Some(PathBuf::from("/home/a")),
        };
        assert_eq!(f.absolute("q.xlsx").unwrap(), Path::new("/work/q.xlsx"));
        assert_eq!(f.absolute("~/q.xlsx").unwrap(), Path::new("/home/a/q.xlsx"));
        assert_eq!(f.absolute("/etc/hosts").unwrap(), Path::new("/etc/hosts"));
        assert_eq!(f.writable(Path::new("/x/y")).unwrap(), Path::new("/x/y"));
        assert_eq!(user_folder("../x y"), "..%2Fx%20y");
        assert_eq!(user_folder(".."), "%2E%2E");
        assert_eq!(user_folder("."), "%2E");
        // Two names, two folders: `a/b` and `a_b` shared one.
        assert_eq!(user_folder("a/b"), "a%2Fb");
        assert_eq!(user_folder("a_b"), "a_b");
        assert_eq!(user_folder("o'brien.j"), "o%27brien.j");
        assert_eq!(user_folder("zoë"), "zoë");
    }
}
