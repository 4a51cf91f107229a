//! Attachment storage tests: the local directory always, Azure Blob Storage (Azurite)
//! when `CATALYST_TEST_AZURITE` holds a connection string.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use catalyst_store::blob::{
    BlobBackend, BlobError, BlobStore, SignedQuery, content_disposition, sanitize_filename,
};

const KIB: usize = 1024;
const MB: usize = 1_000_000;
const SIGNING_KEY: &[u8] = b"a test signing key, 32 bytes ok!";

fn open_local(dir: &Path) -> BlobStore {
    BlobStore::open(None, None, dir, SIGNING_KEY.to_vec()).unwrap()
}

/// Deterministic bytes that no magic number matches (a counter mixed into text-like bytes).
fn data(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            b'a' + u8::try_from(x >> 27).unwrap()
        })
        .collect()
}

/// A body stream of `bytes` in `chunk`-sized pieces.
fn body(
    bytes: &[u8],
    chunk: usize,
) -> impl futures::Stream<Item = Result<Bytes, io::Error>> + Send + Unpin + use<> {
    let chunks: Vec<Result<Bytes, io::Error>> = bytes
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks)
}

async fn read_all(store: &BlobStore, key: &str) -> Result<(u64, Vec<u8>), BlobError> {
    let (size, stream) = store.get_stream(key).await?;
    let chunks: Vec<Bytes> = stream.try_collect().await?;
    Ok((size, chunks.concat()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn forbidden_reason(result: Result<impl std::fmt::Debug, BlobError>) -> String {
    match result {
        Err(BlobError::Forbidden { reason }) => reason,
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn local_multipart_upload_round_trips_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let root = dir.path().join("files");
    assert_eq!(store.backend(), &BlobBackend::Local { root: root.clone() });

    // 6 MB in 64 KiB chunks: more than one 5 MiB part.
    let bytes = data(6 * MB);
    let stored = store
        .put_stream(
            "tenant-1/attachment-1",
            "capture.csv",
            body(&bytes, 64 * KIB),
            10 * MB as u64,
        )
        .await
        .unwrap();
    assert_eq!(stored.key, "tenant-1/attachment-1");
    assert_eq!(stored.size, 6 * MB as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    assert_eq!(stored.content_type, "text/csv");

    // Exactly the object, no staging files left over.
    assert_eq!(
        files_under(&root),
        vec![root.join("tenant-1").join("attachment-1")]
    );

    let (size, back) = read_all(&store, "tenant-1/attachment-1").await.unwrap();
    assert_eq!(size, 6 * MB as u64);
    assert!(
        back == bytes,
        "the bytes read back differ from those written"
    );

    store.delete("tenant-1/attachment-1").await.unwrap();
    assert_eq!(
        read_all(&store, "tenant-1/attachment-1").await.unwrap_err(),
        BlobError::NotFound
    );
    assert!(files_under(&root).is_empty());
    // Deleting again is not an error.
    store.delete("tenant-1/attachment-1").await.unwrap();
}

#[tokio::test]
async fn local_small_upload_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let text = b"The printer on floor 3 is out of toner again.\n";
    let stored = store
        .put_stream("t/a", "notes.txt", body(text, 7), 1024)
        .await
        .unwrap();
    assert_eq!(stored.size, text.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(text));
    assert_eq!(stored.content_type, "text/plain");
    assert_eq!(read_all(&store, "t/a").await.unwrap().1, text);

    // Exactly at the limit is accepted; replacing an object works.
    let exact = data(1024);
    let stored = store
        .put_stream("t/a", "notes.txt", body(&exact, 100), 1024)
        .await
        .unwrap();
    assert_eq!(stored.size, 1024);
    assert_eq!(read_all(&store, "t/a").await.unwrap().1, exact);

    // An empty file.
    let stored = store
        .put_stream("t/empty", "empty.txt", body(b"", 1), 1024)
        .await
        .unwrap();
    assert_eq!(stored.size, 0);
    assert_eq!(stored.sha256, sha256_hex(b""));
    assert_eq!(read_all(&store, "t/empty").await.unwrap(), (0, Vec::new()));
}

#[tokio::test]
async fn a_directory_can_be_named_by_a_file_url() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere").join("blobs");
    let url = url::Url::from_directory_path(&target).unwrap();
    let store = BlobStore::open(
        Some(url.as_str()),
        None,
        &dir.path().join("unused"),
        SIGNING_KEY.to_vec(),
    )
    .unwrap();
    assert_eq!(
        store.backend(),
        &BlobBackend::Local {
            root: target.clone()
        }
    );
    store
        .put_stream("k", "a.txt", body(b"hello", 2), 100)
        .await
        .unwrap();
    assert_eq!(std::fs::read(target.join("k")).unwrap(), b"hello");
    assert!(!dir.path().join("unused").exists());
}

#[tokio::test]
async fn too_large_uploads_stop_early_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let root = dir.path().join("files");

    // Over the limit after a part was already sent: the multipart upload is aborted.
    let bytes = data(200 * 64 * KIB);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let counted = body(&bytes, 64 * KIB).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let max = 6 * MB as u64;
    let err = store
        .put_stream("t/big", "big.csv", counted, max)
        .await
        .unwrap_err();
    assert_eq!(err, BlobError::TooLarge { max_bytes: max });
    // Reading stopped at the chunk that went over (92 chunks hold 6 MB, the 92nd goes over).
    assert_eq!(pulled.load(Ordering::SeqCst), 92);
    assert_eq!(
        read_all(&store, "t/big").await.unwrap_err(),
        BlobError::NotFound
    );
    assert!(
        files_under(&root).is_empty(),
        "left: {:?}",
        files_under(&root)
    );

    // Over the limit within the first part.
    let err = store
        .put_stream("t/small", "small.txt", body(&data(101), 10), 100)
        .await
        .unwrap_err();
    assert_eq!(err, BlobError::TooLarge { max_bytes: 100 });
    assert_eq!(
        read_all(&store, "t/small").await.unwrap_err(),
        BlobError::NotFound
    );
    assert!(files_under(&root).is_empty());
}

#[tokio::test]
async fn a_failing_body_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let root = dir.path().join("files");

    let good = Bytes::from(data(MB));
    let mut chunks: Vec<Result<Bytes, io::Error>> = (0..7).map(|_| Ok(good.clone())).collect();
    chunks.push(Err(io::Error::new(
        io::ErrorKind::ConnectionReset,
        "client went away",
    )));
    let err = store
        .put_stream("t/cut", "cut.txt", stream::iter(chunks), 100 * MB as u64)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BlobError::Io(m) if m.contains("client went away")),
        "{err:?}"
    );
    assert_eq!(
        read_all(&store, "t/cut").await.unwrap_err(),
        BlobError::NotFound
    );
    assert!(
        files_under(&root).is_empty(),
        "left: {:?}",
        files_under(&root)
    );
}

