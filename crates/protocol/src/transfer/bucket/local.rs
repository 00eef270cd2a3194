//! A bucket as a directory: bucket `B` is the directory `B` below the
//! server's bucket root, and an object key is a path below it (`/`
//! separating directories). An object is written under a temporary name
//! and renamed into place when finished, so a reader never sees half of
//! one.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use super::{Bucket, BucketError, ObjectWriter};

pub(crate) struct LocalBucket {
    dir: PathBuf,
}

impl LocalBucket {
    /// The bucket named `name` below `root`; it must exist.
    pub fn open(root: &Path, name: &str) -> Result<LocalBucket, BucketError> {
        let dir = root.join(name);
        if name.contains('/') || name.starts_with('.') || !dir.is_dir() {
            return Err(BucketError::NoSuchBucket(name.to_string()));
        }
        Ok(LocalBucket { dir })
    }

    /// The path of an object's key, refused if it would leave the bucket.
    fn path(&self, key: &str) -> Result<PathBuf, BucketError> {
        let relative = Path::new(key);
        if key.is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(BucketError::Io(format!("Invalid object key: {key}")));
        }
        Ok(self.dir.join(relative))
    }
}

/// An object being written: its temporary file, renamed when finished.
struct LocalObject {
    file: File,
    temporary: PathBuf,
    path: PathBuf,
    key: String,
}

impl LocalObject {
    fn error(&self, error: std::io::Error) -> BucketError {
        BucketError::Io(format!("cannot write object {}: {error}", self.key))
    }
}

impl Write for LocalObject {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.file.write(bytes).map_err(|e| self.error(e).into_io())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl ObjectWriter for LocalObject {
    fn finish(self: Box<Self>) -> Result<Option<String>, BucketError> {
        self.file.sync_all().map_err(|e| self.error(e))?;
        std::fs::rename(&self.temporary, &self.path).map_err(|e| self.error(e))?;
        Ok(None)
    }
}

impl Drop for LocalObject {
    fn drop(&mut self) {
        // Unfinished: the partial file goes (after a rename, nothing is there).
        let _ = std::fs::remove_file(&self.temporary);
    }
}

impl Bucket for LocalBucket {
    fn create<'a>(&'a self, key: &str) -> Result<Box<dyn ObjectWriter + 'a>, BucketError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| BucketError::Io(format!("cannot write object {key}: {e}"));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let temporary = path.with_extension(format!("partial-{suffix}"));
        let file = File::create(&temporary).map_err(io)?;
        Ok(Box::new(LocalObject {
            file,
            temporary,
            path,
            key: key.to_string(),
        }))
    }

    fn open<'a>(&'a self, key: &str) -> Result<Box<dyn Read + 'a>, BucketError> {
        let file =
            File::open(self.path(key)?).map_err(|e| BucketError::Io(format!("cannot read object {key}: {e}")))?;
        Ok(Box::new(file))
    }

    fn delete_prefix(&self, prefix: &str) -> Result<(), BucketError> {
        for key in self.list(prefix)? {
            std::fs::remove_file(self.path(&key)?)
                .map_err(|e| BucketError::Io(format!("cannot delete object {key}: {e}")))?;
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, BucketError> {
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
