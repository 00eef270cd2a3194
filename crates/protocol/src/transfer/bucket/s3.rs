//! A bucket on an S3-compatible endpoint, through AWS's S3 client (SigV4).
//! A job runs on a thread of its own, so the bucket drives the client's
//! futures on a runtime of its own, one request at a time. Objects are
//! uploaded in parts of [`PART_BYTES`] (a multipart upload once one part
//! is full, else one PutObject) and read as the response body arrives.

use std::io::{Read, Write};
use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use aws_sdk_s3::Client;
use halyard_engine::S3Settings;

use super::{Bucket, BucketAccess, BucketError, Encryption, ObjectWriter};

/// The size of a multipart upload's parts (S3's minimum is 5 MiB, but for
/// the last).
const PART_BYTES: usize = 8 * 1024 * 1024;

pub(crate) struct S3Bucket {
    runtime: tokio::runtime::Runtime,
    client: Client,
    name: String,
    owner: Option<String>,
    encryption: Option<Encryption>,
}

impl S3Bucket {
    /// The bucket on the endpoint; it must exist and let these credentials in.
    pub fn open(settings: &S3Settings, access: &BucketAccess) -> Result<S3Bucket, BucketError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BucketError::Unavailable(format!("cannot start the S3 client: {e}")))?;
        let credentials = Credentials::new(
            &settings.access_key_id,
            &settings.secret_access_key,
            settings.session_token.clone(),
            None,
            "halyard",
        );
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .endpoint_url(&settings.endpoint)
            .force_path_style(settings.path_style)
            .credentials_provider(credentials)
            // Checksums only where S3 requires them: many S3-compatible
            // servers refuse the newer trailing-checksum uploads.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .build(),
            )
            .build();
        let bucket = S3Bucket {
            runtime,
            client: Client::from_conf(config),
            name: access.name.to_string(),
            owner: access.owner.map(str::to_string),
            encryption: access.encryption.clone(),
        };
        let head = bucket
            .client
            .head_bucket()
            .bucket(&bucket.name)
            .set_expected_bucket_owner(bucket.owner.clone());
        bucket.runtime.block_on(head.send()).map_err(|e| bucket.error(e))?;
        Ok(bucket)
    }

    /// S3's error as DynamoDB reports it: the message, then S3's service,
    /// status and code, as its Java client words them.
    fn error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
        &self,
        error: SdkError<E>,
    ) -> BucketError {
        let status = error.raw_response().map(|response| response.status().as_u16());
        let code = error.code().map(str::to_string);
        match (status, code.as_deref()) {
            (Some(404), None | Some("NoSuchBucket" | "NotFound")) => BucketError::NoSuchBucket(self.name.clone()),
            (Some(status), code) => {
                let code = code.unwrap_or(match status {
                    403 => "AccessDenied",
                    _ => "Unknown",
                });
                let message = error.message().unwrap_or(match status {
                    403 => "Access Denied",
                    _ => "S3 refused the request",
                });
                let message = format!(
                    "{message} (Service: Amazon S3; Status Code: {status}; Error Code: {code}; Bucket: {})",
                    self.name
                );
                match status {
                    403 => BucketError::AccessDenied(message),
                    _ => BucketError::Unavailable(message),
                }
            }
            (None, _) => BucketError::Unavailable(format!(
                "Unable to reach Amazon S3: {}",
                aws_sdk_s3::error::DisplayErrorContext(&error)
            )),
        }
    }

    fn server_side_encryption(&self) -> (Option<ServerSideEncryption>, Option<String>) {
        match &self.encryption {
            Some(Encryption { algorithm, kms_key_id }) if algorithm == "KMS" => {
                (Some(ServerSideEncryption::AwsKms), kms_key_id.clone())
            }
            Some(_) => (Some(ServerSideEncryption::Aes256), None),
            None => (None, None),
        }
    }

    fn put_object(&self, key: &str, bytes: Vec<u8>) -> Result<Option<String>, BucketError> {
        let (sse, kms_key) = self.server_side_encryption();
        let put = self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .set_expected_bucket_owner(self.owner.clone())
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .body(ByteStream::from(bytes));
        let put = self.runtime.block_on(put.send()).map_err(|e| self.error(e))?;
        Ok(put.e_tag.as_deref().map(unquoted))
    }
}

/// An ETag without the quotes S3 puts around it.
fn unquoted(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

/// An object being uploaded: the part being filled and, once one part was
/// sent, the multipart upload's id and its parts.
struct S3Object<'a> {
    bucket: &'a S3Bucket,
    key: String,
    part: Vec<u8>,
    upload: Option<(String, Vec<CompletedPart>)>,
}