#[tokio::test]
async fn programs_and_scripts_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let harmless = b"just some text";
    for (name, ext) in [
        ("setup.exe", "exe"),
        ("report.pdf.exe", "exe"),
        ("RUN.BAT", "bat"),
        ("x.ps1", "ps1"),
        ("a.js", "js"),
        ("app.jar", "jar"),
        ("C:\\Users\\me\\Tool.ExE", "exe"),
        ("trailing-dot.exe.", "exe"),
        ("spaced.cmd  ", "cmd"),
        (".exe", "exe"),
        ("package.msi", "msi"),
        ("link.lnk", "lnk"),
        ("install.sh", "sh"),
    ] {
        let reason = forbidden_reason(store.put_stream("t/x", name, body(harmless, 4), 1024).await);
        assert!(reason.contains(&format!("(.{ext})")), "{name}: {reason}");
        assert!(reason.ends_with("are not accepted"), "{name}: {reason}");
    }
    assert!(files_under(&dir.path().join("files")).is_empty());
}

/// A minimal PE header: "MZ", e_lfanew at 0x3C pointing to "PE\0\0".
fn pe_bytes() -> Vec<u8> {
    let mut b = vec![0u8; 0x80 + 64];
    b[0] = b'M';
    b[1] = b'Z';
    b[0x3C] = 0x80;
    b[0x80..0x84].copy_from_slice(b"PE\0\0");
    b
}

