//! Sealed files: the format for every file outside the database that holds
//! user data (audit logs, backups, exports). Streaming and chunked, so that
//! a file of any size is written and read in bounded memory.
//!
//! ```text
//! header: magic "HLYSEAL1" | chunk size u32 | service key id u32 |
//!         nonce prefix [7] | wrapped key length u16 | wrapped file key
//! chunks: AES-256-GCM(file key, nonce = prefix | index u32 | final u8,
//!                     aad = header | purpose) = ciphertext | tag
//! ```
//!
//! Each file has its own random data key, wrapped by a service key of the
//! keyring (named by id, so a file outlives service-key rotation), bound to
//! the file's purpose. Every chunk is sealed with its index and a flag that
//! says whether it is the last (the STREAM construction): chunks that are
//! reordered, dropped, cut short, spliced in from another file or followed
//! by anything are refused, as is a file without its final chunk. All
//! chunks but the last hold exactly the chunk size; the last holds 0 to
//! chunk-size bytes.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

use crate::envelope::{self, SecretKey, KEY_LEN};

const MAGIC: &[u8; 8] = b"HLYSEAL1";
const TAG_LEN: usize = 16;
const PREFIX_LEN: usize = NONCE_LEN - 5;
const WRAPPED_KEY_LEN: usize = KEY_LEN + envelope::OVERHEAD;
const HEADER_LEN: usize = MAGIC.len() + 4 + 4 + PREFIX_LEN + 2 + WRAPPED_KEY_LEN;
/// The chunk size files are written with.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// Bounds on a chunk size, also what a reader accepts from a header (it
/// holds one chunk in memory).
pub const MIN_CHUNK_SIZE: usize = 16;
pub const MAX_CHUNK_SIZE: usize = 1024 * 1024;

/// Why a sealed file cannot be read. Carried inside an `io::Error` of kind
/// `InvalidData`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealedFileError {
    #[error("not a sealed file (no HLYSEAL1 header)")]
    NotSealed,
    #[error("the sealed file's header is malformed ({0})")]
    MalformedHeader(&'static str),
    #[error("the sealed file was written under service key {0}, which the keyring does not hold")]
    UnknownServiceKey(u32),
    #[error("the sealed file's key does not open: another purpose, or an altered header")]
    KeyUnsealable,
    #[error("chunk {0} of the sealed file does not authenticate: altered, reordered or from another file")]
    ChunkUnsealable(u32),
    #[error("the sealed file is truncated: it ends after chunk {0} without its final chunk")]
    Truncated(u32),
    #[error("the sealed file is too long for its chunk counter")]
    TooLong,
    #[error("the random number generator failed")]
    Random,
}

impl From<SealedFileError> for io::Error {
    fn from(error: SealedFileError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, error)
    }
}

/// The service keys files are sealed and opened with (from the keyring):
/// new files under the current (last) one.
#[derive(Clone)]
pub struct FileKeys {
    keys: Vec<(u32, SecretKey)>,
}

impl FileKeys {
    /// `keys` in id order, the current one last; not empty.
    pub fn new(keys: Vec<(u32, SecretKey)>) -> FileKeys {
        assert!(!keys.is_empty(), "FileKeys needs a current key");
        FileKeys { keys }
    }

    pub fn ids(&self) -> Vec<u32> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }

    fn current(&self) -> &(u32, SecretKey) {
        self.keys.last().expect("not empty")
    }

    fn get(&self, id: u32) -> Option<&SecretKey> {
        self.keys.iter().find(|(key_id, _)| *key_id == id).map(|(_, key)| key)
    }
}

impl std::fmt::Debug for FileKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileKeys({:?})", self.ids())
    }
}

fn wrap_context(purpose: &[u8]) -> Vec<u8> {
    [b"halyard sealed file: ".as_slice(), purpose].concat()
}

