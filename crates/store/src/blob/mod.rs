//! Attachment storage: files streamed into a local directory or a cloud object store
//! (Azure Blob Storage, Amazon S3, Google Cloud Storage) through `object_store`.
//!
//! Uploads are checked before anything durable is written: names and content that are
//! programs or scripts are refused, the size limit is enforced while streaming, and each
//! stored file gets its SHA-256 and sniffed MIME type. Downloads go through short-lived
//! URLs: HMAC-signed URLs served by Catalyst itself for the local directory, and the
//! store's own pre-signed URLs (Azure SAS, S3 and GCS signed URLs) in the cloud.
//!
//! Keys are chosen by the caller (for example `{tenant_id}/{attachment_id}`) and may only
//! use ASCII letters, digits and `/ _ - .`.

mod config;
mod filename;
mod sniff;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use hmac::{Hmac, Mac};
use object_store::path::Path as ObjectPath;
use object_store::signer::{Method, Signer};
use object_store::{
    Attribute, Attributes, GetOptions, MultipartUpload, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload,
};
use sha2::{Digest, Sha256};

pub use filename::{content_disposition, sanitize_filename};
pub use sniff::{check_content, check_declared_name};

/// Size of the parts a large upload is sent in; one part is buffered at a time.
const PART_SIZE: usize = 5 * 1024 * 1024;

/// Longest key accepted, in bytes.
const MAX_KEY_LEN: usize = 512;

/// Shortest accepted key for signing local download URLs, in bytes.
pub const MIN_SIGNING_KEY_LEN: usize = 16;

/// Errors of the attachment store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The upload is larger than the limit; nothing was kept.
    #[error("the file is larger than the limit of {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    /// The file is not accepted; `reason` is a sentence for the user.
    #[error("{reason}")]
    Forbidden { reason: String },
    /// The download link has expired.
    #[error("the download link has expired")]
    Expired,
    /// The download link was altered or is incomplete.
    #[error("the download link is not valid")]
    BadSignature,
    #[error("file not found")]
    NotFound,
    /// The backend cannot do this (for example sign URLs with the credentials it has).
    #[error("not supported by the file storage: {0}")]
    Unsupported(String),
    /// Bad configuration or arguments (storage URL, connection string, key, ...).
    #[error("invalid file storage configuration: {0}")]
    Config(String),
    /// Reading the upload or talking to the storage failed.
    #[error("file storage error: {0}")]
    Io(String),
}

/// Where the files are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobBackend {
    /// A local directory.
    Local { root: PathBuf },
    /// A cloud object store (Azure, S3 or GCS).
    Cloud,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// MIME type sniffed from the content (else from the declared name).
    pub content_type: String,
}

/// The query of a local signed download URL (`?exp=..&name=..&ct=..&sig=..`).
///
/// Missing parameters deserialize as empty, so that they fail verification as
/// [`BlobError::BadSignature`] rather than as a malformed request.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct SignedQuery {
    /// Expiry, in Unix seconds.
    pub exp: i64,
    /// File name to download as.
    pub name: String,
    /// Content type to send.
    pub ct: String,
    /// Hex HMAC-SHA-256.
    pub sig: String,
}

/// The attachment store. Cheap to clone; all clones share the same store.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    signer: Option<Arc<dyn Signer>>,
    backend: BlobBackend,
    signing_key: Arc<[u8]>,
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("backend", &self.backend)
            .field("store", &format_args!("{}", self.store))
            .field("signing_key", &"<redacted>")
            .finish()
    }
}

