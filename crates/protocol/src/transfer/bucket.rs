//! An S3 bucket as a directory: bucket `B` is the directory `B` below the
//! server's bucket root, and an object key is a path below it (`/`
//! separating directories). Objects are written whole, under a temporary
//! name renamed into place, so a reader never sees half an object.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Why a bucket could not be used; each maps to DynamoDB's FailureCode.
#[derive(Debug)]
pub(crate) enum BucketError {
    NoSuchBucket(String),
    /// An object could not be read or written.
    Io(String),
}

impl BucketError {
    pub fn failure(&self) -> (&'static str, String) {
        match self {
            BucketError::NoSuchBucket(bucket) => (
                "S3NoSuchBucket",
                format!("The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket; Bucket: {bucket})"),
            ),
            BucketError::Io(message) => ("S3AccessDenied", message.clone()),
        }
    }
}

pub(crate) struct Bucket {
    dir: PathBuf,
}

impl Bucket {
    /// The bucket named `name` below `root`; it must exist.
    pub fn open(root: &Path, name: &str) -> Result<Bucket, BucketError> {
        let dir = root.join(name);
        if name.contains('/') || name.starts_with('.') || !dir.is_dir() {
            return Err(BucketError::NoSuchBucket(name.to_string()));
        }
        Ok(Bucket { dir })
    }

    /// The path of an object's key, refused if it would leave the bucket.
    fn path(&self, key: &str) -> Result<PathBuf, BucketError> {
        let relative = Path::new(key);
        if key.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(BucketError::Io(format!("Invalid object key: {key}")));
        }
        Ok(self.dir.join(relative))
    }

    pub fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BucketError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| BucketError::Io(format!("cannot write object {key}: {e}"));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let temporary = path.with_extension(format!("partial-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
        let mut file = std::fs::File::create(&temporary).map_err(io)?;
        file.write_all(bytes).and_then(|_| file.sync_all()).map_err(io)?;
        std::fs::rename(&temporary, &path).map_err(io)
    }

    pub fn get(&self, key: &str) -> Result<Vec<u8>, BucketError> {
        std::fs::read(self.path(key)?).map_err(|e| BucketError::Io(format!("cannot read object {key}: {e}")))
    }

    /// Deletes the objects whose key starts with `prefix` (what an
    /// interrupted export left, before it runs again).
    pub fn delete_prefix(&self, prefix: &str) -> Result<(), BucketError> {
        for key in self.list(prefix)? {
            std::fs::remove_file(self.path(&key)?)
                .map_err(|e| BucketError::Io(format!("cannot delete object {key}: {e}")))?;
        }
        Ok(())
    }

    /// The keys of the objects whose key starts with `prefix`, in order.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, BucketError> {
        let mut keys = Vec::new();
        let mut pending = vec![(self.dir.clone(), String::new())];
        while let Some((dir, key_prefix)) = pending.pop() {
            let entries =
                std::fs::read_dir(&dir).map_err(|e| BucketError::Io(format!("cannot list {key_prefix}: {e}")))?;
            for entry in entries {
                let entry = entry.map_err(|e| BucketError::Io(e.to_string()))?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let key = format!("{key_prefix}{name}");
                let kind = entry.file_type().map_err(|e| BucketError::Io(e.to_string()))?;
                if kind.is_dir() {
                    // Only directories that can hold keys with the prefix.
                    let directory = format!("{key}/");
                    if directory.starts_with(prefix) || prefix.starts_with(&directory) {
                        pending.push((entry.path(), directory));
                    }
                } else if kind.is_file() && key.starts_with(prefix) && !name.contains(".partial-") {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}
