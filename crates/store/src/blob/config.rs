//! Choosing and configuring the object store behind a [`BlobStore`](super::BlobStore).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::ObjectStoreScheme;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::signer::Signer;
use url::Url;

use super::{BlobBackend, BlobError};

/// The opened store: the object store, its URL signer (cloud only) and what it is.
pub(super) struct Opened {
    pub store: Arc<dyn ObjectStore>,
    pub signer: Option<Arc<dyn Signer>>,
    pub backend: BlobBackend,
}

/// Opens the store named by `url` (see [`BlobStore::open`](super::BlobStore::open)).
pub(super) fn open_backend(
    url: Option<&str>,
    azure_connection_string: Option<&str>,
    data_dir: &Path,
    options: &[(String, String)],
) -> Result<Opened, BlobError> {
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    let conn = azure_connection_string
        .map(str::trim)
        .filter(|c| !c.is_empty());

    let Some(url) = url else {
        if conn.is_some() {
            return Err(BlobError::Config(
                "an Azure connection string was given without a container URL (az://container)"
                    .into(),
            ));
        }
        return open_local(&data_dir.join("files"));
    };

    let parsed = Url::parse(url)
        .map_err(|e| BlobError::Config(format!("the storage URL is not a valid URL: {e}")))?;
    let (scheme, prefix) = ObjectStoreScheme::parse(&parsed).map_err(|_| {
        BlobError::Config(format!(
            "unsupported storage URL scheme {}: use file://, az://, s3:// or gs://",
            parsed.scheme()
        ))
    })?;
    if conn.is_some() && scheme != ObjectStoreScheme::MicrosoftAzure {
        return Err(BlobError::Config(
            "an Azure connection string needs an Azure container URL (az://container)".into(),
        ));
    }

    match scheme {
        ObjectStoreScheme::Local => {
            if !options.is_empty() {
                return Err(BlobError::Config(
                    "a local storage directory takes no options".into(),
                ));
            }
            let dir = parsed.to_file_path().map_err(|()| {
                BlobError::Config("a file:// storage URL must name an absolute directory".into())
            })?;
            open_local(&dir)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let mut builder = MicrosoftAzureBuilder::from_env().with_url(url);
            for (key, value) in options {
                let k = AzureConfigKey::from_str(&key.to_ascii_lowercase())
                    .map_err(|_| unknown_option("Azure", key))?;
                builder = builder.with_config(k, value);
            }
            if let Some(conn) = conn {
                builder = apply_connection_string(builder, conn)?;
            }
            let store = builder.build().map_err(build_error)?;
            Ok(cloud(store, prefix))
        }
        ObjectStoreScheme::AmazonS3 => {
            let mut builder = AmazonS3Builder::from_env().with_url(url);
            for (key, value) in options {
                let k = AmazonS3ConfigKey::from_str(&key.to_ascii_lowercase())
                    .map_err(|_| unknown_option("S3", key))?;
                builder = builder.with_config(k, value);
            }
            let store = builder.build().map_err(build_error)?;
            Ok(cloud(store, prefix))
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            let mut builder = GoogleCloudStorageBuilder::from_env().with_url(url);
            for (key, value) in options {
                let k = GoogleConfigKey::from_str(&key.to_ascii_lowercase())
                    .map_err(|_| unknown_option("Google Cloud Storage", key))?;
                builder = builder.with_config(k, value);
            }
            let store = builder.build().map_err(build_error)?;
            Ok(cloud(store, prefix))
        }
        _ => Err(BlobError::Config(format!(
            "unsupported storage URL scheme {}: use file://, az://, s3:// or gs://",
            parsed.scheme()
        ))),
    }
}

fn open_local(root: &Path) -> Result<Opened, BlobError> {
    std::fs::create_dir_all(root).map_err(|e| {
        BlobError::Io(format!(
            "cannot create the file storage directory {}: {e}",
            root.display()
        ))
    })?;
    let store = LocalFileSystem::new_with_prefix(root)
        .map_err(|e| {
            BlobError::Config(format!(
                "cannot use {} as the file storage directory: {e}",
                root.display()
            ))
        })?
        .with_automatic_cleanup(true)
        .with_fsync(true);
    Ok(Opened {
        store: Arc::new(store),
        signer: None,
        backend: BlobBackend::Local {
            root: root.to_path_buf(),
        },
    })
}