fn elf_bytes() -> Vec<u8> {
    let mut b = b"\x7FELF\x02\x01\x01\x00".to_vec();
    b.resize(64, 0);
    b
}

#[tokio::test]
async fn programs_and_scripts_are_refused_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());

    let mut macho_fat = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 2];
    macho_fat.resize(64, 0);
    let mut java_class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 0x34];
    java_class.resize(64, 0);
    let mut lnk = vec![
        0x4C, 0, 0, 0, 0x01, 0x14, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    lnk.resize(76, 0);
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    let mut jar = b"PK\x03\x04\x14\x00\x08\x08\x08\x00".to_vec();
    jar.resize(30, 0);
    jar.extend_from_slice(b"META-INF/MANIFEST.MF");

    let mut mz_dos = b"MZ".to_vec();
    mz_dos.resize(40, 0x90);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("photo.jpg", pe_bytes(), "Windows executable (PE)"),
        ("old.txt", mz_dos, "executable (MZ)"),
        ("notes.txt", elf_bytes(), "Linux executable (ELF)"),
        ("readme.txt", b"#!/bin/sh\nrm -rf ~\n".to_vec(), "script"),
        (
            "bom.txt",
            b"\xEF\xBB\xBF#!/usr/bin/env python3\n".to_vec(),
            "script",
        ),
        (
            "data.dat",
            {
                let mut m = vec![0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1];
                m.resize(64, 0);
                m
            },
            "macOS executable (Mach-O)",
        ),
        (
            "data2.dat",
            {
                let mut m = vec![0xFE, 0xED, 0xFA, 0xCE];
                m.resize(64, 0);
                m
            },
            "macOS executable (Mach-O)",
        ),
        ("universal.dat", macho_fat, "universal executable (Mach-O)"),
        ("Main.txt", java_class, "Java class file"),
        ("shortcut.txt", lnk, "Windows shortcut (LNK)"),
        ("installer", ole, "compound file (OLE)"),
        ("library.zip", jar, "Java archive (JAR)"),
    ];
    for (name, bytes, what) in cases {
        let reason = forbidden_reason(store.put_stream("t/x", name, body(&bytes, 3), 1024).await);
        assert!(reason.starts_with("the content is "), "{name}: {reason}");
        assert!(reason.contains(what), "{name}: {reason}");
    }

    // The executable kinds say so.
    let reason = forbidden_reason(
        store
            .put_stream("t/x", "photo.jpg", body(&pe_bytes(), 1), 1024)
            .await,
    );
    assert!(reason.contains("executable"), "{reason}");

    // A large upload is checked before its first part is stored.
    let mut big = pe_bytes();
    big.extend(data(6 * MB));
    let reason = forbidden_reason(
        store
            .put_stream("t/big", "video.mp4", body(&big, 64 * KIB), 10 * MB as u64)
            .await,
    );
    assert!(reason.contains("Windows executable"), "{reason}");

    assert!(files_under(&dir.path().join("files")).is_empty());
}

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn documents_and_images_are_accepted_with_their_type() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("x.png", PNG.to_vec(), "image/png"),
        // The content decides over the name.
        ("screenshot.jpg", PNG.to_vec(), "image/png"),
        (
            "scan.pdf",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n".to_vec(),
            "application/pdf",
        ),
        (
            "notes.txt",
            b"Plain words, nothing more.\n".to_vec(),
            "text/plain",
        ),
        // Text that happens to start like a weak magic number ("BC" is LLVM bitcode).
        (
            "bc.txt",
            b"BC-1234 is the asset tag\n".to_vec(),
            "text/plain",
        ),
        ("legacy.doc", ole, "application/msword"),
        (
            "no-extension",
            b"some bytes".to_vec(),
            "application/octet-stream",
        ),
    ];
    for (name, bytes, mime) in cases {
        let stored = store
            .put_stream("t/ok", name, body(&bytes, 5), 1024)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(stored.content_type, mime, "{name}");
        assert_eq!(read_all(&store, "t/ok").await.unwrap().1, bytes, "{name}");
    }
}