impl BlobStore {
    /// Opens the attachment store.
    ///
    /// `url`:
    /// - `None` (or empty): the local directory `data_dir/files`, created if missing;
    /// - `file:///absolute/dir`: that local directory, created if missing;
    /// - `az://container` or `azure://container`: Azure Blob Storage, with the account and
    ///   credentials from `azure_connection_string` when given, else from the usual
    ///   `AZURE_STORAGE_*` environment variables;
    /// - `s3://bucket`: Amazon S3 (or compatible), configured from the `AWS_*` variables;
    /// - `gs://bucket`: Google Cloud Storage, configured from the `GOOGLE_*` variables.
    ///
    /// A path after the container or bucket (`az://container/catalyst`) is used as a
    /// prefix for every key.
    ///
    /// `azure_connection_string`: `DefaultEndpointsProtocol=..;AccountName=..;AccountKey=..;
    /// BlobEndpoint=..;` (or `UseDevelopmentStorage=true`); only valid with an Azure URL.
    /// Plain `http` endpoints (such as Azurite's) are allowed.
    ///
    /// `signing_key`: secret for local download URLs, at least [`MIN_SIGNING_KEY_LEN`]
    /// bytes.
    pub fn open(
        url: Option<&str>,
        azure_connection_string: Option<&str>,
        data_dir: &Path,
        signing_key: Vec<u8>,
    ) -> Result<Self, BlobError> {
        Self::open_with_options(url, azure_connection_string, data_dir, signing_key, &[])
    }

    /// Like [`open`](Self::open), with `object_store` configuration keys for the cloud
    /// backend (for example `("azure_storage_account_name", "acme")` or
    /// `("aws_region", "eu-west-1")`), applied over the environment variables.
    pub fn open_with_options(
        url: Option<&str>,
        azure_connection_string: Option<&str>,
        data_dir: &Path,
        signing_key: Vec<u8>,
        options: &[(String, String)],
    ) -> Result<Self, BlobError> {
        if signing_key.len() < MIN_SIGNING_KEY_LEN {
            return Err(BlobError::Config(format!(
                "the signing key for download links must be at least {MIN_SIGNING_KEY_LEN} bytes"
            )));
        }
        let opened = config::open_backend(url, azure_connection_string, data_dir, options)?;
        Ok(Self {
            store: opened.store,
            signer: opened.signer,
            backend: opened.backend,
            signing_key: signing_key.into(),
        })
    }

    /// Where the files are kept.
    pub fn backend(&self) -> &BlobBackend {
        &self.backend
    }

    /// Streams an upload into `key`, holding at most one 5 MiB part in memory.
    ///
    /// The declared name is checked first and the content's first bytes before anything
    /// durable is written ([`check_content`]); refused files give
    /// [`BlobError::Forbidden`]. Going over `max_bytes` stops reading, aborts the upload
    /// and gives [`BlobError::TooLarge`]; a failing body gives [`BlobError::Io`]. In every
    /// error case nothing new is left at `key` (an object already there stays as it was);
    /// a successful upload replaces it.
    ///
    /// If the future is dropped midway, the local store removes its staging file; in the
    /// cloud the unfinished parts are not committed (Azure discards uncommitted blocks
    /// after a week; S3 buckets should have a rule aborting incomplete multipart uploads).
    ///
    /// In the cloud the object is stored with its content type and an attachment
    /// `Content-Disposition` for the declared name, which pre-signed downloads return.
    pub async fn put_stream<S>(
        &self,
        key: &str,
        declared_filename: &str,
        mut body: S,
        max_bytes: u64,
    ) -> Result<StoredBlob, BlobError>
    where
        S: Stream<Item = Result<Bytes, io::Error>> + Send + Unpin,
    {
        let path = object_path(key)?;
        check_declared_name(declared_filename)?;

        let mut upload: Option<Box<dyn MultipartUpload>> = None;
        let result = self
            .stream_into(&path, declared_filename, &mut body, max_bytes, &mut upload)
            .await;
        if let Some(mut unfinished) = upload
            && let Err(e) = unfinished.abort().await
        {
            tracing::warn!(key, error = %e, "could not abort an unfinished upload");
        }
        let (size, sha256, content_type) = result?;
        Ok(StoredBlob {
            key: key.to_owned(),
            size,
            sha256,
            content_type,
        })
    }

    /// The body of [`put_stream`](Self::put_stream). A multipart upload it starts is left
    /// in `upload` unless it completed, for the caller to abort.
    async fn stream_into<S>(
        &self,
        path: &ObjectPath,
        declared_filename: &str,
        body: &mut S,
        max_bytes: u64,
        upload: &mut Option<Box<dyn MultipartUpload>>,
    ) -> Result<(u64, String, String), BlobError>
    where
        S: Stream<Item = Result<Bytes, io::Error>> + Send + Unpin,
    {
        let mut part = PartBuffer::default();
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut content_type: Option<String> = None;

        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BlobError::Io(format!("reading the upload: {e}")))?;
            size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
            if size > max_bytes {
                return Err(BlobError::TooLarge { max_bytes });
            }
            hasher.update(&chunk);
            part.push(chunk);

