//! Atomic file output: write to a temporary file in the target's directory, flush it to disk,
//! then rename it over the target. An interrupted run leaves either the old file or the new
//! one, never half of one.
//!
//! Only a regular file (or nothing) is ever replaced: a target that is a symbolic link, a FIFO,
//! a socket, a device node or a directory is refused with [`NotARegularFile`] (renaming over
//! `/dev/null` would replace the device with a file). Every temporary file is registered with
//! [`super::interrupt`] while it exists, so that SIGINT or SIGTERM removes it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::interrupt;

/// Writes `bytes` to `path` atomically, creating the parent directory if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// An output path that exists and is not a regular file: tokencast does not replace it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}: is {what}; tokencast replaces only regular files (remove it or choose another path{hint})",
    path.display()
)]
pub struct NotARegularFile {
    /// The path.
    pub path: PathBuf,
    /// What is there, e.g. `a symbolic link`, `a FIFO`, `a character device`.
    pub what: &'static str,
    /// A hint for symbolic links: write to the link's target instead.
    hint: String,
}

impl NotARegularFile {
    /// The error as an `io::Error` (kind `InvalidInput`) that keeps it reachable by
    /// `get_ref().downcast_ref::<NotARegularFile>()`.
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, self)
    }
}

/// What kind of file `meta` describes, in words; `None` for a regular file.
pub(crate) fn non_regular_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_symlink() {
        return Some("a symbolic link");
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

/// Checks that `path` is a regular file or does not exist (a symbolic link is not followed:
/// it is refused, whatever it points to).
pub fn check_output_file(path: &Path) -> Result<(), NotARegularFile> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => match non_regular_kind(&meta) {
            None => Ok(()),
            Some(what) => {
                let hint = match std::fs::read_link(path) {
                    Ok(target) if what == "a symbolic link" => {
                        format!(", e.g. its target {}", target.display())
                    }
                    _ => String::new(),
                };
                Err(NotARegularFile {
                    path: path.to_path_buf(),
                    what,
                    hint,
                })
            }
        },
        Err(_) => Ok(()),
    }
}

/// A file being written; it replaces its target only on [`AtomicFile::commit`]. Dropped
/// without a commit, it disappears and the target is untouched.
pub struct AtomicFile {
    target: PathBuf,
    /// `None` once committed.
    temp: Option<io::BufWriter<NamedTempFile>>,
    /// The temporary file's path, registered for removal on an interrupt.
    temp_path: PathBuf,
}

impl AtomicFile {
    /// Starts writing a replacement for `path`; refuses a `path` that exists and is not a
    /// regular file ([`NotARegularFile`], as an `io::Error` of kind `InvalidInput`).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        check_output_file(path).map_err(NotARegularFile::into_io)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        // Temporary files are private (0600) by default; results are ordinary files (0644,
        // less the umask), as `File::create` would make them.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        // Created and registered under the interrupt lock: an interrupt either sees the file
        // registered or finds it not yet created.
        let prefix = format!(".{name}.");
        let temp = interrupt::with_registry(|registry| {
            let temp = builder
                .prefix(&prefix)
                .suffix(TEMP_SUFFIX)
                .tempfile_in(&dir)?;
            registry.add(temp.path());
            Ok::<_, io::Error>(temp)
        })?;
        Ok(AtomicFile {
            target: path.to_path_buf(),
            temp_path: temp.path().to_path_buf(),
            temp: Some(io::BufWriter::new(temp)),
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        let temp = self.temp.take().ok_or_else(committed)?;
        let temp = temp.into_inner().map_err(|e| e.into_error())?;
        temp.as_file().sync_all()?;
        check_output_file(&self.target).map_err(NotARegularFile::into_io)?;
        // Renamed and unregistered under the interrupt lock: an interrupt removes either the
        // temporary file or nothing.
        interrupt::with_registry(|registry| {
            temp.persist(&self.target).map_err(|e| e.error)?;
            registry.remove(&self.temp_path);
            Ok(())
        })
    }
}

fn committed() -> io::Error {
    io::Error::other("the file was already committed")
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.temp.take().is_some() {
            // Dropping the NamedTempFile removed it; it no longer needs the interrupt's care.
            interrupt::with_registry(|registry| registry.remove(&self.temp_path));
        }
    }
}

/// How the names of temporary files end (`.NAME.XXXXXX.tmp`).
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.as_mut().ok_or_else(committed)?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.as_mut().ok_or_else(committed)?.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncommitted_file_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic(&path, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"half-writ").unwrap();
            // dropped: an interrupted run
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "the temporary file is removed");
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn results_are_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        write_atomic(&path, b"{}").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // A plain File::create gets 0666 less the umask; ours must get 0644 less the umask.
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        assert_eq!(
            mode(&path),
            0o644 & mode(&plain),
            "{:o} vs {:o}",
            mode(&path),
            mode(&plain)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_a_fifo_and_a_directory_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, b"precious").unwrap();
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        for (path, what) in [
            (&link, "a symbolic link"),
            (&fifo, "a FIFO (named pipe)"),
            (&sub, "a directory"),
        ] {
            let e = write_atomic(path, b"new").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            let inner = e.get_ref().unwrap().downcast_ref::<NotARegularFile>();
            assert_eq!(inner.map(|n| n.what), Some(what), "{e}");
        }
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert!(sub.is_dir());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 4, "no temporary file is left");
    }
}
