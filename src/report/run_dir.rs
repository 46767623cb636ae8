//! An output directory that holds one run (DESIGN.md §7, "A run directory is one run").
//!
//! [`RunDir::open`] locks `--out` (an advisory `flock` on `--out/.lock`, which holds the pid of
//! the run that holds it), removes what a killed run left there (`.staging-*` directories and
//! `.NAME.XXXXXX.tmp` files) and makes a staging directory `--out/.staging-PID-NONCE`. The run
//! writes its files into [`RunDir::staging`] (or with [`RunDir::stage_file`]);
//! [`RunDir::publish`] then
//!
//! 1. writes `manifest.json` into the staging directory, listing exactly the staged files;
//! 2. refuses (nothing changed) when a destination is not a regular file, or when the
//!    directory's `manifest.json` is newer than this run's start (another run published
//!    meanwhile, e.g. on a file system without locks);
//! 3. removes the old `manifest.json`, moves every staged file into place, removes the files the
//!    old manifest listed that this run did not write (stale charts, `focus.csv`, `stress.csv`,
//!    `trials.csv`...), and moves the new `manifest.json` into place last.
//!
//! Step 3 holds the interrupt lock ([`super::interrupt`]): SIGINT or SIGTERM waits for it. So
//! the directory holds the previous run (interrupted before step 3) or the new one, and a
//! `manifest.json` never lists a file that is not there. Only a crash or SIGKILL inside step 3
//! (renames, milliseconds) can leave a directory without `manifest.json`: then it holds no
//! complete run, says so by the missing manifest, and the next run replaces it. Files the old
//! manifest does not list (the user's own) are never touched.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::atomic::{NotARegularFile, TEMP_SUFFIX, check_output_file, non_regular_kind};
use super::dir_lock::DirLock;
use super::{Manifest, interrupt, iso8601_utc, write_atomic};

/// The lock file inside an output directory; it holds the pid of the last run that locked it.
pub const LOCK_FILE: &str = ".lock";
/// The manifest: written last, it lists the files of the run.
pub const MANIFEST: &str = "manifest.json";
/// How staging directories are named: `.staging-PID-NONCE`.
const STAGING_PREFIX: &str = ".staging-";

/// Why an output directory cannot take a run.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// `--out` exists and is not a directory.
    #[error(
        "{}: is {what}, expected a directory (the output directory the run's files go into)",
        path.display()
    )]
    NotADirectory {
        /// The path.
        path: PathBuf,
        /// What is there.
        what: &'static str,
    },
    /// A file of the run would replace something that is not a regular file.
    #[error(transparent)]
    NotARegularFile(#[from] NotARegularFile),
    /// Another process holds the directory's lock.
    #[error(
        "{}: another tokencast run{} is writing into this directory; wait for it to finish or choose another output directory",
        dir.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked {
        /// The directory.
        dir: PathBuf,
        /// The holder's pid, as written in the lock file.
        pid: Option<u32>,
    },
    /// The directory's manifest was written after this run started.
    #[error(
        "{}: written at {written}, after this run started at {started}: another run published into this directory meanwhile; this run's results were not published (run it again, or choose another output directory)",
        manifest.display()
    )]
    NewerManifest {
        /// The manifest's path.
        manifest: PathBuf,
        /// This run's start (UTC).
        started: String,
        /// The manifest's modification time (UTC).
        written: String,
    },
    /// A file system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `cannot create`.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl RunDirError {
    /// Whether the error is the user's input (exit code 2) rather than a runtime failure (1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            RunDirError::NotADirectory { .. } | RunDirError::NotARegularFile(_)
        )
    }
}