/// What both ends hold: the file key, the nonce prefix, and the header and
/// purpose every chunk authenticates.
struct Stream {
    key: LessSafeKey,
    prefix: [u8; PREFIX_LEN],
    aad: Vec<u8>,
    chunk_size: usize,
    index: u32,
}

impl Stream {
    fn nonce(&self, last: bool) -> Nonce {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..PREFIX_LEN].copy_from_slice(&self.prefix);
        nonce[PREFIX_LEN..NONCE_LEN - 1].copy_from_slice(&self.index.to_be_bytes());
        nonce[NONCE_LEN - 1] = u8::from(last);
        Nonce::assume_unique_for_key(nonce)
    }

    fn advance(&mut self) -> Result<(), SealedFileError> {
        self.index = self.index.checked_add(1).ok_or(SealedFileError::TooLong)?;
        Ok(())
    }
}

fn file_cipher(key: &[u8]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes a 32-byte key"))
}

/// Writes a sealed file into `inner`. Call [`SealedWriter::finish`]: a
/// writer dropped without it leaves a file that reads as truncated.
pub struct SealedWriter<W: Write> {
    inner: W,
    stream: Stream,
    buffer: Zeroizing<Vec<u8>>,
}

impl<W: Write> SealedWriter<W> {
    /// Starts a sealed file for `purpose` (such as `b"audit log"`; a reader
    /// must name the same) under the current service key.
    pub fn new(inner: W, keys: &FileKeys, purpose: &[u8]) -> io::Result<SealedWriter<W>> {
        SealedWriter::with_chunk_size(inner, keys, purpose, DEFAULT_CHUNK_SIZE)
    }

