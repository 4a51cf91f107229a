//! Against real servers started by `ops/ci/mail-servers.sh`: SMTP delivery captured by
//! aiosmtpd, and IMAP append/fetch/mark against Dovecot. Without the variables the tests
//! are skipped with a message; with `CATALYST_CI=1` a missing variable fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod corpus;

use std::path::PathBuf;
use std::time::Duration;

use catalyst_mail::imap::{ImapSettings, ImapSource, PROCESSED_KEYWORD};
use catalyst_mail::{
    Error, Mailbox, OutgoingMail, Security, SmtpSettings, SubjectTag, TagKind, Transport, build,
    parse,
};

fn server_var(name: &str, test: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                std::env::var("CATALYST_CI").as_deref() != Ok("1"),
                "{test}: {name} is not set but CATALYST_CI=1 (start ops/ci/mail-servers.sh)"
            );
            eprintln!("skipped {test}: {name} is not set (see ops/ci/mail-servers.sh)");
            None
        }
    }
}

fn smtp_settings(url: &str) -> SmtpSettings {
    let rest = url.trim_start_matches("smtp://");
    let (host, port) = rest.rsplit_once(':').unwrap();
    SmtpSettings {
        host: host.to_string(),
        port: port.trim_end_matches('/').parse().unwrap(),
        security: Security::None,
        username: None,
        password: None,
        ca_pem: None,
        timeout: Duration::from_secs(10),
    }
}

/// A fresh mailbox per test, so tests can run in parallel against one server.
fn imap_settings(url: &str, test: &str) -> ImapSettings {
    let mut s = ImapSettings::from_url(url).unwrap();
    s.mailbox = format!("t-{test}-{}", uuid::Uuid::now_v7().simple());
    s.timeout = Duration::from_secs(10);
    s
}

#[tokio::test]
async fn smtp_delivery_is_captured_with_threading_headers() {
    let (Some(url), Some(dir)) = (
        server_var("CATALYST_TEST_SMTP", "smtp_delivery"),
        server_var("CATALYST_TEST_SMTP_DIR", "smtp_delivery"),
    ) else {
        return;
    };
    let transport = Transport::smtp(&smtp_settings(&url)).unwrap();
    let marker = uuid::Uuid::now_v7().to_string();
    let built = build(&OutgoingMail {
        from: Mailbox {
            address: "support@acme.example".into(),
            name: Some("Acme Service Desk".into()),
        },
        reply_to: Some(Mailbox {
            address: "helpdesk@acme.example".into(),
            name: None,
        }),
        to: vec![Mailbox {
            address: "jane@example.com".into(),
            name: Some("Jane".into()),
        }],
        cc: vec![],
        subject: format!("Printer {marker}"),
        tag: Some(SubjectTag {
            kind: TagKind::Incident,
            number: 42,
        }),
        text: "We are on it.".into(),
        html: Some("<p>We are on it.</p>".into()),
        thread: vec!["root@acme.example".into()],
        message_id_domain: "acme.example".into(),
    })
    .unwrap();
    transport.send(&built.raw, &built.envelope).await.unwrap();

    // aiosmtpd writes the file before it answers 250, so it is there now.
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .filter(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).contains(&marker))
        .collect();
    assert_eq!(found.len(), 1, "captured messages with the marker");
    let captured = parse(&std::fs::read(&found[0]).unwrap()).unwrap();
    assert_eq!(
        captured.message_id.as_deref(),
        Some(built.message_id.as_str())
    );
    assert_eq!(captured.subject, format!("[INC-000042] Printer {marker}"));
    assert_eq!(captured.in_reply_to, vec!["root@acme.example".to_string()]);
    assert_eq!(captured.reply_text, "We are on it.");
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(found[0].with_extension("json")).unwrap()).unwrap();
    assert_eq!(envelope["from"], "support@acme.example");
    assert_eq!(envelope["to"][0], "jane@example.com");
}

#[tokio::test]
async fn smtp_to_a_closed_port_is_a_transient_error() {
    if server_var("CATALYST_TEST_SMTP", "smtp_closed_port").is_none() {
        return;
    }
    // Bind and drop a listener: nothing listens on that port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = smtp_settings(&format!("smtp://127.0.0.1:{port}"));
    s.timeout = Duration::from_secs(3);
    let t = Transport::smtp(&s).unwrap();
    let env = catalyst_mail::Envelope {
        from: "a@x.example".into(),
        to: vec!["b@y.example".into()],
    };
    let err = t.send(b"Subject: x\r\n\r\nx\r\n", &env).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                permanent: false,
                ..
            }
        ),
        "{err:?}"
    );
}

async fn seeded_mailbox(settings: &ImapSettings, messages: &[Vec<u8>]) -> ImapSource {
    let mut src = ImapSource::connect(settings).await.unwrap();
    src.create_mailbox(&settings.mailbox).await.unwrap();
    for m in messages {
        src.append(&settings.mailbox, m).await.unwrap();
    }
    src
}