fn signed_query(url: &url::Url) -> SignedQuery {
    let mut q = SignedQuery::default();
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "exp" => q.exp = v.parse().unwrap(),
            "name" => q.name = v.into_owned(),
            "ct" => q.ct = v.into_owned(),
            "sig" => q.sig = v.into_owned(),
            other => panic!("unexpected query parameter {other}"),
        }
    }
    q
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

#[tokio::test]
async fn local_signed_urls_verify_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let now = at(1_700_000_000);

    let url = store
        .signed_url(
            "https://help.example.com/",
            "tenant-1/att-9",
            "../Résumé \"final\".pdf",
            "application/pdf",
            Duration::from_secs(300),
            now,
        )
        .await
        .unwrap();
    let url = url::Url::parse(&url).unwrap();
    assert_eq!(url.host_str(), Some("help.example.com"));
    assert_eq!(url.path(), "/files/tenant-1/att-9");
    let q = signed_query(&url);
    assert_eq!(q.exp, 1_700_000_300);
    assert_eq!(q.name, "Résumé final.pdf");
    assert_eq!(q.ct, "application/pdf");
    assert_eq!(q.sig.len(), 64);

    let key = "tenant-1/att-9";
    assert_eq!(store.verify_local(key, &q, now), Ok(()));
    assert_eq!(store.verify_local(key, &q, at(1_700_000_299)), Ok(()));
    assert_eq!(
        store.verify_local(key, &q, at(1_700_000_300)),
        Err(BlobError::Expired)
    );
    assert_eq!(
        store.verify_local(key, &q, at(1_800_000_000)),
        Err(BlobError::Expired)
    );

    let bad = Err(BlobError::BadSignature);
    assert_eq!(store.verify_local("tenant-1/att-8", &q, now), bad);
    assert_eq!(store.verify_local("tenant-2/att-9", &q, now), bad);
    assert_eq!(store.verify_local("../etc/passwd", &q, now), bad);
    let altered = |f: &dyn Fn(&mut SignedQuery)| {
        let mut q = q.clone();
        f(&mut q);
        store.verify_local(key, &q, now)
    };
    assert_eq!(altered(&|q| q.name = "Résumé final.exe".into()), bad);
    assert_eq!(altered(&|q| q.ct = "text/html".into()), bad);
    assert_eq!(altered(&|q| q.exp += 3600), bad);
    assert_eq!(
        altered(&|q| {
            let flipped = if q.sig.starts_with('0') { "1" } else { "0" };
            q.sig.replace_range(..1, flipped);
        }),
        bad
    );
    assert_eq!(altered(&|q| q.sig.truncate(62)), bad);
    assert_eq!(altered(&|q| q.sig = "not hex".into()), bad);
    assert_eq!(altered(&|q| q.sig.clear()), bad);
    assert_eq!(store.verify_local(key, &SignedQuery::default(), now), bad);
    // Fields are length-prefixed: moving a character from one field to the next fails.
    assert_eq!(
        altered(&|q| {
            q.name = "Résumé final.pd".into();
            q.ct = "fapplication/pdf".into();
        }),
        bad
    );

    // Another signing key does not accept the link.
    let other = BlobStore::open(
        None,
        None,
        dir.path(),
        b"another key, also 32 bytes long!".to_vec(),
    )
    .unwrap();
    assert_eq!(other.verify_local(key, &q, now), bad);

    // A base URL with a path keeps it; an expired-on-issue link (ttl 0) is refused.
    let url = store
        .signed_url(
            "http://127.0.0.1:8080/catalyst",
            key,
            "a.txt",
            "text/plain",
            Duration::ZERO,
            now,
        )
        .await
        .unwrap();
    let url = url::Url::parse(&url).unwrap();
    assert_eq!(url.path(), "/catalyst/files/tenant-1/att-9");
    assert_eq!(
        store.verify_local(key, &signed_query(&url), now),
        Err(BlobError::Expired)
    );

    // Header-breaking content types are not signed.
    assert!(matches!(
        store
            .signed_url(
                "http://x",
                key,
                "a.txt",
                "text/plain\r\nX: y",
                Duration::from_secs(1),
                now
            )
            .await,
        Err(BlobError::Config(_))
    ));
}

