//! A database file built beside its target and renamed into place only when complete.
//!
//! `crm demo --db FILE` must never destroy `FILE` by failing half-way: the new database is
//! written to a hidden temporary file in the same directory (so the final rename stays on
//! one file system and is atomic), and [`StagedFile::commit`] renames it over the target
//! only after everything else succeeded. Dropping an uncommitted [`StagedFile`] removes
//! the temporary file and its SQLite side files, leaving the target as it was.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};

/// The side files SQLite may keep beside a database in WAL mode.
const SIDE_SUFFIXES: [&str; 2] = ["-wal", "-shm"];

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a file if it exists.
fn remove_if_present(path: &Path) -> CliResult<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(CliError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A database being built in a temporary file beside its target.
#[derive(Debug)]
pub struct StagedFile {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl StagedFile {
    /// Prepares to build `target`: refuses an existing target unless `force`, and picks a
    /// temporary path in the target's directory (any leftover of an earlier failed run of
    /// this process id is removed).
    pub fn begin(target: &Path, force: bool) -> CliResult<Self> {
        if target.exists() && !force {
            return Err(CliError::Usage(format!(
                "{} already exists; the demo builds a new database and will not replace it \
                 (pass --force to replace it, or choose another --db)",
                target.display()
            )));
        }
        if target.is_dir() {
            return Err(CliError::Usage(format!(
                "--db {} is a directory, not a database file",
                target.display()
            )));
        }
        let name = target
            .file_name()
            .ok_or_else(|| CliError::Usage(format!("--db {}: not a file name", target.display())))?
            .to_string_lossy()
            .into_owned();
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let staged = Self {
            target: target.to_path_buf(),
            temp,
            committed: false,
        };
        staged.remove_temp()?;
        Ok(staged)
    }

    /// The temporary file to build the database in.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    fn remove_temp(&self) -> CliResult<()> {
        remove_if_present(&self.temp)?;
        for suffix in SIDE_SUFFIXES {
            remove_if_present(&with_suffix(&self.temp, suffix))?;
        }
        Ok(())
    }

    /// Renames the finished database over the target. The target's own SQLite side files
    /// (left by an earlier crash) are removed first, so they cannot be mistaken for part
    /// of the new database; the database must be closed before this is called.
    pub fn commit(mut self) -> CliResult<PathBuf> {
        for suffix in SIDE_SUFFIXES {
            remove_if_present(&with_suffix(&self.target, suffix))?;
        }
        std::fs::rename(&self.temp, &self.target).map_err(|source| CliError::Write {
            path: self.target.clone(),
            source,
        })?;
        // The temporary name may still have side files if the store left them; they
        // belong to no database now.
        for suffix in SIDE_SUFFIXES {
            remove_if_present(&with_suffix(&self.temp, suffix))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the run already failed and reports that failure.
            let _ = self.remove_temp();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_target_is_refused_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("own.db");
        std::fs::write(&target, b"precious").unwrap();
        let e = StagedFile::begin(&target, false).expect_err("refused");
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    }

    #[test]
    fn the_target_changes_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("own.db");
        std::fs::write(&target, b"old").unwrap();
        std::fs::write(with_suffix(&target, "-wal"), b"stale").unwrap();
        let staged = StagedFile::begin(&target, true).unwrap();
        assert_eq!(staged.path().parent(), target.parent(), "beside the target");
        std::fs::write(staged.path(), b"new").unwrap();
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"old",
            "untouched until commit"
        );
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(
            !with_suffix(&target, "-wal").exists(),
            "stale side file removed"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left");
    }

    #[test]
    fn an_abandoned_build_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("own.db");
        std::fs::write(&target, b"old").unwrap();
        {
            let staged = StagedFile::begin(&target, true).unwrap();
            std::fs::write(staged.path(), b"half").unwrap();
            std::fs::write(with_suffix(staged.path(), "-wal"), b"half").unwrap();
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files removed");
    }
}
