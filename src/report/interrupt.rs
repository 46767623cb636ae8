//! Interrupts: on SIGINT or SIGTERM, remove this process's temporary files and staging
//! directories, then exit with 128 + the signal's number (130, 143).
//!
//! Every temporary path lives in one registry while it exists ([`with_registry`]). The signal
//! thread ([`install`]) takes the registry's lock, removes what is registered and exits while
//! still holding it, so a file is never created, renamed into place or moved out of a staging
//! directory halfway through the cleanup: code that does those things holds the same lock.
//! Publishing a run directory ([`super::run_dir::RunDir::publish`]) holds it from the first
//! rename to the manifest, so an interrupt during the publication waits for it (a few
//! milliseconds of renames) and the directory holds the whole new run.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Paths to remove on an interrupt: temporary files and staging directories.
#[derive(Debug, Default)]
pub struct Registry {
    paths: Vec<PathBuf>,
}

impl Registry {
    /// Adds a path to remove on an interrupt.
    pub fn add(&mut self, path: &Path) {
        self.paths.push(path.to_path_buf());
    }

    /// Forgets a path (it was renamed into place or removed).
    pub fn remove(&mut self, path: &Path) {
        if let Some(i) = self.paths.iter().rposition(|p| p == path) {
            self.paths.swap_remove(i);
        }
    }

    /// Removes every registered path (files, and directories with their contents), newest
    /// first; returns how many were removed.
    fn remove_all(&mut self) -> usize {
        let mut removed = 0;
        for path in self.paths.drain(..).rev() {
            let gone = match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path).is_ok(),
                Ok(_) => std::fs::remove_file(&path).is_ok(),
                Err(_) => false,
            };
            removed += usize::from(gone);
        }
        removed
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { paths: Vec::new() });

/// Runs `f` with the registry locked: an interrupt cannot clean up while `f` runs.
pub fn with_registry<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut guard)
}

/// Starts the thread that cleans up on SIGINT and SIGTERM (once per process; later calls do
/// nothing). Without it, signals keep their default action and an interrupted run leaves its
/// temporary files for the next run in the same directory to remove.
pub fn install() -> io::Result<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    install_handler()?;
    let _ = INSTALLED.set(());
    Ok(())
}

#[cfg(unix)]
fn install_handler() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("interrupt-cleanup".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the process ends: nothing new is created or published.
                let mut guard = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
                let removed = guard.remove_all();
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                let note = if removed > 0 {
                    "; removed this run's temporary files: the output directory is as it was before the run"
                } else {
                    ""
                };
                eprintln!("interrupted by {name}{note}");
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}

#[cfg(not(unix))]
fn install_handler() -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_all_takes_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".a.tmp");
        let sub = dir.path().join(".staging-1-2");
        std::fs::write(&file, b"x").unwrap();
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("summary.json"), b"{}").unwrap();
        let mut r = Registry::default();
        r.add(&file);
        r.add(&sub);
        r.add(&dir.path().join("already-gone"));
        assert_eq!(r.remove_all(), 2);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(r.paths.is_empty());
    }

    #[test]
    fn a_removed_path_is_forgotten() {
        let mut r = Registry::default();
        r.add(Path::new("a"));
        r.add(Path::new("b"));
        r.remove(Path::new("a"));
        assert_eq!(r.paths, vec![PathBuf::from("b")]);
    }
}