#[tokio::test]
async fn keys_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    for key in [
        "",
        "/abs",
        "a/../b",
        "..",
        "a/..",
        "a//b",
        "a/./b",
        "trailing/",
        "a b",
        "a\\b",
        "ä",
        "a?b",
        "a#b",
        "a%2e",
    ] {
        let put = store.put_stream(key, "a.txt", body(b"x", 1), 10).await;
        assert!(matches!(put, Err(BlobError::Config(_))), "{key:?}: {put:?}");
        assert!(
            matches!(store.get_stream(key).await, Err(BlobError::Config(_))),
            "{key:?}"
        );
        assert!(
            matches!(store.delete(key).await, Err(BlobError::Config(_))),
            "{key:?}"
        );
        let url = store
            .signed_url(
                "http://x",
                key,
                "a.txt",
                "text/plain",
                Duration::from_secs(9),
                Utc::now(),
            )
            .await;
        assert!(matches!(url, Err(BlobError::Config(_))), "{key:?}");
    }
    assert!(files_under(&dir.path().join("files")).is_empty());
    assert!(
        store
            .put_stream("Tenant_1/file-2.v3", "a.txt", body(b"x", 1), 10)
            .await
            .is_ok()
    );
}

#[test]
fn filenames_are_sanitized() {
    for (input, expected) in [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\evil.txt", "evil.txt"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("quo\"ted\".txt", "quoted.txt"),
        ("new\nline\r.txt", "newline.txt"),
        ("tab\tand   spaces .txt", "tab and spaces .txt"),
        ("  padded name.txt  ", "padded name.txt"),
        (".hidden", "hidden"),
        ("...dots.txt", "dots.txt"),
        ("trailing.exe. . ", "trailing.exe"),
        ("Résumé Ωmega 報告.docx", "Résumé Ωmega 報告.docx"),
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ("a<b>c:d|e?f*g.txt", "a_b_c_d_e_f_g.txt"),
        ("", "file"),
        ("../", "file"),
        ("\"\"", "file"),
        ("...", "file"),
    ] {
        assert_eq!(sanitize_filename(input), expected, "{input:?}");
    }

    // Long names are cut to 200 bytes at a character boundary, keeping the extension.
    let long = format!("{}.pdf", "é".repeat(150));
    let cut = sanitize_filename(&long);
    assert!(cut.len() <= 200, "{}", cut.len());
    assert!(cut.len() >= 198, "{}", cut.len());
    assert!(cut.ends_with("é.pdf"), "{cut}");
    let no_ext = "x".repeat(300);
    assert_eq!(sanitize_filename(&no_ext), "x".repeat(200));
}

#[test]
fn content_disposition_has_an_ascii_fallback_and_utf8_name() {
    assert_eq!(
        content_disposition("report.pdf"),
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    );
    assert_eq!(
        content_disposition("../Résumé \"final\".pdf"),
        "attachment; filename=\"R_sum_ final.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20final.pdf"
    );
    assert_eq!(
        content_disposition("報告\r\n.txt"),
        "attachment; filename=\"__.txt\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt"
    );
    assert_eq!(
        content_disposition("a;b=c%d'e.txt"),
        "attachment; filename=\"a;b=c%d'e.txt\"; filename*=UTF-8''a%3Bb%3Dc%25d%27e.txt"
    );
    assert_eq!(
        content_disposition(""),
        "attachment; filename=\"file\"; filename*=UTF-8''file"
    );
}