            while part.len >= PART_SIZE {
                let full = part.take(PART_SIZE);
                let multipart = match upload {
                    Some(multipart) => multipart,
                    None => {
                        let ct = check_content(declared_filename, &head_of(&full))?;
                        let opts =
                            PutMultipartOptions::from(self.attributes(&ct, declared_filename));
                        let started = self
                            .store
                            .put_multipart_opts(path, opts)
                            .await
                            .map_err(store_error)?;
                        content_type = Some(ct);
                        upload.insert(started)
                    }
                };
                multipart
                    .put_part(full.into_iter().collect::<PutPayload>())
                    .await
                    .map_err(store_error)?;
            }
        }

        let sha256 = hex::encode(hasher.finalize());
        let rest = part.take(part.len);
        match (upload.as_mut(), content_type) {
            (Some(multipart), Some(ct)) => {
                if !rest.is_empty() {
                    multipart
                        .put_part(rest.into_iter().collect::<PutPayload>())
                        .await
                        .map_err(store_error)?;
                }
                multipart.complete().await.map_err(store_error)?;
                *upload = None;
                Ok((size, sha256, ct))
            }
            _ => {
                let ct = check_content(declared_filename, &head_of(&rest))?;
                let opts = PutOptions::from(self.attributes(&ct, declared_filename));
                self.store
                    .put_opts(path, rest.into_iter().collect::<PutPayload>(), opts)
                    .await
                    .map_err(store_error)?;
                Ok((size, sha256, ct))
            }
        }
    }

    /// The attributes stored with an object: none locally (the local store keeps none),
    /// the content type and download name in the cloud.
    fn attributes(&self, content_type: &str, declared_filename: &str) -> Attributes {
        let mut attributes = Attributes::new();
        if self.backend == BlobBackend::Cloud {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
            attributes.insert(
                Attribute::ContentDisposition,
                content_disposition(declared_filename).into(),
            );
        }
        attributes
    }

    /// A download URL valid for `ttl` from `now`.
    ///
    /// Local: `{base_url}/files/{key}?exp=..&name=..&ct=..&sig=..`, where `name` is the
    /// sanitized `filename` and `sig` a hex HMAC-SHA-256 over key, expiry, name and
    /// content type; check it with [`verify_local`](Self::verify_local).
    ///
    /// Cloud: the store's pre-signed GET URL (Azure SAS, S3 or GCS signed URL), which
    /// returns the content type and file name stored at upload; `base_url`, `filename` and
    /// `content_type` are not used. When the backend cannot sign (for example Azure with a
    /// SAS token or a GCS account without a private key), gives
    /// [`BlobError::Unsupported`]; the caller can then stream with
    /// [`get_stream`](Self::get_stream) instead.
    pub async fn signed_url(
        &self,
        base_url: &str,
        key: &str,
        filename: &str,
        content_type: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, BlobError> {
        let path = object_path(key)?;
        if let Some(signer) = &self.signer {
            let url = signer
                .signed_url(Method::GET, &path, ttl)
                .await
                .map_err(|e| BlobError::Unsupported(format!("cannot sign a download URL: {e}")))?;
            return Ok(url.into());
        }

        if content_type.is_empty()
            || content_type.len() > 255
            || content_type.chars().any(|c| c.is_control())
        {
            return Err(BlobError::Config(
                "the content type of a download link must be a short header value".into(),
            ));
        }
        let name = sanitize_filename(filename);
        let exp = expiry(now, ttl);
        let sig = hex::encode(
            self.mac(key, exp, &name, content_type)?
                .finalize()
                .into_bytes(),
        );

        let mut url = url::Url::parse(base_url)
            .map_err(|e| BlobError::Config(format!("the base URL is not a valid URL: {e}")))?;
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .map_err(|()| BlobError::Config("the base URL cannot have a path".into()))?
            .pop_if_empty()
            .push("files")
            .extend(key.split('/'));
        url.query_pairs_mut()
            .append_pair("exp", &exp.to_string())
            .append_pair("name", &name)
            .append_pair("ct", content_type)
            .append_pair("sig", &sig);
        Ok(url.into())
    }

    /// Checks a local download request: `key` from the path, `query` from the URL.
    ///
    /// Gives [`BlobError::BadSignature`] if anything was altered or is missing (compared
    /// in constant time), and [`BlobError::Expired`] for a genuine link past its expiry.
    pub fn verify_local(
        &self,
        key: &str,
        query: &SignedQuery,
        now: DateTime<Utc>,
    ) -> Result<(), BlobError> {
        if object_path(key).is_err() {
            return Err(BlobError::BadSignature);
        }
        let sig = hex::decode(&query.sig).map_err(|_| BlobError::BadSignature)?;
        self.mac(key, query.exp, &query.name, &query.ct)?
            .verify_slice(&sig)
            .map_err(|_| BlobError::BadSignature)?;
        if now.timestamp() >= query.exp {
            return Err(BlobError::Expired);
        }
        Ok(())
    }

    /// The HMAC over a local download link's fields, each length-prefixed so that no two
    /// different links sign the same bytes.
    fn mac(
        &self,
        key: &str,
        exp: i64,
        name: &str,
        content_type: &str,
    ) -> Result<Hmac<Sha256>, BlobError> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_key)
            .map_err(|_| BlobError::Config("invalid signing key".into()))?;
        mac.update(b"catalyst-file-link-v1\n");
        let exp = exp.to_string();
        for field in [key, exp.as_str(), name, content_type] {
            mac.update(field.len().to_string().as_bytes());
            mac.update(b":");
            mac.update(field.as_bytes());
            mac.update(b"\n");
        }
        Ok(mac)
    }

    /// Streams an object back: its size and its bytes.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, BlobError>>), BlobError> {
        let path = object_path(key)?;
        let result = self
            .store
            .get_opts(&path, GetOptions::default())
            .await
            .map_err(store_error)?;
        let size = result.meta.size;
        Ok((size, result.into_stream().map_err(store_error).boxed()))
    }

    /// Deletes an object. Deleting a missing object succeeds, so that retries are safe.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = object_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// Validates a caller's key and turns it into an object path.
