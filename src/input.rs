//! Reading the files people give tokencast, within stated bounds: only regular files are read
//! (a FIFO, a device such as `/dev/zero`, a socket or a directory is refused before it is
//! opened, so nothing blocks or reads without end), at most a stated number of bytes, and text
//! must be UTF-8, a bad byte being reported at its line and column.

use std::io::Read;
use std::path::Path;

/// Largest scenario, forecast or price file read (16 MiB): far above any hand-written file.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// Largest price map read (`--prices`, e.g. LiteLLM's, about 1.5 MB today): 64 MiB.
pub const MAX_PRICE_FILE_BYTES: u64 = 64 << 20;

/// Largest usage log `calibrate` reads (1 GiB per file).
pub const MAX_LOG_BYTES: u64 = 1 << 30;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not a regular file.
    #[error("{file}: not a regular file but {kind}: give the path of a file")]
    NotAFile {
        /// The path.
        file: String,
        /// What it is (`a directory`, `a FIFO`, `a character device`, ...).
        kind: &'static str,
    },
    /// Larger than the limit.
    #[error("{file}: {size} bytes, more than the {max} bytes this file may have")]
    TooLarge {
        /// The path.
        file: String,
        /// Its size (at least this many bytes).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A byte sequence that is not UTF-8.
    #[error("{file}:{line}:{column}: not UTF-8 text: byte 0x{byte:02X} (save the file as UTF-8)")]
    NotUtf8 {
        /// The path.
        file: String,
        /// 1-based line of the first bad byte.
        line: usize,
        /// 1-based column (in characters) of the first bad byte.
        column: usize,
        /// The byte.
        byte: u8,
    },
    /// The operating system's error.
    #[error("{file}: {message}")]
    Io {
        /// The path.
        file: String,
        /// What went wrong.
        message: String,
    },
}

impl InputError {
    /// The message without the file name (for errors that name the file themselves).
    pub fn reason(&self) -> String {
        let text = self.to_string();
        let file = match self {
            InputError::NotAFile { file, .. }
            | InputError::TooLarge { file, .. }
            | InputError::NotUtf8 { file, .. }
            | InputError::Io { file, .. } => file,
        };
        text.strip_prefix(file.as_str())
            .map(|t| t.trim_start_matches(':').trim_start().to_string())
            .unwrap_or(text)
    }
}

/// What a non-regular file is, in words.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The size of a regular file (symbolic links are followed); anything else is refused without
/// being opened.
pub fn regular_file_size(path: &Path) -> Result<u64, InputError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| InputError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    if meta.is_file() {
        Ok(meta.len())
    } else {
        Err(InputError::NotAFile {
            file,
            kind: kind_of(meta.file_type()),
        })
    }
}

/// Reads a regular file of at most `max` bytes (symbolic links are followed).
pub fn read_bytes(path: &Path, max: u64) -> Result<Vec<u8>, InputError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| InputError::Io {
        file: file.clone(),
        message: e.to_string(),
    };
    let size = regular_file_size(path)?;
    if size > max {
        return Err(InputError::TooLarge { file, size, max });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::fs::File::open(path)
        .map_err(io)?
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    // A file that grew while it was read.
    if bytes.len() as u64 > max {
        return Err(InputError::TooLarge {
            file,
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

/// The first invalid byte of `bytes` as (line, column, byte), or `None` for valid UTF-8.
pub fn utf8_error_at(bytes: &[u8]) -> Option<(usize, usize, u8)> {
    let e = std::str::from_utf8(bytes).err()?;
    let good = &bytes[..e.valid_up_to()];
    let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = std::str::from_utf8(&good[line_start..]).map_or(0, |s| s.chars().count()) + 1;
    Some((line, column, bytes[e.valid_up_to()]))
}

/// Reads a regular UTF-8 text file of at most `max` bytes (a leading byte-order mark is
/// dropped).
pub fn read_text(path: &Path, max: u64) -> Result<String, InputError> {
    let bytes = read_bytes(path, max)?;
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(e) => {
            let (line, column, byte) =
                utf8_error_at(e.as_bytes()).expect("from_utf8 failed, so there is a bad byte");
            Err(InputError::NotUtf8 {
                file: path.display().to_string(),
                line,
                column,
                byte,
            })
        }
    }
}

/// A CSV whose columns are found by name: its reader past the header, and the header.
pub struct NamedColumns<'a> {
    /// The rows after the header.
    pub reader: csv::Reader<&'a [u8]>,
    /// The header.
    pub headers: csv::StringRecord,
}

impl<'a> NamedColumns<'a> {
    /// Reads the header of `text` (file `name`); an unreadable one is `name:1: …`.
    pub fn read(name: &str, text: &'a str) -> Result<NamedColumns<'a>, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| format!("{name}:1: cannot read the header: {e}"))?
            .clone();
        Ok(NamedColumns { reader, headers })
    }

    /// The index of column `col` (case and surrounding spaces ignored).
    pub fn find(&self, col: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(col))
    }

    /// The header as written, comma-separated (for "found …").
    pub fn header_list(&self) -> String {
        self.headers.iter().collect::<Vec<_>>().join(",")
    }

    /// Each row with its line number; a malformed row is `name:line: …`.
    pub fn rows<'n>(
        &'n mut self,
        name: &'n str,
    ) -> impl Iterator<Item = Result<(u64, csv::StringRecord), String>> + 'n {
        self.reader.records().map(move |r| {
            r.map(|rec| (rec.position().map_or(0, |p| p.line()), rec))
                .map_err(|e| {
                    let line = e.position().map_or(0, |p| p.line());
                    format!("{name}:{line}: {e}")
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_byte_is_placed_at_its_line_and_column() {
        assert_eq!(
            utf8_error_at(b"a = 1\nb = \"\xc3\xa9\xff\"\n"),
            Some((2, 7, 0xff))
        );
        assert_eq!(utf8_error_at("ok é\n".as_bytes()), None);
    }

    #[test]
    fn special_files_and_large_files_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_text(dir.path(), 100),
            Err(InputError::NotAFile {
                kind: "a directory",
                ..
            })
        ));
        #[cfg(unix)]
        assert!(matches!(
            read_text(Path::new("/dev/zero"), 100),
            Err(InputError::NotAFile {
                kind: "a character device",
                ..
            })
        ));
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 101]).unwrap();
        assert!(matches!(
            read_text(&big, 100),
            Err(InputError::TooLarge {
                size: 101,
                max: 100,
                ..
            })
        ));
        let bom = dir.path().join("bom.toml");
        std::fs::write(&bom, "\u{feff}a = 1\n").unwrap();
        assert_eq!(read_text(&bom, 100).unwrap(), "a = 1\n");
    }
}