#[tokio::test]
async fn imap_fetches_by_uid_and_flags_processed_mail() {
    let Some(url) = server_var("CATALYST_TEST_IMAP", "imap_fetch_flag") else {
        return;
    };
    let settings = imap_settings(&url, "flag");
    let msgs = vec![
        corpus::new_request("a@example.com", "first", "first@example.com"),
        corpus::gmail_reply_with_attachment(),
        corpus::new_request("c@example.com", "third", "third@example.com"),
    ];
    let mut src = seeded_mailbox(&settings, &msgs).await;
    let state = src.select().await.unwrap();
    assert!(state.uid_validity > 0);
    assert_eq!(state.exists, 3);

    let fetched = src.fetch_new(0, 2).await.unwrap();
    assert_eq!(fetched.len(), 2, "limit respected");
    assert!(fetched[0].uid < fetched[1].uid);
    assert_eq!(
        parse(&fetched[0].raw).unwrap().message_id.as_deref(),
        Some("first@example.com")
    );
    let attachment = &parse(&fetched[1].raw).unwrap().attachments[0];
    assert_eq!(attachment.filename, "Résumé Zoë.pdf");
    for f in &fetched {
        src.mark_processed(f.uid).await.unwrap();
    }
    let last = fetched[1].uid;

    // Only the third is newer than the last UID seen; "n:*" must not return the last one again.
    let rest = src.fetch_new(last, 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        parse(&rest[0].raw).unwrap().message_id.as_deref(),
        Some("third@example.com")
    );
    src.mark_processed(rest[0].uid).await.unwrap();
    assert!(src.fetch_new(rest[0].uid, 10).await.unwrap().is_empty());

    let processed = src
        .uid_search(&format!("KEYWORD {PROCESSED_KEYWORD} SEEN"))
        .await
        .unwrap();
    assert_eq!(processed.len(), 3);
    // Fetching used BODY.PEEK, so marking is what set \Seen.
    src.logout().await;

    // A new session sees the same UIDVALIDITY, so stored UIDs stay valid.
    let mut again = ImapSource::connect(&settings).await.unwrap();
    assert_eq!(
        again.select().await.unwrap().uid_validity,
        state.uid_validity
    );
    assert!(again.fetch_new(rest[0].uid, 10).await.unwrap().is_empty());
    again.logout().await;
}

#[tokio::test]
async fn imap_moves_processed_mail_to_a_folder() {
    let Some(url) = server_var("CATALYST_TEST_IMAP", "imap_move") else {
        return;
    };
    let mut settings = imap_settings(&url, "move");
    let folder = format!("{}-done", settings.mailbox);
    settings.processed_folder = Some(folder.clone());
    let mut src = seeded_mailbox(
        &settings,
        &[corpus::new_request(
            "a@example.com",
            "one",
            "one@example.com",
        )],
    )
    .await;
    src.create_mailbox(&folder).await.unwrap();
    src.select().await.unwrap();
    let fetched = src.fetch_new(0, 10).await.unwrap();
    assert_eq!(fetched.len(), 1);
    src.mark_processed(fetched[0].uid).await.unwrap();
    assert!(src.uid_search("ALL").await.unwrap().is_empty(), "moved out");
    src.logout().await;

    let mut done = settings.clone();
    done.mailbox = folder;
    let mut d = ImapSource::connect(&done).await.unwrap();
    d.select().await.unwrap();
    let moved = d.fetch_new(0, 10).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        parse(&moved[0].raw).unwrap().message_id.as_deref(),
        Some("one@example.com")
    );
    d.logout().await;
}

#[tokio::test]
async fn imap_wrong_password_is_an_authentication_error() {
    let Some(url) = server_var("CATALYST_TEST_IMAP", "imap_wrong_password") else {
        return;
    };
    let mut settings = ImapSettings::from_url(&url).unwrap();
    settings.password = "wrong-password".into();
    settings.timeout = Duration::from_secs(10);
    let err = ImapSource::connect(&settings).await.unwrap_err();
    assert!(matches!(err, Error::ImapAuth(_)), "{err:?}");

    // A closed port is a connection problem, not a credential problem.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    settings.port = port;
    let err = ImapSource::connect(&settings).await.unwrap_err();
    assert!(matches!(err, Error::Imap(_)), "{err:?}");
}

#[tokio::test]
async fn imap_over_starttls_and_implicit_tls() {
    let (Some(url), Some(tls_url), Some(ca)) = (
        server_var("CATALYST_TEST_IMAP", "imap_tls"),
        server_var("CATALYST_TEST_IMAPS", "imap_tls"),
        server_var("CATALYST_TEST_IMAP_CA", "imap_tls"),
    ) else {
        return;
    };
    let ca_pem = std::fs::read(ca).unwrap();

    let mut starttls = imap_settings(&url, "starttls");
    starttls.security = Security::Starttls;
    starttls.host = "localhost".into();
    starttls.ca_pem = Some(ca_pem.clone());
    let mut src = seeded_mailbox(
        &starttls,
        &[corpus::new_request(
            "a@example.com",
            "tls",
            "tls@example.com",
        )],
    )
    .await;
    src.select().await.unwrap();
    assert_eq!(src.fetch_new(0, 10).await.unwrap().len(), 1);
    src.logout().await;

    let mut implicit = imap_settings(&tls_url, "imaps");
    implicit.mailbox = starttls.mailbox.clone();
    implicit.ca_pem = Some(ca_pem);
    let mut src = ImapSource::connect(&implicit).await.unwrap();
    src.select().await.unwrap();
    assert_eq!(src.fetch_new(0, 10).await.unwrap().len(), 1);
    src.logout().await;

    // Without the private CA the certificate is rejected.
    implicit.ca_pem = None;
    let err = ImapSource::connect(&implicit).await.unwrap_err();
    assert!(
        matches!(err, Error::Imap(ref m) if m.contains("TLS")),
        "{err:?}"
    );
}
