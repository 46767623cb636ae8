//! A content-addressed on-disk cache of task pools ([`TaskPool`]), so that a what-if which
//! changes the forecast (adoption, budgets, drifts, schemes, months) but not its task scenarios
//! loads the pools instead of simulating them again (65,536 tasks per kind on every run).
//!
//! **Key.** A pool is a pure function of the task scenario's text (the file's bytes; a task
//! scenario reads no other file), the catalog prices its models resolve to, the pool size, the
//! pool's seed, and the code that simulates it. The key is the SHA-256 of all of these, the code
//! being the crate version and the SHA-256 of the running executable's bytes: any rebuild misses.
//! Hashing an 11 MB executable is 5–10 ms with the CPU's SHA instructions and several times that
//! without, so the executable's hash is itself remembered in the cache (`exe-<stamp>.id`), under
//! the SHA-256 of its path, length, inode, device, and modification and change times to the
//! nanosecond (the change time is set by the kernel on any write or replacement of the file). The thread count is not in the key: the task engine's results are
//! bit-identical at any thread count (`tests/pool_cache.rs` checks a pool written at 2 threads
//! and read at 1). The path is not in the key either (a copied scenario hits).
//!
//! **File.** `pool-<key>.bin` in the cache directory: a header (magic, format version, the key,
//! the payload's length and its CRC-32, which catches a torn or damaged file at memory speed)
//! and the payload (every task's cost, tokens and extras
//! as little-endian `f64` bits, then the per-model means). A file whose header, length or checksum
//! does not match is ignored and replaced, never trusted. Writes go to a temporary file in the
//! same directory, renamed into place (atomic), so a reader never sees half a file.
//!
//! **Bound.** After each write the directory's pool files are kept under [`MAX_CACHE_BYTES`],
//! the least recently used (by modification time, refreshed on every hit) removed first.
//!
//! The cache is off unless the binary turns it on ([`configure`]); the library's own users and
//! tests simulate every pool.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::pool::{Extra, ModelMeans, TaskPool};
use crate::engine::EngineError;
use crate::pricing::TokenKind;
use crate::scenario::Scenario;

/// The cache directory's bound: pool files beyond it are removed, least recently used first.
pub const MAX_CACHE_BYTES: u64 = 512 << 20;

/// The first bytes of every pool file.
const MAGIC: &[u8; 8] = b"TCPOOL\0\0";
/// The payload's layout version; bump it when [`encode`] changes.
const FORMAT: u32 = 1;
/// Magic, format, key, payload length, payload checksum.
const HEADER_BYTES: usize = 8 + 4 + 32 + 8 + 4;
/// Pool files are named `pool-<key in hex>.bin`.
const PREFIX: &str = "pool-";
const SUFFIX: &str = ".bin";

/// Where pools are cached, and how to tell the user once that the directory cannot be written.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// The cache directory (created when first written), or `None`: no cache.
    pub dir: Option<PathBuf>,
    /// Prints a note (the binary's stderr).
    pub note: fn(&str),
}

static SETTINGS: OnceLock<CacheSettings> = OnceLock::new();
static NOTED: AtomicBool = AtomicBool::new(false);

/// Turns the cache on (or leaves it off, `dir: None`) for the rest of the process; the first
/// call wins.
pub fn configure(settings: CacheSettings) {
    let _ = SETTINGS.set(settings);
}

/// The cache directory the environment asks for: none when `no_cache` (`--no-cache`) or
/// `TOKENCAST_NO_CACHE` is set (to anything but empty or `0`); else `$TOKENCAST_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/tokencast`, else `$HOME/.cache/tokencast`; none without a home.
pub fn dir_from_env(no_cache: bool) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if no_cache || var("TOKENCAST_NO_CACHE").is_some_and(|v| v != "0") {
        return None;
    }
    if let Some(dir) = var("TOKENCAST_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(xdg) = var("XDG_CACHE_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Some(xdg.join("tokencast"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".cache").join("tokencast"))
}