fn cloud<T: ObjectStore + Signer>(store: T, prefix: ObjectPath) -> Opened {
    if prefix.as_ref().is_empty() {
        let store = Arc::new(store);
        Opened {
            store: store.clone(),
            signer: Some(store),
            backend: BlobBackend::Cloud,
        }
    } else {
        let store = Arc::new(PrefixStore::new(store, prefix));
        Opened {
            store: store.clone(),
            signer: Some(store),
            backend: BlobBackend::Cloud,
        }
    }
}

fn unknown_option(store: &str, key: &str) -> BlobError {
    BlobError::Config(format!("unknown {store} storage option {key}"))
}

fn build_error(e: object_store::Error) -> BlobError {
    BlobError::Config(format!("cannot configure the storage backend: {e}"))
}

/// The parts of an Azure storage connection string that address blob storage.
#[derive(Default)]
struct AzureConnection {
    protocol: Option<String>,
    account: Option<String>,
    key: Option<String>,
    sas: Option<String>,
    blob_endpoint: Option<String>,
    endpoint_suffix: Option<String>,
    development: bool,
}

/// Parses `Key=Value;Key=Value` (keys case-insensitive; values may contain `=`).
fn parse_connection_string(conn: &str) -> Result<AzureConnection, BlobError> {
    let mut parsed = AzureConnection::default();
    for part in conn.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(BlobError::Config(
                "the Azure connection string is malformed: expected Key=Value pairs separated by ;"
                    .into(),
            ));
        };
        let value = value.trim().to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "defaultendpointsprotocol" => parsed.protocol = Some(value),
            "accountname" => parsed.account = Some(value),
            "accountkey" => parsed.key = Some(value),
            "sharedaccesssignature" => parsed.sas = Some(value),
            "blobendpoint" => parsed.blob_endpoint = Some(value),
            "endpointsuffix" => parsed.endpoint_suffix = Some(value),
            "usedevelopmentstorage" => parsed.development = value.eq_ignore_ascii_case("true"),
            // Queue, table and file endpoints and the like do not concern blobs.
            _ => {}
        }
    }
    Ok(parsed)
}

fn apply_connection_string(
    builder: MicrosoftAzureBuilder,
    conn: &str,
) -> Result<MicrosoftAzureBuilder, BlobError> {
    let c = parse_connection_string(conn)?;
    if c.development {
        return Ok(builder.with_use_emulator(true));
    }
    let account = c.account.filter(|a| !a.is_empty()).ok_or_else(|| {
        BlobError::Config("the Azure connection string has no AccountName".into())
    })?;
    let endpoint = match c.blob_endpoint.filter(|e| !e.is_empty()) {
        Some(endpoint) => endpoint.trim_end_matches('/').to_owned(),
        None => {
            let protocol = c.protocol.unwrap_or_else(|| "https".to_owned());
            let suffix = c
                .endpoint_suffix
                .unwrap_or_else(|| "core.windows.net".to_owned());
            format!("{protocol}://{account}.blob.{suffix}")
        }
    };
    let endpoint_url = Url::parse(&endpoint).map_err(|e| {
        BlobError::Config(format!(
            "the blob endpoint of the Azure connection string is not a URL: {e}"
        ))
    })?;
    let allow_http = match endpoint_url.scheme() {
        "http" => true,
        "https" => false,
        other => {
            return Err(BlobError::Config(format!(
                "the blob endpoint of the Azure connection string uses {other}: use http or https"
            )));
        }
    };

    let builder = builder
        .with_account(account)
        .with_endpoint(endpoint)
        .with_allow_http(allow_http);
    if let Some(key) = c.key.filter(|k| !k.is_empty()) {
        Ok(builder.with_access_key(key))
    } else if let Some(sas) = c.sas.filter(|s| !s.is_empty()) {
        Ok(builder.with_config(AzureConfigKey::SasKey, sas))
    } else {
        Err(BlobError::Config(
            "the Azure connection string has neither AccountKey nor SharedAccessSignature".into(),
        ))
    }
}