fn object_path(key: &str) -> Result<ObjectPath, BlobError> {
    let valid = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && !key.contains("..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && segment != ".");
    if !valid {
        return Err(BlobError::Config(format!(
            "invalid file key {key:?}: use ASCII letters, digits and / _ - . in non-empty \
             segments, without .."
        )));
    }
    ObjectPath::parse(key).map_err(|e| BlobError::Config(format!("invalid file key: {e}")))
}

fn store_error(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        object_store::Error::NotSupported { .. } | object_store::Error::NotImplemented { .. } => {
            BlobError::Unsupported(e.to_string())
        }
        other => BlobError::Io(other.to_string()),
    }
}

/// The expiry of a link valid for `ttl` from `now`, in Unix seconds (rounded up).
fn expiry(now: DateTime<Utc>, ttl: Duration) -> i64 {
    let secs = ttl
        .as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0));
    now.timestamp()
        .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The first bytes of a buffered part, for [`check_content`].
fn head_of(chunks: &[Bytes]) -> Vec<u8> {
    let mut head = Vec::with_capacity(sniff::SNIFF_LEN);
    for chunk in chunks {
        let room = sniff::SNIFF_LEN - head.len();
        if room == 0 {
            break;
        }
        head.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
    }
    head
}

/// Chunks received but not yet sent, without copying them.
#[derive(Default)]
struct PartBuffer {
    chunks: Vec<Bytes>,
    len: usize,
}

impl PartBuffer {
    fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.len += chunk.len();
            self.chunks.push(chunk);
        }
    }

    /// Takes the first `n` bytes (or all if fewer), splitting a chunk if needed.
    fn take(&mut self, n: usize) -> Vec<Bytes> {
        let mut taken = Vec::new();
        let mut rest = Vec::new();
        let mut need = n;
        for mut chunk in self.chunks.drain(..) {
            if need == 0 {
                rest.push(chunk);
            } else if chunk.len() <= need {
                need -= chunk.len();
                taken.push(chunk);
            } else {
                taken.push(chunk.split_to(need));
                need = 0;
                rest.push(chunk);
            }
        }
        self.len -= n - need;
        self.chunks = rest;
        taken
    }
}