/// The pool of `scenario` from the cache when it holds it, else simulated
/// ([`TaskPool::simulate`]) and written to the cache. Without a configured cache directory (or
/// when the executable cannot be read for its identity) it only simulates.
pub fn load_or_simulate(
    scenario: &Scenario,
    size: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<TaskPool, EngineError> {
    let Some(settings) = SETTINGS.get() else {
        return TaskPool::simulate(scenario, size, seed, threads);
    };
    let Some(dir) = settings.dir.as_deref() else {
        return TaskPool::simulate(scenario, size, seed, threads);
    };
    let Some(binary) = binary_id(dir) else {
        return TaskPool::simulate(scenario, size, seed, threads);
    };
    let key = pool_key(scenario, size, seed, binary);
    if let Some(pool) = read(dir, &key) {
        return Ok(pool);
    }
    let pool = TaskPool::simulate(scenario, size, seed, threads)?;
    if let Err(e) = write(dir, &key, &pool) {
        if !NOTED.swap(true, Ordering::Relaxed) {
            (settings.note)(&format!(
                "note: cannot write the task-pool cache in {} ({e}); task pools are simulated on every run (--no-cache or TOKENCAST_NO_CACHE=1 turns the cache off)",
                dir.display()
            ));
        }
    } else {
        let _ = evict(dir, MAX_CACHE_BYTES);
    }
    Ok(pool)
}

/// The SHA-256 of the running executable's bytes, once per process (`None` when it cannot be
/// read): from its memo in `dir` when the file is unchanged, else hashed and remembered.
fn binary_id(dir: &Path) -> Option<&'static [u8; 32]> {
    static ID: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe().ok()?;
        let memo = file_stamp(&exe).map(|stamp| dir.join(format!("exe-{}.id", hex(&stamp))));
        if let Some(id) = memo
            .as_ref()
            .and_then(|m| fs::read(m).ok())
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        {
            return Some(id);
        }
        let id: [u8; 32] = Sha256::digest(fs::read(&exe).ok()?).into();
        if let Some(memo) = memo {
            let _ = write_atomic(dir, &memo, &id);
        }
        Some(id)
    })
    .as_ref()
}