pub(crate) fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> RunDirError + 'a {
    move |source| {
        // A refusal to replace a non-regular file keeps its own message and exit code.
        match source
            .get_ref()
            .and_then(|e| e.downcast_ref::<NotARegularFile>())
        {
            Some(n) => RunDirError::NotARegularFile(n.clone()),
            None => RunDirError::Io {
                action,
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

/// What [`RunDir::publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The files of the run, as the manifest lists them (`manifest.json` included).
    pub files: Vec<String>,
    /// Files of the previous run that this run did not write, removed.
    pub removed: Vec<String>,
}

/// An output directory locked for one run, with the run's files staged inside it.
#[derive(Debug)]
pub struct RunDir {
    out: PathBuf,
    staging: PathBuf,
    started: SystemTime,
    leftovers: Vec<String>,
    published: bool,
    _lock: DirLock,
}

impl RunDir {
    /// Creates `out` if needed, locks it, removes what a killed run left in it and starts a
    /// staging directory. `out` may be a symbolic link to a directory (it is followed).
    pub fn open(out: &Path) -> Result<RunDir, RunDirError> {
        match fs::metadata(out) {
            Ok(m) if m.is_dir() => {}
            Ok(m) => {
                return Err(RunDirError::NotADirectory {
                    path: out.to_path_buf(),
                    what: non_regular_kind(&m).unwrap_or("a regular file"),
                });
            }
            Err(_) => fs::create_dir_all(out)
                .map_err(io_error("cannot create the output directory", out))?,
        }
        let lock = DirLock::acquire(out)?;
        // Without a lock (a file system that has none), a staging directory may be a live
        // run's: leave them.
        let leftovers = if lock.is_held() {
            remove_leftovers(out)?
        } else {
            Vec::new()
        };
        let started = SystemTime::now();
        let staging = out.join(format!(
            "{STAGING_PREFIX}{}-{}",
            std::process::id(),
            nonce()
        ));
        interrupt::with_registry(|registry| {
            fs::create_dir(&staging)?;
            registry.add(&staging);
            Ok(())
        })
        .map_err(io_error("cannot write into", out))?;
        Ok(RunDir {
            out: out.to_path_buf(),
            staging,
            started,
            leftovers,
            published: false,
            _lock: lock,
        })
    }

    /// The output directory.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The staging directory: write the run's files here (by plain file names); they appear
    /// in [`RunDir::out`] on [`RunDir::publish`].
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// When the directory was opened (the run's start, for its manifest).
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// Temporary files and staging directories of a killed run, removed by [`RunDir::open`].
    pub fn leftovers(&self) -> &[String] {
        &self.leftovers
    }

    /// Stages one file of the run.
    pub fn stage_file(&self, name: &str, bytes: &[u8]) -> Result<(), RunDirError> {
        let path = self.staged_path(name)?;
        write_atomic(&path, bytes).map_err(io_error("cannot write", &path))
    }

    /// Stages one file of the run, written by `write` (buffered).
    pub fn stage_with(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), RunDirError> {
        let path = self.staged_path(name)?;
        let mut file = super::AtomicFile::create(&path).map_err(io_error("cannot write", &path))?;
        write(&mut file)
            .and_then(|()| file.commit())
            .map_err(io_error("cannot write", &path))
    }

    fn staged_path(&self, name: &str) -> Result<PathBuf, RunDirError> {
        if !is_plain_name(name) || name == MANIFEST {
            return Err(RunDirError::Io {
                action: "cannot stage",
                path: self.staging.join(name),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "expected a plain file name (not manifest.json, no '/', not hidden)",
                ),
            });
        }
        Ok(self.staging.join(name))
    }

    /// Moves the staged files into the output directory, the manifest last, and removes the
    /// previous run's files that this run did not write (see the module's documentation).
    /// `manifest.files` gives the order of the listing; it is set to exactly the staged files
    /// (in that order, then any other staged file by name) and `manifest.json`.
    pub fn publish(mut self, manifest: &mut Manifest) -> Result<Published, RunDirError> {
        let staged = self.staged_files()?;
        let mut files: Vec<String> = manifest
            .files
            .iter()
            .filter(|f| *f == MANIFEST || staged.contains(f))
            .cloned()
            .collect();
        if !files.iter().any(|f| f == MANIFEST) {
            files.push(MANIFEST.into());
        }
        for s in &staged {
            if !files.contains(s) {
                files.push(s.clone());
            }
        }
        files.dedup();
        manifest.files = files;
        let mut json = serde_json::to_string_pretty(manifest).map_err(|e| RunDirError::Io {
            action: "cannot serialise",
            path: self.staging.join(MANIFEST),
            source: io::Error::other(e),
        })?;
        json.push('\n');
        let staged_manifest = self.staging.join(MANIFEST);
        write_atomic(&staged_manifest, json.as_bytes())
            .map_err(io_error("cannot write", &staged_manifest))?;

        // Refusals first: nothing in the directory changes.
        for name in &manifest.files {
            check_output_file(&self.out.join(name))?;
        }
        let current = self.out.join(MANIFEST);
        if let Ok(written) = fs::metadata(&current).and_then(|m| m.modified())
            && written > self.started
        {
            return Err(RunDirError::NewerManifest {
                manifest: current,
                started: iso8601_utc(self.started),
                written: iso8601_utc(written),
            });
        }
        let previous = previous_run_files(&self.out);

        let removed = interrupt::with_registry(|registry| -> Result<_, RunDirError> {
            match fs::remove_file(&current) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(io_error("cannot remove", &current)(e));
                }
                _ => {}
            }
            for name in manifest.files.iter().filter(|f| *f != MANIFEST) {
                let to = self.out.join(name);
                fs::rename(self.staging.join(name), &to).map_err(io_error("cannot write", &to))?;
            }
            let mut removed = Vec::new();
            for old in previous
                .iter()
                .filter(|f| is_plain_name(f) && *f != MANIFEST && !manifest.files.contains(f))
            {
                let path = self.out.join(old);
                if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                    fs::remove_file(&path).map_err(io_error("cannot remove the stale", &path))?;
                    removed.push(old.clone());
                }
            }
            fs::rename(&staged_manifest, &current).map_err(io_error("cannot write", &current))?;
            sync_dir(&self.out);
            let _ = fs::remove_dir_all(&self.staging);
            registry.remove(&self.staging);
            Ok(removed)
        })?;
        self.published = true;
        Ok(Published {
            files: manifest.files.clone(),
            removed,
        })
    }

    /// The staged files' names, sorted (temporary files of unfinished writers left out).
    fn staged_files(&self) -> Result<Vec<String>, RunDirError> {
        let mut names = Vec::new();
        let entries =
            fs::read_dir(&self.staging).map_err(io_error("cannot read", &self.staging))?;
        for entry in entries {
            let entry = entry.map_err(io_error("cannot read", &self.staging))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_plain_name(&name)
                && name != MANIFEST
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.published {
            // A failed or abandoned run: its staged files go, the directory keeps the
            // previous run.
            interrupt::with_registry(|registry| {
                let _ = fs::remove_dir_all(&self.staging);
                registry.remove(&self.staging);
            });
        }
    }
}

