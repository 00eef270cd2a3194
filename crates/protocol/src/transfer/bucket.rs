//! The S3 bucket a job writes to or reads from: a directory below the
//! server's bucket root (`local.rs`), or a bucket on the S3-compatible
//! endpoint the server is configured with (`s3.rs`). Both write an object
//! as a stream that appears whole when finished, never half, and read one
//! as a stream.

mod local;
mod s3;

use std::io::{Read, Write};

use halyard_engine::Engine;

/// Why a bucket could not be used; each maps to DynamoDB's FailureCode.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BucketError {
    #[error("The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Bucket: {0})")]
    NoSuchBucket(String),
    /// The endpoint refused the request (403: access denied, unknown
    /// key, bad signature, another bucket owner).
    #[error("{0}")]
    AccessDenied(String),
    /// An object could not be read or written locally.
    #[error("{0}")]
    Io(String),
    /// The endpoint failed otherwise (unreachable, a server error).
    #[error("{0}")]
    Unavailable(String),
}

impl BucketError {
    pub fn failure(&self) -> (&'static str, String) {
        let code = match self {
            BucketError::NoSuchBucket(_) => "S3NoSuchBucket",
            BucketError::AccessDenied(_) | BucketError::Io(_) => "S3AccessDenied",
            BucketError::Unavailable(_) => "UnknownError",
        };
        (code, self.to_string())
    }

    /// The error an object stream failed with: a bucket's own, or an I/O
    /// error of the stream's other layers (compression).
    pub fn from_io(error: std::io::Error) -> BucketError {
        match error.get_ref().is_some_and(|inner| inner.is::<BucketError>()) {
            true => *error
                .into_inner()
                .and_then(|inner| inner.downcast::<BucketError>().ok())
                .expect("checked above"),
            false => BucketError::Io(error.to_string()),
        }
    }

    /// As an I/O error, for a stream's `Read` or `Write`.
    fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }
}

/// Server-side encryption asked of an export's objects.
#[derive(Debug, Clone)]
pub(crate) struct Encryption {
    /// `AES256` or `KMS`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
}

/// Which bucket a job uses, and how.
#[derive(Debug, Clone)]
pub(crate) struct BucketAccess<'a> {
    pub name: &'a str,
    /// The account that must own the bucket (S3BucketOwner).
    pub owner: Option<&'a str>,
    pub encryption: Option<Encryption>,
}

/// An object being written; it appears in the bucket once finished.
pub(crate) trait ObjectWriter: Write {
    /// Finishes the object; returns the ETag its store gave it, if it
    /// gives them (S3: the MD5 in hex, or for a multipart upload the MD5
    /// of its parts' MD5s and their count).
    fn finish(self: Box<Self>) -> Result<Option<String>, BucketError>;
}

pub(crate) trait Bucket {
    /// Starts writing the object `key`.
    fn create<'a>(&'a self, key: &str) -> Result<Box<dyn ObjectWriter + 'a>, BucketError>;

    /// The object `key`'s bytes, as they are read.
    fn open<'a>(&'a self, key: &str) -> Result<Box<dyn Read + 'a>, BucketError>;

    /// The keys of the objects whose key starts with `prefix`, in order.
    fn list(&self, prefix: &str) -> Result<Vec<String>, BucketError>;

    /// Deletes the objects whose key starts with `prefix` (what an
    /// interrupted export left, before it runs again).
    fn delete_prefix(&self, prefix: &str) -> Result<(), BucketError>;

    /// Writes a small object whole.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BucketError> {
        let mut object = self.create(key)?;
        object.write_all(bytes).map_err(BucketError::from_io)?;
        object.finish().map(drop)
    }
}

/// The bucket `access` names, on the server's S3 endpoint if it has one,
/// else below its bucket root; it must exist.
pub(crate) fn open(engine: &Engine, access: &BucketAccess) -> Result<Box<dyn Bucket>, BucketError> {
    match engine.s3_settings() {
        Some(settings) => Ok(Box::new(s3::S3Bucket::open(settings, access)?)),
        None => Ok(Box::new(local::LocalBucket::open(engine.bucket_root(), access.name)?)),
    }
}