/// The SHA-256 of what identifies a file's current contents without reading them: its path,
/// length, inode, device, and modification and change times (`None` off Unix).
fn file_stamp(path: &Path) -> Option<[u8; 32]> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = fs::metadata(path).ok()?;
        let mut h = Sha256::new();
        h.update(path.as_os_str().as_encoded_bytes());
        for x in [m.size(), m.ino(), m.dev()] {
            h.update(x.to_le_bytes());
        }
        for x in [m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()] {
            h.update(x.to_le_bytes());
        }
        Some(h.finalize().into())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache key of a pool: everything its bits depend on (see the module's docs).
pub fn pool_key(scenario: &Scenario, size: u64, seed: u64, binary: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(b"tokencast task pool");
    field(&FORMAT.to_le_bytes());
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(binary);
    field(&size.to_le_bytes());
    field(&seed.to_le_bytes());
    field(format!("{:?}", scenario.prices).as_bytes());
    field(scenario.text.as_bytes());
    h.finalize().into()
}

fn file_name(key: &[u8; 32]) -> String {
    format!("{PREFIX}{}{SUFFIX}", hex(key))
}

/// The pool stored under `key` in `dir`, if its file is whole and is that key's.
pub fn read(dir: &Path, key: &[u8; 32]) -> Option<TaskPool> {
    let path = dir.join(file_name(key));
    let bytes = fs::read(&path).ok()?;
    let pool = decode(&bytes, key)?;
    // A hit makes the file the most recently used (eviction removes the oldest first).
    if let Ok(f) = fs::File::options().append(true).open(&path) {
        let _ = f.set_modified(SystemTime::now());
    }
    Some(pool)
}

/// Stores `pool` under `key` in `dir` (created if missing): a temporary file renamed into place.
pub fn write(dir: &Path, key: &[u8; 32], pool: &TaskPool) -> std::io::Result<()> {
    write_atomic(dir, &dir.join(file_name(key)), &encode(key, pool))
}

/// Writes `bytes` to `path` in `dir` (created if missing) through a temporary file renamed
/// into place.
fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".pool-tmp-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes pool files (and executable-hash memos) of `dir`, least recently modified first, until they hold at most
/// `max_bytes` (leftover temporary files older than an hour are removed too). Returns the
/// number of files removed.
pub fn evict(dir: &Path, max_bytes: u64) -> std::io::Result<usize> {
    let mut files = Vec::new();
    let mut removed = 0;
    let now = SystemTime::now();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if name.starts_with(".pool-tmp-") {
            let stale = now
                .duration_since(modified)
                .is_ok_and(|age| age.as_secs() > 3600);
            if stale && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        } else if meta.is_file()
            && ((name.starts_with(PREFIX) && name.ends_with(SUFFIX))
                || (name.starts_with("exe-") && name.ends_with(".id")))
        {
            files.push((modified, meta.len(), entry.path()));
        }
    }
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if fs::remove_file(&path).is_ok() {
            total -= len;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A pool file's bytes: the header, then the payload.
pub fn encode(key: &[u8; 32], pool: &TaskPool) -> Vec<u8> {
    let n = pool.len();
    let mut p = Vec::with_capacity(16 + n * 8 * (2 + Extra::COUNT) + pool.models.len() * 128);
    p.extend((n as u64).to_le_bytes());
    p.extend((Extra::COUNT as u32).to_le_bytes());
    p.extend((TokenKind::COUNT as u32).to_le_bytes());
    for column in [&pool.cost, &pool.tokens, &pool.extra] {
        for x in column.iter() {
            p.extend(x.to_bits().to_le_bytes());
        }
    }
    p.extend((pool.models.len() as u32).to_le_bytes());
    for m in &pool.models {
        for s in [&m.name, &m.id] {
            p.extend((s.len() as u32).to_le_bytes());
            p.extend(s.as_bytes());
        }
        for x in std::iter::once(&m.cost)
            .chain(&m.tokens)
            .chain(&m.cost_by_kind)
        {
            p.extend(x.to_bits().to_le_bytes());
        }
    }
    let mut out = Vec::with_capacity(HEADER_BYTES + p.len());
    out.extend(MAGIC);
    out.extend(FORMAT.to_le_bytes());
    out.extend(key);
    out.extend((p.len() as u64).to_le_bytes());
    out.extend(crc32fast::hash(&p).to_le_bytes());
    out.extend(p);
    out
}

/// The pool in a file's bytes, or `None` unless they are a whole pool file of `key` (magic,
/// format, key, length and checksum all match, and the payload parses exactly).
pub fn decode(bytes: &[u8], key: &[u8; 32]) -> Option<TaskPool> {
    let mut r = Reader(bytes);
    if r.take(8)? != MAGIC || r.u32()? != FORMAT || r.take(32)? != key {
        return None;
    }
    let len = usize::try_from(r.u64()?).ok()?;
    let sum = r.u32()?;
    if r.0.len() != len || crc32fast::hash(r.0) != sum {
        return None;
    }
    let n = usize::try_from(r.u64()?).ok()?;
    if r.u32()? as usize != Extra::COUNT || r.u32()? as usize != TokenKind::COUNT {
        return None;
    }
    let cost = r.f64s(n)?;
    let tokens = r.f64s(n)?;
    let extra = r.f64s(n.checked_mul(Extra::COUNT)?)?;
    let count = r.u32()? as usize;
    let mut models = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let name = r.string()?;
        let id = r.string()?;
        let cost = f64::from_bits(r.u64()?);
        let tokens: [f64; TokenKind::COUNT] = r.f64s(TokenKind::COUNT)?.try_into().ok()?;
        let cost_by_kind: [f64; TokenKind::COUNT] = r.f64s(TokenKind::COUNT)?.try_into().ok()?;
        models.push(ModelMeans {
            name,
            id,
            cost,
            tokens,
            cost_by_kind,
        });
    }
    if !r.0.is_empty() {
        return None;
    }
    let mut pool = TaskPool::with_extras(cost, tokens, extra);
    pool.models = models;
    Some(pool)
}

/// A cursor over a pool file's bytes; every read is checked against the bytes left.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn f64s(&mut self, n: usize) -> Option<Vec<f64>> {
        let bytes = self.take(n.checked_mul(8)?)?;
        Some(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))))
                .collect(),
        )
    }
    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> TaskPool {
        let cost: Vec<f64> = (0..1000).map(|i| 0.01 * i as f64 + 1e-17).collect();
        let tokens: Vec<f64> = (0..1000).map(|i| (1000 + 7 * i) as f64).collect();
        let extra: Vec<f64> = (0..3000).map(|i| (i as f64).sqrt()).collect();
        let mut p = TaskPool::with_extras(cost, tokens, extra);
        p.models = vec![ModelMeans {
            name: "fast".into(),
            id: "claude-haiku-4-5".into(),
            cost: 0.123456789,
            tokens: [1.0, 2.0, 3.0, 4.0, 5.0, f64::MIN_POSITIVE],
            cost_by_kind: [0.1, 0.2, 0.3, 0.4, 0.5, -0.0],
        }];
        p
    }

    fn same(a: &TaskPool, b: &TaskPool) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        bits(&a.cost) == bits(&b.cost)
            && bits(&a.tokens) == bits(&b.tokens)
            && bits(&a.extra) == bits(&b.extra)
            && a.stats == b.stats
            && a.models == b.models
            && a.models.iter().zip(&b.models).all(|(x, y)| {
                bits(&x.cost_by_kind) == bits(&y.cost_by_kind) && bits(&x.tokens) == bits(&y.tokens)
            })
    }

    #[test]
    fn a_pool_round_trips_bit_for_bit() {
        let key = [7u8; 32];
        let p = pool();
        let back = decode(&encode(&key, &p), &key).expect("decodes");
        assert!(same(&p, &back));
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let key = [7u8; 32];
        let bytes = encode(&key, &pool());
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], &key).is_none(), "truncated at {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, &key).is_none());
        // Every byte of the header, and a spread of the payload's.
        let payload_step = 97;
        let positions = (0..HEADER_BYTES).chain((HEADER_BYTES..bytes.len()).step_by(payload_step));
        for i in positions {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode(&bad, &key).is_none(), "byte {i} flipped");
        }
        assert!(decode(&bytes, &[8u8; 32]).is_none(), "another key's file");
    }

    #[test]
    fn files_are_written_read_and_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = pool();
        let keys: Vec<[u8; 32]> = (0..4u8).map(|i| [i; 32]).collect();
        let len = encode(&keys[0], &p).len() as u64;
        for (i, key) in keys.iter().enumerate() {
            write(dir.path(), key, &p).expect("writes");
            // Distinct modification times, oldest first.
            let f = fs::File::options()
                .append(true)
                .open(dir.path().join(file_name(key)))
                .expect("opens");
            f.set_modified(
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000 + i as u64),
            )
            .expect("sets mtime");
        }
        assert!(same(&read(dir.path(), &keys[0]).expect("hit"), &p));
        // The hit made key 0 the most recent: bounding to two files removes keys 1 and 2.
        assert_eq!(evict(dir.path(), 2 * len).expect("evicts"), 2);
        let left: Vec<bool> = keys.iter().map(|k| read(dir.path(), k).is_some()).collect();
        assert_eq!(left, [true, false, false, true]);
        // A corrupted file is a miss, and a write replaces it.
        let path = dir.path().join(file_name(&keys[3]));
        let mut bytes = fs::read(&path).expect("reads");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).expect("corrupts");
        assert!(read(dir.path(), &keys[3]).is_none());
        write(dir.path(), &keys[3], &p).expect("rewrites");
        assert!(read(dir.path(), &keys[3]).is_some());
    }
}