    pub fn with_chunk_size(
        mut inner: W,
        keys: &FileKeys,
        purpose: &[u8],
        chunk_size: usize,
    ) -> io::Result<SealedWriter<W>> {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a chunk size must be {MIN_CHUNK_SIZE} to {MAX_CHUNK_SIZE} bytes"),
            ));
        }
        let (service_key_id, service_key) = keys.current();
        let file_key = SecretKey::generate().map_err(|_| SealedFileError::Random)?;
        let wrapped = envelope::seal(service_key, &wrap_context(purpose), file_key.expose())
            .map_err(|_| SealedFileError::Random)?;
        let mut prefix = [0u8; PREFIX_LEN];
        aws_lc_rs::rand::fill(&mut prefix).map_err(|_| SealedFileError::Random)?;
        let mut header = Vec::with_capacity(HEADER_LEN + purpose.len());
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&(chunk_size as u32).to_be_bytes());
        header.extend_from_slice(&service_key_id.to_be_bytes());
        header.extend_from_slice(&prefix);
        header.extend_from_slice(&(WRAPPED_KEY_LEN as u16).to_be_bytes());
        header.extend_from_slice(&wrapped);
        inner.write_all(&header)?;
        header.extend_from_slice(purpose);
        Ok(SealedWriter {
            inner,
            stream: Stream {
                key: file_cipher(file_key.expose()),
                prefix,
                aad: header,
                chunk_size,
                index: 0,
            },
            buffer: Zeroizing::new(Vec::with_capacity(chunk_size + TAG_LEN)),
        })
    }

    /// Seals `self.buffer[..length]` as the next chunk and writes it.
    fn emit(&mut self, length: usize, last: bool) -> io::Result<()> {
        let mut chunk = Zeroizing::new(self.buffer[..length].to_vec());
        self.stream
            .key
            .seal_in_place_append_tag(self.stream.nonce(last), Aad::from(&self.stream.aad), &mut *chunk)
            .map_err(|_| SealedFileError::Random)?;
        self.inner.write_all(&chunk)?;
        self.buffer.drain(..length);
        self.stream.advance()?;
        Ok(())
    }

    /// Writes the final chunk and returns the inner writer (flushed; a file
    /// still needs its `sync_all`).
    pub fn finish(mut self) -> io::Result<W> {
        let length = self.buffer.len();
        self.emit(length, true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // A full chunk waits until more data comes: only then is it known
        // not to be the last.
        let room = self.stream.chunk_size + 1 - self.buffer.len();
        let taken = data.len().min(room);
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() > self.stream.chunk_size {
            self.emit(self.stream.chunk_size, false)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads a sealed file's plaintext, authenticating each chunk before any of
/// its bytes are returned.
pub struct SealedReader<R: Read> {
    inner: R,
    stream: Stream,
    /// Read from `inner`, not yet opened (at most a chunk and one byte).
    pending: Vec<u8>,
    plain: Zeroizing<Vec<u8>>,
    position: usize,
    finished: bool,
}

impl<R: Read> SealedReader<R> {
    /// Reads the header and unwraps the file key with the keyring's service
    /// key it names, for `purpose` (as written).
    pub fn new(mut inner: R, keys: &FileKeys, purpose: &[u8]) -> io::Result<SealedReader<R>> {
        let mut header = vec![0u8; HEADER_LEN];
        let got = read_up_to(&mut inner, &mut header)?;
        if got < MAGIC.len() || &header[..MAGIC.len()] != MAGIC {
            return Err(SealedFileError::NotSealed.into());
        }
        if got < HEADER_LEN {
            return Err(SealedFileError::MalformedHeader("cut short").into());
        }
        let field = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
        let chunk_size = field(8) as usize;
        let service_key_id = field(12);
        let wrapped_at = 16 + PREFIX_LEN + 2;
        let wrapped_len = u16::from_be_bytes([header[16 + PREFIX_LEN], header[17 + PREFIX_LEN]]) as usize;
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(SealedFileError::MalformedHeader("chunk size out of bounds").into());
        }
        if wrapped_len != WRAPPED_KEY_LEN {
            return Err(SealedFileError::MalformedHeader("wrapped key length").into());
        }
        let service_key = keys
            .get(service_key_id)
            .ok_or(SealedFileError::UnknownServiceKey(service_key_id))?;
        let file_key = envelope::open(service_key, &wrap_context(purpose), &header[wrapped_at..])
            .map_err(|_| SealedFileError::KeyUnsealable)?;
        let mut prefix = [0u8; PREFIX_LEN];
        prefix.copy_from_slice(&header[16..16 + PREFIX_LEN]);
        header.extend_from_slice(purpose);
        Ok(SealedReader {
            inner,
            stream: Stream {
                key: file_cipher(&file_key),
                prefix,
                aad: header,
                chunk_size,
                index: 0,
            },
            pending: Vec::with_capacity(chunk_size + TAG_LEN + 1),
            plain: Zeroizing::new(Vec::new()),
            position: 0,
            finished: false,
        })
    }

    /// Opens the next chunk into `plain`.
    fn next_chunk(&mut self) -> io::Result<()> {
        let sealed_len = self.stream.chunk_size + TAG_LEN;
        // One byte past a full chunk tells whether another follows.
        let want = sealed_len + 1;
        let had = self.pending.len();
        self.pending.resize(want, 0);
        let got = had + read_up_to(&mut self.inner, &mut self.pending[had..])?;
        self.pending.truncate(got);
        let last = got <= sealed_len;
        let length = got.min(sealed_len);
        if length < TAG_LEN {
            return Err(SealedFileError::Truncated(self.stream.index).into());
        }
        let mut chunk = Zeroizing::new(self.pending[..length].to_vec());
        let opened = self
            .stream
            .key
            .open_in_place(self.stream.nonce(last), Aad::from(&self.stream.aad), &mut chunk)
            .map(|plain| plain.len());
        let plain_len = match opened {
            Ok(plain_len) => plain_len,
            Err(_) => {
                // A whole chunk that opens as not-last: the rest was cut.
                let mut retry = Zeroizing::new(self.pending[..length].to_vec());
                let cut = last
                    && length == sealed_len
                    && self
                        .stream
                        .key
                        .open_in_place(self.stream.nonce(false), Aad::from(&self.stream.aad), &mut retry)
                        .is_ok();
                return Err(if cut {
                    SealedFileError::Truncated(self.stream.index)
                } else {
                    SealedFileError::ChunkUnsealable(self.stream.index)
                }
                .into());
            }
        };
        chunk.truncate(plain_len);
        self.pending.drain(..length);
        self.plain = chunk;
        self.position = 0;
        self.finished = last;
        self.stream.advance()?;
        Ok(())
    }
}

impl<R: Read> Read for SealedReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.plain.len() {
            if self.finished || out.is_empty() {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.plain.len() - self.position);
        out[..n].copy_from_slice(&self.plain[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// Reads until `buffer` is full or the end; returns the bytes read.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut read = 0;
    while read < buffer.len() {
        match reader.read(&mut buffer[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

/// Creates a new sealed file at `path` (0600; never over an existing
/// file). `finish` it, then `sync_all` the file if it must be durable.
pub fn create(path: &Path, keys: &FileKeys, purpose: &[u8]) -> io::Result<SealedWriter<BufWriter<File>>> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    SealedWriter::new(BufWriter::new(file), keys, purpose)
}

/// Opens the sealed file at `path` for reading.
pub fn open(path: &Path, keys: &FileKeys, purpose: &[u8]) -> io::Result<SealedReader<BufReader<File>>> {
    SealedReader::new(BufReader::new(File::open(path)?), keys, purpose)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys() -> FileKeys {
        FileKeys::new(vec![(1, SecretKey::generate().unwrap())])
    }

    fn seal(keys: &FileKeys, data: &[u8], chunk: usize, writes: usize) -> Vec<u8> {
        let mut writer = SealedWriter::with_chunk_size(Vec::new(), keys, b"test", chunk).unwrap();
        let step = data.len() / writes.max(1) + 1;
        for piece in data.chunks(step) {
            writer.write_all(piece).unwrap();
        }
        writer.finish().unwrap()
    }

    fn unseal(keys: &FileKeys, sealed: &[u8], purpose: &[u8]) -> Result<Vec<u8>, SealedFileError> {
        let mut out = Vec::new();
        SealedReader::new(sealed, keys, purpose)
            .and_then(|mut reader| reader.read_to_end(&mut out))
            .map_err(|e| *e.into_inner().unwrap().downcast::<SealedFileError>().unwrap())?;
        Ok(out)
    }

    /// Offsets of the chunks in a sealed file.
    fn chunk_starts(sealed_len: usize, chunk: usize) -> Vec<usize> {
        (HEADER_LEN..sealed_len).step_by(chunk + TAG_LEN).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn what_is_written_reads_back(data in proptest::collection::vec(any::<u8>(), 0..2000), chunk in 16usize..100, writes in 1usize..8) {
            let keys = keys();
            let sealed = seal(&keys, &data, chunk, writes);
            let chunks = data.len().div_ceil(chunk).max(1);
            prop_assert_eq!(sealed.len(), HEADER_LEN + data.len() + chunks * TAG_LEN);
            prop_assert_eq!(unseal(&keys, &sealed, b"test").unwrap(), data.clone());
            if data.len() >= 8 {
                prop_assert!(!sealed.windows(8).any(|w| w == &data[..8]) || data[..8].iter().all(|b| *b == data[0]));
            }
        }

        #[test]
        fn any_cut_is_refused(data in proptest::collection::vec(any::<u8>(), 0..600), chunk in 16usize..64, cut in any::<prop::sample::Index>()) {
            let keys = keys();
            let sealed = seal(&keys, &data, chunk, 3);
            let at = cut.index(sealed.len());
            prop_assert!(unseal(&keys, &sealed[..at], b"test").is_err());
        }

        #[test]
        fn any_flipped_bit_or_appended_byte_is_refused(data in proptest::collection::vec(any::<u8>(), 0..600), chunk in 16usize..64, at in any::<prop::sample::Index>(), bit in 0u8..8, extra in any::<u8>()) {
            let keys = keys();
            let mut sealed = seal(&keys, &data, chunk, 2);
            let mut longer = sealed.clone();
            longer.push(extra);
            prop_assert!(unseal(&keys, &longer, b"test").is_err());
            let at = at.index(sealed.len());
            sealed[at] ^= 1 << bit;
            prop_assert!(unseal(&keys, &sealed, b"test").is_err());
        }

        #[test]
        fn reordered_or_spliced_chunks_are_refused(data in proptest::collection::vec(any::<u8>(), 96..600), chunk in 16usize..32, pick in any::<prop::sample::Index>()) {
            let keys = keys();
            let sealed = seal(&keys, &data, chunk, 1);
            let starts = chunk_starts(sealed.len(), chunk);
            let sealed_chunk = chunk + TAG_LEN;
            // Swap two whole (non-final) chunks.
            let i = pick.index(starts.len() - 2);
            let mut swapped = sealed.clone();
            let (a, b) = (starts[i], starts[i + 1]);
            let first = sealed[a..a + sealed_chunk].to_vec();
            swapped.copy_within(b..b + sealed_chunk, a);
            swapped[b..b + sealed_chunk].copy_from_slice(&first);
            prop_assert_eq!(unseal(&keys, &swapped, b"test"), Err(SealedFileError::ChunkUnsealable(i as u32)));
            // A chunk from another file with the same key, at the same place.
            let other = seal(&keys, &data, chunk, 1);
            let mut spliced = sealed.clone();
            spliced[a..a + sealed_chunk].copy_from_slice(&other[a..a + sealed_chunk]);
            prop_assert!(unseal(&keys, &spliced, b"test").is_err());
            // Dropping a middle chunk.
            let mut dropped = sealed.clone();
            dropped.drain(a..a + sealed_chunk);
            prop_assert!(unseal(&keys, &dropped, b"test").is_err());
        }
    }

    #[test]
    fn truncation_at_a_chunk_boundary_is_named() {
        let keys = keys();
        let data = vec![7u8; 100];
        let sealed = seal(&keys, &data, 16, 1);
        let boundary = HEADER_LEN + 2 * (16 + TAG_LEN);
        assert_eq!(
            unseal(&keys, &sealed[..boundary], b"test"),
            Err(SealedFileError::Truncated(1))
        );
        assert_eq!(
            unseal(&keys, &sealed[..HEADER_LEN], b"test"),
            Err(SealedFileError::Truncated(0))
        );
    }

    #[test]
    fn another_purpose_key_or_format_is_refused() {
        let keys = keys();
        let sealed = seal(&keys, b"audit record", 64, 1);
        assert_eq!(unseal(&keys, &sealed, b"backup"), Err(SealedFileError::KeyUnsealable));
        assert_eq!(
            unseal(&self::keys(), &sealed, b"test"),
            Err(SealedFileError::KeyUnsealable)
        );
        let later = FileKeys::new(vec![(2, SecretKey::generate().unwrap())]);
        assert_eq!(
            unseal(&later, &sealed, b"test"),
            Err(SealedFileError::UnknownServiceKey(1))
        );
        assert_eq!(unseal(&keys, b"plain text", b"test"), Err(SealedFileError::NotSealed));
    }

    #[test]
    fn a_file_outlives_service_key_rotation_and_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sealed");
        let first = keys();
        let mut writer = create(&path, &first, b"audit log").unwrap();
        writer.write_all(b"an event").unwrap();
        writer.finish().unwrap().into_inner().unwrap().sync_all().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let mut rotated = first.keys.clone();
        rotated.push((2, SecretKey::generate().unwrap()));
        let mut text = String::new();
        open(&path, &FileKeys::new(rotated), b"audit log")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "an event");
    }
}
