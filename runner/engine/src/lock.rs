//! The store's write lock: one writer at a time per `results/` folder.
//!
//! Two runs writing one store at once pay for the same work twice and can attach an
//! evaluation to a generation its judge never saw. Every writer (`fabula run`, `fabula
//! clean-failed`, `fabula merge`, a run from the editor) holds [`WriteLock`] while it
//! plans and writes; readers (leaderboards, status, the editor's scores) need none,
//! because every record is written atomically.
//!
//! The lock is an advisory exclusive lock on `results/.fabula.lock` (`flock` on Unix,
//! `LockFileEx` on Windows, through the standard library's `File::try_lock`), held by an
//! open file: the kernel releases it when the process ends, however it ends, so a killed
//! run never leaves the store locked. The holder writes its PID into the file so a
//! refused writer can say who holds it.
//!
//! Holding the lock also proves that no writer is running, so taking it is when litter is
//! cleared: temporary files of interrupted writes (exactly our `.tmp-<pid>-<n>-<record>`
//! names, found without following links) are removed, of any age.

use crate::store::{Store, contents};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the store.
pub const LOCK_FILE: &str = ".fabula.lock";

/// A held write lock. Dropping it releases the lock.
#[derive(Debug)]
pub struct WriteLock {
    file: File,
    path: PathBuf,
    /// This lock created the store's folder (removed on release if nothing was written).
    created_root: bool,
    swept: usize,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{root} is being written by another fabula process ({holder}); wait for it to finish, or stop it (lock file: {lock})",
        root = root.display(),
        lock = root.join(LOCK_FILE).display(),
        holder = match pid { Some(pid) => format!("pid {pid}"), None => "pid unknown".to_string() }
    )]
    Held { root: PathBuf, pid: Option<u32> },
    #[error(
        "{} holds {} symbolic link(s), which the store never follows: {}; replace each with what it points to (e.g. `cp -rL`) or remove it",
        root.display(),
        links.len(),
        links.iter().map(|l| l.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Links { root: PathBuf, links: Vec<PathBuf> },
    #[error("cannot lock {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl Store {
    /// Takes the store's write lock without waiting, creating the store if needed, then
    /// removes the temporary files of interrupted writes. Refused when another process
    /// holds it (naming its PID) and when the store holds symbolic links: a run would
    /// otherwise pay again for work stored behind a link it must not follow, or write
    /// through a link out of the store.
    pub fn lock(&self) -> Result<WriteLock, LockError> {
        let root = self.root();
        let path = root.join(LOCK_FILE);
        let io_error = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        // A holder that created the store and wrote nothing removes it when it lets go
        // (see `Drop`); a writer that opened the file just before may then hold a lock on
        // a removed file, so it checks and tries again.
        for _ in 0..ATTEMPTS {
            let created_root = fs::symlink_metadata(root).is_err();
            fs::create_dir_all(root).map_err(io_error)?;
            if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(LockError::Links {
                    root: root.to_path_buf(),
                    links: vec![path],
                });
            }
            // Not truncated on open: the holder's PID must survive a refused writer's open.
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path);
            let mut file = match opened {
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                other => other.map_err(io_error)?,
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(LockError::Held {
                        root: root.to_path_buf(),
                        pid: holder(&mut file),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io_error(e)),
            }
            if !still_at(&file, &path) {
                continue;
            }
            file.set_len(0).map_err(io_error)?;
            file.rewind().map_err(io_error)?;
            writeln!(file, "{}", std::process::id()).map_err(io_error)?;
            let found = contents(root);
            let swept = found
                .temporaries
                .iter()
                .filter(|t| fs::remove_file(t).is_ok())
                .count();
            if !found.links.is_empty() {
                return Err(LockError::Links {
                    root: root.to_path_buf(),
                    links: found.links,
                });
            }
            return Ok(WriteLock {
                file,
                path,
                created_root,
                swept,
            });
        }
        Err(io_error(io::Error::other(
            "the lock file kept disappearing while it was taken",
        )))
    }
}

/// How often [`Store::lock`] tries when the lock file is removed under it.
const ATTEMPTS: usize = 16;

impl WriteLock {
    /// How many temporary files of interrupted writes taking the lock removed.
    pub fn swept(&self) -> usize {
        self.swept
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // No stale PID for the next reader; closing the file releases the lock.
        let _ = self.file.set_len(0);
        // A writer that created the store and wrote nothing (a run stopped by a missing
        // key, a merge of empty folders) leaves no trace. Removed while still locked.
        let Some(root) = self.path.parent() else {
            return;
        };
        let only_the_lock = fs::read_dir(root).is_ok_and(|mut entries| {
            entries
                .next()
                .is_some_and(|e| e.is_ok_and(|e| e.file_name() == LOCK_FILE))
                && entries.next().is_none()
        });
        if self.created_root && only_the_lock && fs::remove_file(&self.path).is_ok() {
            let _ = fs::remove_dir(root);
        }
    }
}

/// Whether `file` is still the file at `path` (not removed by a holder's cleanup).
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere a locked file cannot be removed, so it is always still there.
#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The PID written by the lock's holder, if it has written one yet.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("results"));
        let first = store.lock().unwrap();
        match store.lock() {
            Err(e @ LockError::Held { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains(&format!("pid {}", std::process::id())),
                    "{message}"
                );
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        store.lock().unwrap();
    }

    #[test]
    fn a_writer_that_wrote_nothing_in_a_new_store_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("results"));
        drop(store.lock().unwrap());
        assert!(!store.root().exists());

        // A store that held something before, or got something, stays.
        let lock = store.lock().unwrap();
        fs::write(store.root().join("notes.txt"), "kept").unwrap();
        drop(lock);
        assert!(store.root().join(LOCK_FILE).exists());
        fs::remove_file(store.root().join("notes.txt")).unwrap();
        drop(store.lock().unwrap());
        assert!(
            store.root().join(LOCK_FILE).exists(),
            "it existed before this lock"
        );
    }
}