impl S3Object<'_> {
    /// Sends the part being filled, starting the multipart upload first.
    fn send_part(&mut self) -> Result<(), BucketError> {
        let bucket = self.bucket;
        if self.upload.is_none() {
            let (sse, kms_key) = bucket.server_side_encryption();
            let create = bucket
                .client
                .create_multipart_upload()
                .bucket(&bucket.name)
                .key(&self.key)
                .set_expected_bucket_owner(bucket.owner.clone())
                .set_server_side_encryption(sse)
                .set_ssekms_key_id(kms_key);
            let created = bucket.runtime.block_on(create.send()).map_err(|e| bucket.error(e))?;
            let id = created
                .upload_id
                .ok_or_else(|| BucketError::Unavailable("S3 started a multipart upload without an id".into()))?;
            self.upload = Some((id, Vec::new()));
        }
        let (id, parts) = self.upload.as_mut().expect("started above");
        let number = parts.len() as i32 + 1;
        let send = bucket
            .client
            .upload_part()
            .bucket(&bucket.name)
            .key(&self.key)
            .upload_id(id.as_str())
            .part_number(number)
            .set_expected_bucket_owner(bucket.owner.clone())
            .body(ByteStream::from(std::mem::take(&mut self.part)));
        let sent = bucket.runtime.block_on(send.send()).map_err(|e| bucket.error(e))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag)
                .build(),
        );
        Ok(())
    }
}

impl Write for S3Object<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let room = PART_BYTES - self.part.len();
        let taken = bytes.len().min(room);
        self.part.extend_from_slice(&bytes[..taken]);
        if self.part.len() == PART_BYTES {
            self.send_part().map_err(BucketError::into_io)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for S3Object<'_> {
    fn finish(mut self: Box<Self>) -> Result<Option<String>, BucketError> {
        if self.upload.is_none() {
            let bytes = std::mem::take(&mut self.part);
            return self.bucket.put_object(&self.key, bytes);
        }
        if !self.part.is_empty() {
            self.send_part()?;
        }
        let bucket = self.bucket;
        let (id, parts) = self.upload.take().expect("checked above");
        let complete = bucket
            .client
            .complete_multipart_upload()
            .bucket(&bucket.name)
            .key(&self.key)
            .upload_id(&id)
            .set_expected_bucket_owner(bucket.owner.clone())
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build());
        match bucket.runtime.block_on(complete.send()) {
            Ok(completed) => Ok(completed.e_tag.as_deref().map(unquoted)),
            Err(error) => {
                // Aborted when dropped.
                self.upload = Some((id, Vec::new()));
                Err(bucket.error(error))
            }
        }
    }
}

impl Drop for S3Object<'_> {
    fn drop(&mut self) {
        // Unfinished: the parts sent are discarded (S3 keeps them, and
        // bills them, until the upload is aborted).
        if let Some((id, _)) = self.upload.take() {
            let bucket = self.bucket;
            let abort = bucket
                .client
                .abort_multipart_upload()
                .bucket(&bucket.name)
                .key(&self.key)
                .upload_id(id)
                .set_expected_bucket_owner(bucket.owner.clone());
            if let Err(error) = bucket.runtime.block_on(abort.send()) {
                tracing::warn!(key = %self.key, error = %bucket.error(error), "cannot abort a multipart upload");
            }
        }
    }
}

/// An object's body, read as it arrives.
struct S3Reader<'a> {
    bucket: &'a S3Bucket,
    body: ByteStream,
    chunk: Vec<u8>,
    position: usize,
}

impl Read for S3Reader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.position == self.chunk.len() {
            match self.bucket.runtime.block_on(self.body.try_next()) {
                Ok(Some(chunk)) => {
                    self.chunk.clear();
                    self.chunk.extend_from_slice(&chunk);
                    self.position = 0;
                }
                Ok(None) => return Ok(0),
                Err(error) => {
                    let message = format!("cannot read an object of bucket {}: {error}", self.bucket.name);
                    return Err(BucketError::Unavailable(message).into_io());
                }
            }
        }
        let taken = buffer.len().min(self.chunk.len() - self.position);
        buffer[..taken].copy_from_slice(&self.chunk[self.position..self.position + taken]);
        self.position += taken;
        Ok(taken)
    }
}

impl Bucket for S3Bucket {
    fn create<'a>(&'a self, key: &str) -> Result<Box<dyn ObjectWriter + 'a>, BucketError> {
        Ok(Box::new(S3Object {
            bucket: self,
            key: key.to_string(),
            part: Vec::new(),
            upload: None,
        }))
    }

    fn open<'a>(&'a self, key: &str) -> Result<Box<dyn Read + 'a>, BucketError> {
        let get = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .set_expected_bucket_owner(self.owner.clone());
        let object = self.runtime.block_on(get.send()).map_err(|e| self.error(e))?;
        Ok(Box::new(S3Reader {
            bucket: self,
            body: object.body,
            chunk: Vec::new(),
            position: 0,
        }))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, BucketError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let list = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .set_expected_bucket_owner(self.owner.clone());
            let page = self.runtime.block_on(list.send()).map_err(|e| self.error(e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_string)),
            );
            match page.next_continuation_token {
                Some(next) if page.is_truncated == Some(true) => token = Some(next),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn delete_prefix(&self, prefix: &str) -> Result<(), BucketError> {
        for key in self.list(prefix)? {
            let delete = self
                .client
                .delete_object()
                .bucket(&self.name)
                .key(key)
                .set_expected_bucket_owner(self.owner.clone());
            self.runtime.block_on(delete.send()).map_err(|e| self.error(e))?;
        }
        Ok(())
    }
}