#[test]
fn bad_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = || SIGNING_KEY.to_vec();
    let azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
        AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\
        BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";
    let config_error = |r: Result<BlobStore, BlobError>| match r {
        Err(BlobError::Config(m)) => m,
        other => panic!("expected a configuration error, got {other:?}"),
    };

    let m = config_error(BlobStore::open(None, None, d, b"short".to_vec()));
    assert!(m.contains("at least 16 bytes"), "{m}");
    config_error(BlobStore::open(Some("ftp://host/dir"), None, d, key()));
    config_error(BlobStore::open(Some("not a url"), None, d, key()));
    config_error(BlobStore::open(Some("memory:///"), None, d, key()));
    config_error(BlobStore::open(None, Some(azurite), d, key()));
    config_error(BlobStore::open(
        Some("s3://bucket"),
        Some(azurite),
        d,
        key(),
    ));
    config_error(BlobStore::open(
        Some("az://c"),
        Some("AccountName"),
        d,
        key(),
    ));
    config_error(BlobStore::open(
        Some("az://c"),
        Some("AccountName=a;BlobEndpoint=http://x"),
        d,
        key(),
    ));
    config_error(BlobStore::open(
        Some("az://c"),
        Some("AccountName=a;AccountKey=a2V5;BlobEndpoint=ftp://x"),
        d,
        key(),
    ));
    let m = config_error(BlobStore::open_with_options(
        Some("az://c"),
        Some(azurite),
        d,
        key(),
        &[("no_such_option".into(), "1".into())],
    ));
    assert!(m.contains("no_such_option"), "{m}");
    // The account key never shows up in errors or debug output.
    let m = config_error(BlobStore::open(
        Some("s3://bucket"),
        Some(azurite),
        d,
        key(),
    ));
    assert!(!m.contains("Eby8vdM02"), "{m}");

    let store = BlobStore::open(Some("az://catalyst-test"), Some(azurite), d, key()).unwrap();
    assert_eq!(store.backend(), &BlobBackend::Cloud);
    let debug = format!("{store:?}");
    assert!(
        !debug.contains("Eby8vdM02") && !debug.contains("test signing key"),
        "{debug}"
    );
}

#[tokio::test]
async fn azure_download_urls_are_sas_urls() {
    // Signing with an account key needs no network: check the URL's shape offline.
    let dir = tempfile::tempdir().unwrap();
    let conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;\
        AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\
        BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;";
    for url in ["az://catalyst-test", "azure://catalyst-test"] {
        let store =
            BlobStore::open(Some(url), Some(conn), dir.path(), SIGNING_KEY.to_vec()).unwrap();
        let signed = store
            .signed_url(
                "http://unused",
                "t/a",
                "a.pdf",
                "application/pdf",
                Duration::from_secs(600),
                Utc::now(),
            )
            .await
            .unwrap();
        let signed = url::Url::parse(&signed).unwrap();
        assert_eq!(signed.scheme(), "http");
        assert_eq!(signed.host_str(), Some("127.0.0.1"));
        assert_eq!(signed.port(), Some(10000));
        assert_eq!(signed.path(), "/devstoreaccount1/catalyst-test/t/a");
        let params: std::collections::HashMap<_, _> = signed.query_pairs().into_owned().collect();
        assert_eq!(params.get("sp").map(String::as_str), Some("r"));
        assert_eq!(params.get("sr").map(String::as_str), Some("b"));
        assert!(
            params.contains_key("se") && params.contains_key("sig"),
            "{params:?}"
        );
    }

    // A prefix in the URL is put before every key.
    let store = BlobStore::open(
        Some("az://catalyst-test/attachments"),
        Some(conn),
        dir.path(),
        SIGNING_KEY.to_vec(),
    )
    .unwrap();
    let signed = store
        .signed_url(
            "http://unused",
            "t/a",
            "a.pdf",
            "application/pdf",
            Duration::from_secs(600),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        url::Url::parse(&signed).unwrap().path(),
        "/devstoreaccount1/catalyst-test/attachments/t/a"
    );

    // With a SAS token instead of the account key, the store cannot sign.
    let sas_conn = "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;AccountName=devstoreaccount1;\
        SharedAccessSignature=sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&sig=abc";
    let store = BlobStore::open(
        Some("az://catalyst-test"),
        Some(sas_conn),
        dir.path(),
        SIGNING_KEY.to_vec(),
    )
    .unwrap();
    let r = store
        .signed_url(
            "http://unused",
            "t/a",
            "a.pdf",
            "application/pdf",
            Duration::from_secs(600),
            Utc::now(),
        )
        .await;
    assert!(matches!(r, Err(BlobError::Unsupported(_))), "{r:?}");
}

