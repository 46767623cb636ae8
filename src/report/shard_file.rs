//! Shard files (`shard-K-of-N.tcshard`): the partial state of one shard of a run, versioned and
//! checksummed, that `tokencast merge` turns into the single run's outputs.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `TCSHARD\n` |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 4 | header length `h` |
//! | h | header: JSON ([`ShardHeader`]: versions, command, inputs and their SHA-256, seed, trials, K, N, the unit range) |
//! | 8 | state length `s` |
//! | s | the state (exact binary, [`crate::stats::codec`]) |
//! | 32 | SHA-256 of every byte before it |
//!
//! Reading checks the magic, then the format version (a newer format is refused by name), then
//! the checksum, then the header; any failure names the file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Magic bytes at the start of every shard file.
pub const MAGIC: &[u8; 8] = b"TCSHARD\n";
/// The format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// File name extension of shard files.
pub const EXTENSION: &str = "tcshard";

/// Everything about a shard except its state: what the merge checks shards against each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// Version of tokencast that wrote it.
    pub tokencast_version: String,
    /// The command sharded: `run`, `forecast`, `sweep` or `compare`.
    pub command: String,
    /// The scenario (or forecast) file as given on the command line.
    pub scenario_path: String,
    /// SHA-256 (hex) of `inputs`: the canonical inputs every shard of a run shares.
    pub inputs_sha256: String,
    /// The inputs: scenario text, overrides, price file, output options (command-specific JSON),
    /// enough for the merge to write every output without the original files.
    pub inputs: serde_json::Value,
    /// Seed.
    pub seed: u64,
    /// Trials of the whole run.
    pub trials: u64,
    /// This shard's number, 1-based.
    pub shard: u64,
    /// Number of shards.
    pub shards: u64,
    /// First unit (chunk, cell, period) this shard ran, 0-based.
    pub unit_start: u64,
    /// One past its last unit.
    pub unit_end: u64,
    /// Units of the whole run.
    pub units: u64,
    /// Worker threads of the shard (the run's `threads` in manifest.json).
    pub threads: usize,
    /// Wall time of the shard in seconds.
    pub wall_time_seconds: f64,
}

impl ShardHeader {
    /// The header of shard `shard` of a `command` run on `scenario_path` with `inputs`: its
    /// inputs hashed, its units `units` of `total` (the shard's range of the whole run's
    /// units), the wall time filled in when the shard is written.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        command: &str,
        scenario_path: &std::path::Path,
        inputs: serde_json::Value,
        seed: u64,
        trials: u64,
        shard: crate::engine::shard::Shard,
        units: std::ops::Range<u64>,
        total: u64,
        threads: usize,
    ) -> ShardHeader {
        ShardHeader {
            tokencast_version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.into(),
            scenario_path: scenario_path.display().to_string(),
            inputs_sha256: ShardHeader::hash_inputs(&inputs),
            inputs,
            seed,
            trials,
            shard: shard.index + 1,
            shards: shard.count,
            unit_start: units.start,
            unit_end: units.end,
            units: total,
            threads,
            wall_time_seconds: 0.0,
        }
    }

    /// The SHA-256 (hex) of canonical inputs.
    pub fn hash_inputs(inputs: &serde_json::Value) -> String {
        let text = serde_json::to_string(inputs).unwrap_or_default();
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The file name of shard `shard` (1-based) of `shards`.
pub fn file_name(shard: u64, shards: u64) -> String {
    format!("shard-{shard}-of-{shards}.{EXTENSION}")
}

/// Why a shard file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ShardFileError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a shard file, or cut short.
    #[error("{}: {what}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// Written by a newer tokencast.
    #[error(
        "{}: shard format {found}, newer than this tokencast {} reads (format {FORMAT_VERSION}); merge with the tokencast version that wrote the shards",
        path.display(), env!("CARGO_PKG_VERSION")
    )]
    FutureFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u32,
    },
    /// The checksum does not match: the file was damaged.
    #[error(
        "{}: corrupt: its SHA-256 checksum does not match its content (the file was damaged in transit or on disk); run this shard again",
        path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
    },
}

/// A shard file read and checked.
#[derive(Debug, Clone)]
pub struct ShardFile {
    /// Where it was read.
    pub path: PathBuf,
    /// Its header.
    pub header: ShardHeader,
    /// Its state (decoded by the command's merge).
    pub state: Vec<u8>,
}

/// The bytes of a shard file.
pub fn encode(header: &ShardHeader, state: &[u8]) -> Vec<u8> {
    let head = serde_json::to_vec(header).expect("a shard header serialises");
    let mut bytes = Vec::with_capacity(8 + 8 + head.len() + 8 + state.len() + 32);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(head.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&(state.len() as u64).to_le_bytes());
    bytes.extend_from_slice(state);
    let sum = Sha256::digest(&bytes);
    bytes.extend_from_slice(&sum);
    bytes
}

/// Writes a shard file atomically.
pub fn write(path: &Path, header: &ShardHeader, state: &[u8]) -> std::io::Result<()> {
    super::atomic::write_atomic(path, &encode(header, state))
}

/// Reads and checks a shard file.
pub fn read(path: &Path) -> Result<ShardFile, ShardFileError> {
    let bytes = std::fs::read(path).map_err(|source| ShardFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(path, &bytes)
}

/// Checks and splits the bytes of a shard file read from `path`.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<ShardFile, ShardFileError> {
    let malformed = |what: String| ShardFileError::Malformed {
        path: path.to_path_buf(),
        what,
    };
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err(malformed(format!(
            "not a tokencast shard file (expected it to start with {:?})",
            String::from_utf8_lossy(MAGIC)
        )));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION {
        return Err(ShardFileError::FutureFormat {
            path: path.to_path_buf(),
            found: version,
        });
    }
    if version == 0 {
        return Err(malformed("shard format 0 does not exist".into()));
    }
    if bytes.len() < 16 + 8 + 32 {
        return Err(malformed(format!(
            "cut short: {} bytes, fewer than any shard file holds",
            bytes.len()
        )));
    }
    let (content, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(content).as_slice() != sum {
        return Err(ShardFileError::Checksum {
            path: path.to_path_buf(),
        });
    }
    let head_len = u32::from_le_bytes(content[12..16].try_into().expect("4 bytes")) as usize;
    let head_end = 16 + head_len;
    if content.len() < head_end + 8 {
        return Err(malformed("cut short inside its header".into()));
    }
    let header: ShardHeader = serde_json::from_slice(&content[16..head_end])
        .map_err(|e| malformed(format!("its header cannot be read: {e}")))?;
    let state_len =
        u64::from_le_bytes(content[head_end..head_end + 8].try_into().expect("8 bytes")) as usize;
    let state = &content[head_end + 8..];
    if state.len() != state_len {
        return Err(malformed(format!(
            "its state holds {} bytes, its header says {state_len}",
            state.len()
        )));
    }
    Ok(ShardFile {
        path: path.to_path_buf(),
        header,
        state: state.to_vec(),
    })
}