/// A name directly inside the directory: no separator, not hidden, not `.`/`..`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\'])
}

fn nonce() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{nanos:08x}{:x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Removes the staging directories and temporary files of earlier runs (called with the lock
/// held, so none of them belongs to a live run); returns their names.
fn remove_leftovers(out: &Path) -> Result<Vec<String>, RunDirError> {
    let mut removed = Vec::new();
    let entries = fs::read_dir(out).map_err(io_error("cannot read", out))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        let gone = if name.starts_with(STAGING_PREFIX) && kind.is_dir() {
            fs::remove_dir_all(&path)
        } else if is_temp_name(&name) && kind.is_file() {
            fs::remove_file(&path)
        } else {
            continue;
        };
        gone.map_err(io_error("cannot remove the leftover", &path))?;
        removed.push(name);
    }
    removed.sort();
    Ok(removed)
}

/// `.NAME.XXXXXX.tmp`, as [`super::AtomicFile`] names its temporary files.
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TEMP_SUFFIX) && name.matches('.').count() >= 3
}

/// The files the directory's `manifest.json` lists; none without a readable manifest.
pub fn previous_run_files(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join(MANIFEST))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|m| {
            m.get("files")?.as_array().map(|files| {
                files
                    .iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    // Makes the renames durable; a failure here loses nothing already visible.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(files: &[&str]) -> Manifest {
        Manifest {
            tool: "tokencast",
            version: "test",
            scenario_path: "s.toml".into(),
            scenario_name: "s".into(),
            scenario_sha256: String::new(),
            scenario_text: String::new(),
            seed: 1,
            trials: 1,
            threads: 1,
            started_at: String::new(),
            wall_time_seconds: 0.0,
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_second_run_replaces_the_first_and_removes_its_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let first = RunDir::open(&out).unwrap();
        first.stage_file("summary.json", b"1").unwrap();
        first.stage_file("focus.csv", b"1").unwrap();
        let p = first
            .publish(&mut manifest(&["summary.json", "manifest.json"]))
            .unwrap();
        assert_eq!(p.files, ["summary.json", "manifest.json", "focus.csv"]);
        fs::write(out.join("notes.txt"), b"mine").unwrap();

        let second = RunDir::open(&out).unwrap();
        second.stage_file("summary.json", b"2").unwrap();
        assert_eq!(names(&out).len(), 6, "{:?}", names(&out));
        let p = second.publish(&mut manifest(&["summary.json"])).unwrap();
        assert_eq!(p.removed, ["focus.csv"]);
        assert_eq!(
            names(&out),
            [".lock", "manifest.json", "notes.txt", "summary.json"]
        );
        assert_eq!(fs::read(out.join("summary.json")).unwrap(), b"2");
        assert_eq!(previous_run_files(&out), ["summary.json", "manifest.json"]);
    }

    #[test]
    fn an_abandoned_run_leaves_the_previous_one() {
        let tmp = tempfile::tempdir().unwrap();
        let first = RunDir::open(tmp.path()).unwrap();
        first.stage_file("summary.json", b"1").unwrap();
        first.publish(&mut manifest(&[])).unwrap();
        let before = names(tmp.path());
        let second = RunDir::open(tmp.path()).unwrap();
        second.stage_file("summary.json", b"2").unwrap();
        drop(second);
        assert_eq!(names(tmp.path()), before);
        assert_eq!(fs::read(tmp.path().join("summary.json")).unwrap(), b"1");
    }

    #[cfg(unix)]
    #[test]
    fn a_locked_directory_is_refused_with_the_holders_pid() {
        let tmp = tempfile::tempdir().unwrap();
        let held = RunDir::open(tmp.path()).unwrap();
        // flock locks belong to the open file description: a second open conflicts even
        // within one process.
        match RunDir::open(tmp.path()) {
            Err(RunDirError::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected a lock refusal, got {other:?}"),
        }
        drop(held);
        RunDir::open(tmp.path()).unwrap();
    }

    #[test]
    fn leftovers_of_a_killed_run_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dead = tmp.path().join(".staging-1-abc");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("summary.json"), b"x").unwrap();
        fs::write(tmp.path().join(".trials.csv.Ab12Cd.tmp"), b"x").unwrap();
        fs::write(tmp.path().join(".keep.tmp"), b"not ours").unwrap();
        let run = RunDir::open(tmp.path()).unwrap();
        assert_eq!(
            run.leftovers(),
            [".staging-1-abc", ".trials.csv.Ab12Cd.tmp"]
        );
        assert!(tmp.path().join(".keep.tmp").exists());
    }

    #[test]
    fn a_newer_manifest_is_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::open(tmp.path()).unwrap();
        run.stage_file("summary.json", b"mine").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(tmp.path().join(MANIFEST), b"{\"files\": []}").unwrap();
        let e = run.publish(&mut manifest(&[])).unwrap_err();
        assert!(matches!(e, RunDirError::NewerManifest { .. }), "{e}");
        assert!(!tmp.path().join("summary.json").exists());
        assert_eq!(names(tmp.path()), [".lock", "manifest.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_destination_that_is_a_symlink_is_refused_before_anything_moves() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere.json");
        fs::write(&elsewhere, b"keep").unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("summary.json")).unwrap();
        let run = RunDir::open(&out).unwrap();
        run.stage_file("summary.json", b"new").unwrap();
        let e = run.publish(&mut manifest(&[])).unwrap_err();
        assert!(e.is_bad_input(), "{e}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(fs::read(&elsewhere).unwrap(), b"keep");
        assert_eq!(names(&out), [".lock", "summary.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_symlink_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("elsewhere");
        fs::write(&target, b"keep").unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&target, out.join(LOCK_FILE)).unwrap();
        let e = RunDir::open(&out).unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("symbolic link"),
            "{e}"
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn an_out_path_that_is_a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        fs::write(&file, b"x").unwrap();
        let e = RunDir::open(&file).unwrap_err();
        assert!(e.is_bad_input());
        assert!(
            e.to_string()
                .contains("a regular file, expected a directory"),
            "{e}"
        );
    }
}