#[test]
fn the_store_and_its_futures_can_cross_threads() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync_clone<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_sync_clone::<BlobStore>();

    let dir = tempfile::tempdir().unwrap();
    let store = open_local(dir.path());
    let put = store.put_stream("k", "a.txt", body(b"x", 1), 10);
    assert_send(&put);
    let get = store.get_stream("k");
    assert_send(&get);
    let sign = store.signed_url(
        "http://x",
        "k",
        "a",
        "text/plain",
        Duration::ZERO,
        Utc::now(),
    );
    assert_send(&sign);
    let delete = store.delete("k");
    assert_send(&delete);
}

// --- Azure Blob Storage through Azurite ------------------------------------------------

/// Fields of an Azure connection string (test-side parsing, independent of the store's).
struct Azure {
    account: String,
    key: Vec<u8>,
    endpoint: url::Url,
}

fn parse_azure(conn: &str) -> Azure {
    let mut account = None;
    let mut key = None;
    let mut endpoint = None;
    for part in conn.split(';').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap();
        match k {
            "AccountName" => account = Some(v.to_owned()),
            "AccountKey" => key = Some(BASE64.decode(v).unwrap()),
            "BlobEndpoint" => endpoint = Some(url::Url::parse(v.trim_end_matches('/')).unwrap()),
            _ => {}
        }
    }
    Azure {
        account: account.expect("AccountName"),
        key: key.expect("AccountKey"),
        endpoint: endpoint.expect("BlobEndpoint"),
    }
}

struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One plain HTTP/1.1 request (no TLS), read to the end of the connection.
async fn http(method: &str, url: &url::Url, headers: &[(&str, String)]) -> HttpResponse {
    let host = url.host_str().unwrap();
    let port = url.port_or_known_default().unwrap();
    let mut stream = tokio::net::TcpStream::connect((host, port)).await.unwrap();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();

    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut decoded = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size_line = std::str::from_utf8(&rest[..eol]).unwrap();
            let size =
                usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16).unwrap();
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            decoded.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = decoded;
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// Creates the container with a SharedKey-signed `PUT ?restype=container` (object_store
/// does not create containers). An existing container is fine.
async fn create_container(azure: &Azure, container: &str) {
    let mut url = azure.endpoint.clone();
    url.path_segments_mut().unwrap().push(container);
    url.set_query(Some("restype=container"));
    let version = "2021-08-06";
    let date = Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let string_to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{}{}\nrestype:container",
        azure.account,
        url.path()
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&azure.key).unwrap();
    mac.update(string_to_sign.as_bytes());
    let signature = BASE64.encode(mac.finalize().into_bytes());
    let response = http(
        "PUT",
        &url,
        &[
            ("x-ms-date", date),
            ("x-ms-version", version.to_owned()),
            ("Content-Length", "0".to_owned()),
            (
                "Authorization",
                format!("SharedKey {}:{signature}", azure.account),
            ),
        ],
    )
    .await;
    assert!(
        response.status == 201 || response.status == 409,
        "creating the container answered {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
}

