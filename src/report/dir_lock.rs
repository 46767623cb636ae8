//! The advisory lock on an output directory: `flock` on `DIR/.lock`, which holds the pid of
//! the run that took it (written after locking, read by a run that finds it taken). The lock
//! belongs to the open file: it ends with the process, however the process ends, so a killed
//! run never leaves a stale lock. The file itself stays (it is empty of meaning when unlocked).

use std::fs::File;
use std::path::Path;

use super::run_dir::RunDirError;
#[cfg(unix)]
use super::{
    atomic::check_output_file,
    run_dir::{LOCK_FILE, io_error},
};

/// The advisory lock on an output directory, held while the value lives.
#[derive(Debug)]
pub(crate) struct DirLock {
    /// The locked file; `None` where the file system has no locks.
    file: Option<File>,
}

impl DirLock {
    #[cfg(unix)]
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, RunDirError> {
        use rustix::fs::{FlockOperation, flock};
        use rustix::io::Errno;
        use std::fs;
        use std::io::{Read, Seek, Write};
        use std::os::unix::fs::OpenOptionsExt;

        let path = dir.join(LOCK_FILE);
        check_output_file(&path)?;
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            // A symbolic link put there after the check is not followed either.
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
            .map_err(io_error("cannot open the lock file", &path))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(Errno::WOULDBLOCK) => {
                let mut read_pid = || {
                    let mut text = String::new();
                    file.rewind().ok()?;
                    file.read_to_string(&mut text).ok()?;
                    text.trim().parse::<u32>().ok()
                };
                // The holder may be between truncating the file and writing its pid.
                let pid = read_pid().or_else(|| {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    read_pid()
                });
                return Err(RunDirError::Locked {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            // A file system without locks (some network mounts): go on unlocked; the check
            // for a newer manifest at publication still guards the directory.
            Err(Errno::NOLCK | Errno::NOTSUP) => {
                return Ok(DirLock { file: None });
            }
            Err(e) => return Err(io_error("cannot lock", &path)(e.into())),
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(io_error("cannot write", &path))?;
        Ok(DirLock { file: Some(file) })
    }

    /// Whether the lock is held (false on a file system without locks).
    pub(crate) fn is_held(&self) -> bool {
        self.file.is_some()
    }

    #[cfg(not(unix))]
    pub(crate) fn acquire(_dir: &Path) -> Result<DirLock, RunDirError> {
        Ok(DirLock { file: None })
    }
}