#[tokio::test]
async fn azure_blob_storage_through_azurite() {
    let Ok(conn) = std::env::var("CATALYST_TEST_AZURITE") else {
        eprintln!(
            "skipped azure_blob_storage_through_azurite: CATALYST_TEST_AZURITE is not set \
             (nothing was verified against Azure storage)"
        );
        return;
    };
    let container = std::env::var("CATALYST_TEST_AZURITE_CONTAINER")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "catalyst-test".to_owned());
    let azure = parse_azure(&conn);
    create_container(&azure, &container).await;

    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(
        Some(&format!("az://{container}")),
        Some(&conn),
        dir.path(),
        SIGNING_KEY.to_vec(),
    )
    .unwrap();
    assert_eq!(store.backend(), &BlobBackend::Cloud);
    let run = uuid::Uuid::new_v4();

    // A multipart upload (two blocks) and back.
    let key = format!("tenant-{run}/big");
    let bytes = data(6 * MB);
    let stored = store
        .put_stream(
            &key,
            "Übersicht 2024.csv",
            body(&bytes, 64 * KIB),
            10 * MB as u64,
        )
        .await
        .unwrap();
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    assert_eq!(stored.content_type, "text/csv");
    let (size, back) = read_all(&store, &key).await.unwrap();
    assert_eq!(size, bytes.len() as u64);
    assert!(back == bytes, "the bytes read back from Azure differ");

    // A single-request upload, downloaded through its SAS URL by a plain HTTP client.
    let small_key = format!("tenant-{run}/small");
    let small = PNG.to_vec();
    let stored = store
        .put_stream(&small_key, "diagram.png", body(&small, 10), 1024)
        .await
        .unwrap();
    assert_eq!(stored.content_type, "image/png");
    let signed = store
        .signed_url(
            "http://unused",
            &small_key,
            "diagram.png",
            "image/png",
            Duration::from_secs(300),
            Utc::now(),
        )
        .await
        .unwrap();
    let signed = url::Url::parse(&signed).unwrap();
    assert!(
        signed.query_pairs().any(|(k, _)| k == "sig"),
        "not a SAS URL: {signed}"
    );
    let response = http("GET", &signed, &[]).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.body, small);
    assert_eq!(response.header("content-type"), Some("image/png"));
    assert_eq!(
        response.header("content-disposition"),
        Some(content_disposition("diagram.png").as_str())
    );

    // The big one too.
    let signed_big = store
        .signed_url(
            "http://unused",
            &key,
            "x.csv",
            "text/csv",
            Duration::from_secs(300),
            Utc::now(),
        )
        .await
        .unwrap();
    let response = http("GET", &url::Url::parse(&signed_big).unwrap(), &[]).await;
    assert_eq!(response.status, 200);
    assert!(response.body == bytes, "the SAS download differs");

    // An altered signature, or no signature, is refused.
    let mut tampered = signed.clone();
    let pairs: Vec<(String, String)> = signed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "sig" {
                let mut sig = BASE64.decode(v.as_bytes()).unwrap();
                sig[0] ^= 1;
                BASE64.encode(sig)
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    assert_ne!(tampered, signed);
    assert_eq!(http("GET", &tampered, &[]).await.status, 403);
    let mut unsigned = signed.clone();
    unsigned.set_query(None);
    let status = http("GET", &unsigned, &[]).await.status;
    assert!(
        status == 403 || status == 404 || status == 401,
        "anonymous read answered {status}"
    );

    // Too large: nothing is left behind.
    let too_big_key = format!("tenant-{run}/too-big");
    let err = store
        .put_stream(
            &too_big_key,
            "big.csv",
            body(&data(7 * MB), 64 * KIB),
            6 * MB as u64,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BlobError::TooLarge {
            max_bytes: 6 * MB as u64
        }
    );
    assert_eq!(
        read_all(&store, &too_big_key).await.unwrap_err(),
        BlobError::NotFound
    );

    // Refused content never reaches the container.
    let exe_key = format!("tenant-{run}/exe");
    forbidden_reason(
        store
            .put_stream(&exe_key, "photo.jpg", body(&pe_bytes(), 8), 1024)
            .await,
    );
    assert_eq!(
        read_all(&store, &exe_key).await.unwrap_err(),
        BlobError::NotFound
    );

    // Delete.
    store.delete(&key).await.unwrap();
    store.delete(&small_key).await.unwrap();
    assert_eq!(
        read_all(&store, &key).await.unwrap_err(),
        BlobError::NotFound
    );
    assert_eq!(
        read_all(&store, &small_key).await.unwrap_err(),
        BlobError::NotFound
    );
    assert_eq!(http("GET", &signed, &[]).await.status, 404);
    store.delete(&key).await.unwrap();
}
