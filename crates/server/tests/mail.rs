//! Email in and out through the whole server: the inbound endpoint and its token,
//! threading, sender checks, loop guards, deduplication, rate limits, quarantine,
//! attachments, notifications queued as jobs and written by the transport, templates,
//! settings — and, when the throw-away servers of `ops/ci/mail-servers.sh` run, the
//! round trip through a real SMTP server and a real IMAP mailbox.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use catalyst_app::Clock;
use catalyst_app::mail::{IngestOutcome, Source};
use common::{TestApp, config};

const ADMIN: &str = "admin@acme.test";
const AGENT: &str = "agent@acme.test";

fn eml(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: Acme Support <support@acme.test>\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn inbound_token(t: &TestApp, tenant: &str) -> String {
    let a = t
        .api(
            "POST",
            "/v1/admin/mail/inbound-token",
            t.token(&format!("admin@{tenant}.test"), tenant),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["token"].as_str().unwrap().to_string()
}

async fn post_mail(t: &TestApp, token: &str, raw: &[u8]) -> common::Answer {
    let req = Request::post("/v1/inbound/email")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "message/rfc822")
        .body(Body::from(raw.to_vec()))
        .unwrap();
    t.send(req).await
}

async fn ingest(t: &TestApp, raw: &[u8]) -> IngestOutcome {
    t.app
        .ingest_email_for_slug("acme", raw, Source::Cli)
        .await
        .unwrap()
}

fn created(o: &IngestOutcome) -> (String, String) {
    match o {
        IngestOutcome::Created {
            ticket_id, number, ..
        } => (ticket_id.to_string(), number.clone()),
        other => panic!("expected a new ticket, got {other:?}"),
    }
}

/// `.eml` files in a directory, oldest first.
fn mails_in(dir: &Path) -> Vec<catalyst_mail::ParsedMail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .iter()
        .map(|p| catalyst_mail::parse(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

fn raw_mails_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

async fn comments(t: &TestApp, ticket: &str) -> Vec<Value> {
    t.api(
        "GET",
        &format!("/v1/tickets/{ticket}/comments"),
        t.token(AGENT, "acme"),
        None,
        &[],
    )
    .await
    .json()
    .as_array()
    .cloned()
    .unwrap_or_default()
}

#[tokio::test]
async fn new_mail_opens_a_ticket_acknowledges_it_and_a_reply_threads_back() {
    let t = TestApp::new().await;
    let first = eml(
        "Dana Doe <dana@example.com>",
        "VPN drops every hour",
        "first-1@example.com",
        "Cc: Ella <ella@example.com>\r\n",
        "Hello,\r\nthe VPN disconnects every hour.",
    );
    let (ticket, number) = created(&ingest(&t, &first).await);
    let v = t
        .api(
            "GET",
            &format!("/v1/tickets/{ticket}"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(v["subject"], "VPN drops every hour");
    assert_eq!(v["requester"]["email"], "dana@example.com");
    assert_eq!(v["requester"]["name"], "Dana Doe");
    assert!(v["description"].as_str().unwrap().contains("disconnects"));

    // The acknowledgement is queued as a job and written by the file transport.
    assert!(
        mails_in(&t.outbox()).is_empty(),
        "nothing sent before the job ran"
    );
    t.app.drain_jobs().await.unwrap();
    let sent = mails_in(&t.outbox());
    assert_eq!(sent.len(), 1, "{sent:?}");
    let ack = &sent[0];
    assert_eq!(ack.to[0].address, "dana@example.com");
    assert!(
        ack.subject.starts_with(&format!("[{number}]")),
        "{}",
        ack.subject
    );
    assert!(ack.text.contains("we have received your request"));
    assert_eq!(ack.in_reply_to, vec!["first-1@example.com".to_string()]);
    let raw = String::from_utf8(raw_mails_in(&t.outbox())[0].clone()).unwrap();
    assert!(raw.contains("Auto-Submitted: auto-generated"));
    assert!(raw.contains("multipart/alternative"));

    // Dana answers the acknowledgement: found by In-Reply-To, quoted text stripped.
    let ack_id = ack.message_id.clone().unwrap();
    let reply = eml(
        "dana@example.com",
        "Re: something else entirely",
        "reply-1@example.com",
        &format!("In-Reply-To: <{ack_id}>\r\nReferences: <first-1@example.com> <{ack_id}>\r\n"),
        "It happened again at 10:00.\r\n\r\nOn Mon, 2 Mar 2026 at 09:00, Acme <support@acme.test> wrote:\r\n> we have received your request",
    );
    match ingest(&t, &reply).await {
        IngestOutcome::Appended {
            ticket_id,
            match_reason,
            ..
        } => {
            assert_eq!(ticket_id.to_string(), ticket);
            assert_eq!(match_reason, "in_reply_to");
        }
        other => panic!("{other:?}"),
    }
    let c = comments(&t, &ticket).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["body"], "It happened again at 10:00.");
    assert_eq!(c[0]["author"]["email"], "dana@example.com");

    // Ella was CC'd: she may reply into the ticket too (by subject tag), and an agent's
    // public reply goes to Dana with Ella in Cc, threaded on the ticket's messages.
    let ella = eml(
        "ella@example.com",
        &format!("Re: [{number}] VPN drops every hour"),
        "ella-1@example.com",
        "",
        "Same for me.",
    );
    assert!(matches!(
        ingest(&t, &ella).await,
        IngestOutcome::Appended { ref match_reason, .. } if match_reason == "subject_tag"
    ));
    t.app.drain_jobs().await.unwrap();
    let before = mails_in(&t.outbox()).len();
    let a = t
        .api(
            "POST",
            &format!("/v1/tickets/{ticket}/comments"),
            t.token(AGENT, "acme"),
            Some(json!({"body": "Please update the VPN client to 5.2."})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    t.app.drain_jobs().await.unwrap();
    let sent = mails_in(&t.outbox());
    let reply = sent
        .iter()
        .skip(before)
        .find(|m| m.text.contains("update the VPN client"))
        .expect("agent reply mailed");
    assert_eq!(reply.to[0].address, "dana@example.com");
    assert_eq!(reply.cc.len(), 1);
    assert_eq!(reply.cc[0].address, "ella@example.com");
    assert!(
        reply
            .references
            .contains(&"first-1@example.com".to_string())
    );
    assert!(reply.references.contains(&ack_id));
    // An internal note is never mailed to the requester.
    let n = mails_in(&t.outbox()).len();
    t.api(
        "POST",
        &format!("/v1/tickets/{ticket}/comments"),
        t.token(AGENT, "acme"),
        Some(json!({"body": "internal: check the firewall", "isPrivate": true})),
        &[],
    )
    .await;
    t.app.drain_jobs().await.unwrap();
    assert!(
        mails_in(&t.outbox())
            .iter()
            .skip(n)
            .all(|m| !m.text.contains("firewall"))
    );
}

#[tokio::test]
async fn a_guessed_tag_does_not_let_a_stranger_write_into_a_ticket() {
    let t = TestApp::new().await;
    let (ticket, number) = created(
        &ingest(
            &t,
            &eml(
                "dana@example.com",
                "Payroll question",
                "p-1@example.com",
                "",
                "Hi",
            ),
        )
        .await,
    );
    let forged = eml(
        "Mallory <mallory@evil.example>",
        &format!("Re: [{number}] Payroll question"),
        "forged-1@evil.example",
        "",
        "Please change my bank account.",
    );
    // Default policy: the stranger gets a ticket of their own.
    let o = ingest(&t, &forged).await;
    let (other, _) = created(&o);
    assert_ne!(other, ticket);
    assert!(
        matches!(o, IngestOutcome::Created { ref match_reason, .. } if match_reason == "stranger_new_ticket")
    );
    assert!(comments(&t, &ticket).await.is_empty());

    // With the quarantine policy the message is held for an admin.
    let a = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            t.token(ADMIN, "acme"),
            Some(json!({"unknownSender": "quarantine"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["unknownSender"], "quarantine");
    let forged2 = eml(
        "mallory@evil.example",
        &format!("[{number}]"),
        "forged-2@evil.example",
        "",
        "Again.",
    );
    let IngestOutcome::Quarantined { id, reason } = ingest(&t, &forged2).await else {
        panic!("not quarantined")
    };
    assert_eq!(reason, "stranger");
    assert!(comments(&t, &ticket).await.is_empty());
    let q = t
        .api(
            "GET",
            "/v1/admin/mail/quarantine",
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(q[0]["id"], id.to_string());
    assert_eq!(q[0]["reason"], "stranger");
    assert_eq!(q[0]["sender"], "mallory@evil.example");
    // Agents cannot see the quarantine; another tenant's admin cannot touch it.
    let a = t
        .api(
            "GET",
            "/v1/admin/mail/quarantine",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    for method in ["POST", "DELETE"] {
        let path = if method == "POST" {
            format!("/v1/admin/mail/quarantine/{id}/release")
        } else {
            format!("/v1/admin/mail/quarantine/{id}")
        };
        let a = t
            .api(
                method,
                &path,
                t.token("admin@globex.test", "globex"),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{method} {}", a.body);
    }
    // The same message again is a duplicate, not a second quarantine entry.
    assert_eq!(ingest(&t, &forged2).await, IngestOutcome::Duplicate);

    // Released by the admin: replayed past the sender check, into the ticket.
    let a = t
        .api(
            "POST",
            &format!("/v1/admin/mail/quarantine/{id}/release"),
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["outcome"], "appended");
    assert_eq!(a.json()["ticketId"], ticket);
    let q = t
        .api(
            "GET",
            "/v1/admin/mail/quarantine",
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(
        q.as_array().unwrap().len(),
        0,
        "released entries leave the list"
    );
}

#[tokio::test]
async fn loop_guards_duplicates_and_rate_limits() {
    let t = TestApp::new().await;
    let first = eml(
        "dana@example.com",
        "Printer",
        "printer-1@example.com",
        "",
        "Jammed",
    );
    let (ticket, number) = created(&ingest(&t, &first).await);
    assert_eq!(ingest(&t, &first).await, IngestOutcome::Duplicate);
    t.app.drain_jobs().await.unwrap();
    assert_eq!(mails_in(&t.outbox()).len(), 1, "one acknowledgement");

    // Resolve it; an out-of-office or a bounce must not reopen it.
    let a = t
        .api(
            "PATCH",
            &format!("/v1/tickets/{ticket}"),
            t.token(AGENT, "acme"),
            Some(json!({"status": "resolved"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    t.app.drain_jobs().await.unwrap();
    let resolved_mail = mails_in(&t.outbox());
    assert!(
        resolved_mail.iter().any(|m| m
            .text
            .contains("reply to this email and the ticket will be reopened")),
        "resolution mail tells how to reopen"
    );
    let ooo = eml(
        "dana@example.com",
        &format!("Automatic reply: [{number}] Printer"),
        "ooo-1@example.com",
        "Auto-Submitted: auto-replied\r\n",
        "I am away.",
    );
    assert!(
        matches!(ingest(&t, &ooo).await, IngestOutcome::Quarantined { ref reason, .. } if reason == "auto_reply")
    );
    let bounce = format!(
        "From: MAILER-DAEMON@mx.example.com\r\nTo: support@acme.test\r\nSubject: Undelivered: [{number}]\r\nMessage-ID: <b-1@mx.example.com>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--x--\r\n"
    );
    assert!(
        matches!(ingest(&t, bounce.as_bytes()).await, IngestOutcome::Quarantined { ref reason, .. } if reason == "bounce")
    );
    let v = t
        .api(
            "GET",
            &format!("/v1/tickets/{ticket}"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(v["status"], "resolved", "not reopened by automatic mail");

    // Bulk mail opens a ticket but gets no acknowledgement.
    let n = mails_in(&t.outbox()).len();
    let bulk = eml(
        "news@vendor.example",
        "Monthly newsletter",
        "news-1@vendor.example",
        "Precedence: bulk\r\nList-Id: <news.vendor.example>\r\n",
        "News",
    );
    created(&ingest(&t, &bulk).await);
    t.app.drain_jobs().await.unwrap();
    assert_eq!(
        mails_in(&t.outbox()).len(),
        n,
        "no acknowledgement to bulk mail"
    );

    // Dana's real reply reopens the ticket.
    let reply = eml(
        "dana@example.com",
        &format!("Re: [{number}] Printer"),
        "printer-2@example.com",
        "",
        "Still jammed.",
    );
    assert!(matches!(
        ingest(&t, &reply).await,
        IngestOutcome::Appended { .. }
    ));
    let v = t
        .api(
            "GET",
            &format!("/v1/tickets/{ticket}"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(v["status"], "open");

    // Per-sender rate limit.
    t.api(
        "PATCH",
        "/v1/admin/mail/settings",
        t.token(ADMIN, "acme"),
        Some(json!({"rateLimitPerHour": 3})),
        &[],
    )
    .await;
    let mut reasons = Vec::new();
    for i in 0..3 {
        let m = eml(
            "flood@example.com",
            &format!("Flood {i}"),
            &format!("flood-{i}@example.com"),
            "",
            "x",
        );
        reasons.push(match ingest(&t, &m).await {
            IngestOutcome::Quarantined { reason, .. } => reason,
            _ => "accepted".into(),
        });
    }
    assert_eq!(reasons, ["accepted", "accepted", "accepted"]);
    let m = eml(
        "flood@example.com",
        "Flood 4",
        "flood-4@example.com",
        "",
        "x",
    );
    assert!(
        matches!(ingest(&t, &m).await, IngestOutcome::Quarantined { ref reason, .. } if reason == "rate_limited")
    );
    // An hour later the sender may write again.
    t.clock.advance(chrono::Duration::minutes(61));
    let m = eml(
        "flood@example.com",
        "Flood 5",
        "flood-5@example.com",
        "",
        "x",
    );
    assert!(matches!(
        ingest(&t, &m).await,
        IngestOutcome::Created { .. }
    ));

    // Mail from our own address never loops back in.
    let own = eml("catalyst@127.0.0.1", "x", "own-1@example.com", "", "loop");
    assert!(
        matches!(ingest(&t, &own).await, IngestOutcome::Quarantined { ref reason, .. } if reason == "own_address")
    );
}

#[tokio::test]
async fn attachments_and_inline_images_follow_the_upload_rules() {
    let t = TestApp::new().await;
    let png: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89,
    ];
    use base64::Engine;
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let raw = format!(
        "From: dana@example.com\r\nTo: support@acme.test\r\nSubject: Screenshots\r\nMessage-ID: <att-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <img src=\"cid:img1@x\"></p>\r\n--r\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\nContent-Disposition: inline; filename=\"shot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n--r--\r\n--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''Re%CC%81sume%CC%81.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"setup.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{exe}\r\n--m--\r\n",
        png = b64(png),
        pdf = b64(b"%PDF-1.4\n% a small pdf\n"),
        exe = b64(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00PE\x00\x00"),
    );
    let o = ingest(&t, raw.as_bytes()).await;
    let IngestOutcome::Created {
        ticket_id,
        attachments,
        rejected_attachments,
        ..
    } = o
    else {
        panic!("{o:?}")
    };
    assert_eq!(attachments, 2, "the inline image and the PDF");
    assert_eq!(rejected_attachments, vec!["setup.exe".to_string()]);
    let list = t
        .api(
            "GET",
            &format!("/v1/tickets/{ticket_id}/attachments"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"shot.png"), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".pdf")), "{names:?}");
}

#[tokio::test]
async fn the_inbound_endpoint_takes_raw_mail_with_the_tenant_token() {
    let t = TestApp::new().await;
    let acme = inbound_token(&t, "acme").await;
    let globex = inbound_token(&t, "globex").await;
    let raw = eml(
        "dana@example.com",
        "From the relay",
        "relay-1@example.com",
        "",
        "Hi",
    );

    let a = post_mail(&t, &acme, &raw).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.json()["outcome"], "created");
    assert_eq!(a.json()["matchReason"], "new_ticket");
    let number = a.json()["number"].as_str().unwrap().to_string();
    let a = post_mail(&t, &acme, &raw).await;
    assert_eq!(a.json()["outcome"], "duplicate");

    // Wrong, missing, or an ordinary API token: 401.
    for bad in ["inb_acme.wrong", "nonsense", t.token(ADMIN, "acme")] {
        let a = post_mail(&t, bad, &raw).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{bad}: {}", a.body);
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
    }
    // A replaced token stops working.
    let newer = inbound_token(&t, "acme").await;
    assert_eq!(
        post_mail(&t, &acme, &raw).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_ne!(newer, acme);

    // Globex's token files into globex: acme's ticket number means nothing there.
    let cross = eml(
        "dana@example.com",
        &format!("Re: [{number}] From the relay"),
        "cross-1@example.com",
        "",
        "Into acme?",
    );
    let a = post_mail(&t, &globex, &cross).await;
    assert_eq!(a.json()["outcome"], "created", "{}", a.body);
    assert_eq!(a.json()["matchReason"], "new_ticket");
    let acme_ticket = t
        .api(
            "GET",
            &format!("/v1/tickets/{number}"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert!(
        comments(&t, acme_ticket["id"].as_str().unwrap())
            .await
            .is_empty()
    );

    // Bad content types and empty bodies are problems, not tickets.
    let req = Request::post("/v1/inbound/email")
        .header(header::AUTHORIZATION, format!("Bearer {newer}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let a = post_mail(&t, &newer, b"  \r\n").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Unparseable mail is quarantined with its reason.
    let a = post_mail(&t, &newer, b"\x00\x01 not a message").await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert!(
        ["quarantined"].contains(&a.json()["outcome"].as_str().unwrap()),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn templates_settings_and_disabling_outbound_mail() {
    let t = TestApp::new().await;
    let admin = t.token(ADMIN, "acme");
    let broken = t
        .api(
            "PUT",
            "/v1/admin/mail/templates",
            admin,
            Some(json!({"kind": "ticket_created", "text": "Hi {{ ticket.number "})),
            &[],
        )
        .await;
    assert_eq!(
        broken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        broken.body
    );
    assert_eq!(broken.json()["errors"][0]["field"], "text");
    assert!(
        broken.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{}",
        broken.body
    );
    let unknown = t
        .api(
            "PUT",
            "/v1/admin/mail/templates",
            admin,
            Some(json!({"kind": "birthday", "text": "x"})),
            &[],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let ok = t
        .api(
            "PUT",
            "/v1/admin/mail/templates",
            admin,
            Some(json!({"kind": "ticket_created", "subject": "Got it: {{ ticket.subject }}", "html": "<p>{{ ticket.subject }}</p>"})),
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["overridden"], true);
    let list = t
        .api("GET", "/v1/admin/mail/templates", admin, None, &[])
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 6);
    // Agents may not change templates; globex keeps the default.
    let a = t
        .api(
            "PUT",
            "/v1/admin/mail/templates",
            t.token(AGENT, "acme"),
            Some(json!({"kind": "ticket_created", "text": "x"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let g = t
        .api(
            "GET",
            "/v1/admin/mail/templates",
            t.token("admin@globex.test", "globex"),
            None,
            &[],
        )
        .await
        .json();
    assert!(
        g.as_array()
            .unwrap()
            .iter()
            .all(|t| t["overridden"] == false)
    );

    created(
        &ingest(
            &t,
            &eml(
                "dana@example.com",
                "<b>Keyboard</b> & mouse",
                "k-1@example.com",
                "",
                "x",
            ),
        )
        .await,
    );
    t.app.drain_jobs().await.unwrap();
    let raw = String::from_utf8(raw_mails_in(&t.outbox())[0].clone()).unwrap();
    let ack = catalyst_mail::parse(raw.as_bytes()).unwrap();
    assert!(
        ack.subject.ends_with("Got it: <b>Keyboard</b> & mouse"),
        "{}",
        ack.subject
    );
    let html = ack.html.unwrap();
    assert!(
        html.contains("&lt;b&gt;Keyboard&lt;/b&gt; &amp; mouse"),
        "escaped: {html}"
    );
    assert!(
        ack.text.contains("we have received your request"),
        "default text kept"
    );

    // Outbound off: events no longer produce mail.
    let a = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            admin,
            Some(json!({"outboundEnabled": false, "fromAddress": "help@acme.test", "imapUrl": "imaps://desk:s3cret@imap.acme.test/INBOX"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["imapUrl"], "imaps://desk:***@imap.acme.test/INBOX");
    assert!(!a.body.contains("s3cret"));
    let bad = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            admin,
            Some(json!({"fromAddress": "nope", "unknownSender": "maybe", "imapUrl": "ftp://x"})),
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.json()["errors"].as_array().unwrap().len(),
        3,
        "{}",
        bad.body
    );
    let n = mails_in(&t.outbox()).len();
    created(
        &ingest(
            &t,
            &eml("erin@example.com", "Mouse", "m-1@example.com", "", "x"),
        )
        .await,
    );
    t.app.drain_jobs().await.unwrap();
    assert_eq!(mails_in(&t.outbox()).len(), n);
}

#[tokio::test]
async fn undeliverable_notifications_are_retried_then_shown_to_admins() {
    // An SMTP relay that refuses connections: a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let t = TestApp::with_config(config(&[
        ("EMAIL_PROVIDER", "smtp"),
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", &port),
        ("SMTP_SECURITY", "none"),
    ]))
    .await;
    created(
        &ingest(
            &t,
            &eml("dana@example.com", "Laptop", "l-1@example.com", "", "x"),
        )
        .await,
    );
    let first = t.app.drain_jobs().await.unwrap();
    assert_eq!(first.retried, 1, "{first:?}");
    for _ in 0..20 {
        t.clock.advance(chrono::Duration::hours(2));
        t.app.drain_jobs().await.unwrap();
    }
    let f = t
        .api(
            "GET",
            "/v1/admin/mail/failures",
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(f.as_array().unwrap().len(), 1, "{f}");
    assert_eq!(f[0]["to"][0], "dana@example.com");
    assert!(f[0]["subject"].as_str().unwrap().contains("Laptop"));
    assert!(f[0]["lastError"].as_str().unwrap().len() > 3);
    let g = t
        .api(
            "GET",
            "/v1/admin/mail/failures",
            t.token("admin@globex.test", "globex"),
            None,
            &[],
        )
        .await
        .json();
    assert!(g.as_array().unwrap().is_empty(), "other tenants see none");
}

// ---- against real servers (ops/ci/mail-servers.sh) ------------------------------------

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

/// Captured messages containing `marker`, waiting (bounded) for the SMTP server's file.
async fn captured(dir: &str, marker: &str) -> Vec<Vec<u8>> {
    for _ in 0..50 {
        let found: Vec<Vec<u8>> = raw_mails_in(Path::new(dir))
            .into_iter()
            .filter(|r| String::from_utf8_lossy(r).contains(marker))
            .collect();
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn end_to_end_agent_reply_by_smtp_and_the_answer_by_imap() {
    let test = "mail e2e";
    let (Some(smtp), Some(dir), Some(imap)) = (
        server_var("CATALYST_TEST_SMTP", test),
        server_var("CATALYST_TEST_SMTP_DIR", test),
        server_var("CATALYST_TEST_IMAP", test),
    ) else {
        return;
    };
    let (host, port) = smtp.trim_start_matches("smtp://").rsplit_once(':').unwrap();
    let t = TestApp::with_config(config(&[
        ("EMAIL_PROVIDER", "smtp"),
        ("SMTP_HOST", host),
        ("SMTP_PORT", port.trim_end_matches('/')),
        ("SMTP_SECURITY", "none"),
    ]))
    .await;
    let admin = t.token(ADMIN, "acme");
    // A mailbox of its own on the shared server.
    let mailbox = format!("e2e-{}", uuid::Uuid::now_v7().simple());
    let imap_url = format!("{}/{mailbox}", imap.trim_end_matches('/'));
    let mut settings = catalyst_mail::imap::ImapSettings::from_url(&imap_url).unwrap();
    let mut src = catalyst_mail::imap::ImapSource::connect(&settings)
        .await
        .unwrap();
    src.create_mailbox(&mailbox).await.unwrap();
    let a = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            admin,
            Some(json!({"imapUrl": imap_url, "replyTo": "helpdesk@acme.test"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    let marker = uuid::Uuid::now_v7().simple().to_string();
    let (ticket, number) = created(
        &ingest(
            &t,
            &eml(
                "dana@example.com",
                &format!("Printer {marker}"),
                &format!("{marker}@example.com"),
                "",
                "Jammed",
            ),
        )
        .await,
    );
    let a = t
        .api(
            "POST",
            &format!("/v1/tickets/{ticket}/comments"),
            t.token(AGENT, "acme"),
            Some(json!({"body": format!("Restart it, {marker}-reply")})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let run = t.app.drain_jobs().await.unwrap();
    assert_eq!(run.dead + run.retried, 0, "{run:?}");
    let got = captured(&dir, &format!("{marker}-reply")).await;
    assert_eq!(got.len(), 1, "the agent reply reached the SMTP server");
    let sent = catalyst_mail::parse(&got[0]).unwrap();
    assert_eq!(sent.to[0].address, "dana@example.com");
    assert_eq!(
        sent.reply_to.as_ref().unwrap().address,
        "helpdesk@acme.test"
    );
    assert!(sent.subject.contains(&format!("[{number}]")));

    // Dana answers from her mail client, with a screenshot; the answer lands in the
    // helpdesk mailbox and the poller files it into the same ticket.
    let sent_id = sent.message_id.clone().unwrap();
    use base64::Engine;
    let answer = format!(
        "From: Dana Doe <dana@example.com>\r\nTo: helpdesk@acme.test\r\nSubject: Re: {subject}\r\nMessage-ID: <answer-{marker}@example.com>\r\nIn-Reply-To: <{sent_id}>\r\nReferences: <{sent_id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRestarted, still jammed.\r\n\r\nOn Mon, 2 Mar 2026, Acme <support@acme.test> wrote:\r\n> Restart it\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"error-{marker}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--b--\r\n",
        subject = sent.subject,
        pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4\n% error report\n"),
    );
    src.append(&mailbox, answer.as_bytes()).await.unwrap();
    let a = t.api("POST", "/v1/admin/mail/poll", admin, None, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["appended"], 1, "{}", a.body);
    assert_eq!(a.json()["status"], "ok");
    let c = comments(&t, &ticket).await;
    let last = c.last().unwrap();
    assert_eq!(last["body"], "Restarted, still jammed.");
    assert_eq!(last["author"]["email"], "dana@example.com");
    let files = t
        .api(
            "GET",
            &format!("/v1/tickets/{ticket}/attachments"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert!(
        files
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["filename"] == format!("error-{marker}.pdf"))
    );
    // Processed mail is flagged, and a second poll fetches nothing again.
    src.select().await.ok();
    settings.mailbox = mailbox.clone();
    let a = t
        .api("POST", "/v1/admin/mail/poll", admin, None, &[])
        .await
        .json();
    assert_eq!(a["fetched"], 0, "{a}");
    let mut check = catalyst_mail::imap::ImapSource::connect(&settings)
        .await
        .unwrap();
    check.select().await.unwrap();
    assert_eq!(
        check
            .uid_search(&format!(
                "KEYWORD {}",
                catalyst_mail::imap::PROCESSED_KEYWORD
            ))
            .await
            .unwrap()
            .len(),
        1
    );
    check.logout().await;
    src.logout().await;

    // A wrong password is an admin-visible alert, not a crash.
    let wrong = imap_url.replacen(":catalyst-test-pass@", ":wrong-pass@", 1);
    t.api(
        "PATCH",
        "/v1/admin/mail/settings",
        admin,
        Some(json!({"imapUrl": wrong})),
        &[],
    )
    .await;
    let a = t
        .api("POST", "/v1/admin/mail/poll", admin, None, &[])
        .await
        .json();
    assert_eq!(a["status"], "auth_failed", "{a}");
    let s = t
        .api("GET", "/v1/admin/mail/settings", admin, None, &[])
        .await
        .json();
    assert_eq!(s["imapStatus"], "auth_failed");
}

#[tokio::test]
async fn sla_due_soon_and_breach_are_mailed_to_the_agents() {
    let t = TestApp::new().await;
    let admin = t.token(ADMIN, "acme");
    // Office hours in UTC; the test's clock starts on Monday 2 March 2026, 09:00 UTC.
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri"];
    let cal = t
        .api(
            "POST",
            "/v1/sla/calendars",
            admin,
            Some(json!({
                "name": "Office", "zone": "UTC",
                "intervals": days.iter().map(|d| json!({"weekday": d, "start": "08:00", "end": "17:00"})).collect::<Vec<_>>(),
            })),
            &[],
        )
        .await;
    assert_eq!(cal.status, StatusCode::CREATED, "{}", cal.body);
    let p = t
        .api(
            "POST",
            "/v1/sla/policies",
            admin,
            Some(json!({"name": "Everything", "firstResponseMinutes": 60, "calendarId": cal.json()["id"]})),
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    let (_, number) = created(
        &ingest(
            &t,
            &eml(
                "dana@example.com",
                "Server down",
                "sla-1@example.com",
                "",
                "Down",
            ),
        )
        .await,
    );
    t.app.drain_jobs().await.unwrap();
    let before = mails_in(&t.outbox()).len();
    t.clock.advance(chrono::Duration::minutes(61));
    t.app.drain_jobs().await.unwrap();
    t.app.drain_jobs().await.unwrap();
    let sent: Vec<_> = mails_in(&t.outbox()).into_iter().skip(before).collect();
    let breached: Vec<_> = sent
        .iter()
        .filter(|m| m.subject.contains("SLA breached"))
        .collect();
    assert!(
        !breached.is_empty(),
        "{:?}",
        sent.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let to: Vec<&str> = breached.iter().map(|m| m.to[0].address.as_str()).collect();
    assert!(to.contains(&"agent@acme.test"), "{to:?}");
    assert!(
        !to.contains(&"dana@example.com"),
        "requesters get no SLA mail"
    );
    let m = breached[0];
    assert!(
        m.subject.starts_with(&format!("[{number}]")),
        "{}",
        m.subject
    );
    assert!(m.text.contains("first response target"), "{}", m.text);
    assert!(m.text.contains("2026-03-02 10:00 UTC"), "{}", m.text);
}

/// HMAC-SHA256 signature header value for a signed inbound request.
fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post_signed(
    t: &TestApp,
    query: &str,
    timestamp: i64,
    signature: &str,
    raw: &[u8],
) -> common::Answer {
    let req = Request::post(format!("/v1/inbound/email{query}"))
        .header("x-catalyst-timestamp", timestamp.to_string())
        .header("x-catalyst-signature", signature)
        .header(header::CONTENT_TYPE, "message/rfc822")
        .body(Body::from(raw.to_vec()))
        .unwrap();
    t.send(req).await
}

#[tokio::test]
async fn the_inbound_endpoint_takes_hmac_signed_mail() {
    let t = TestApp::new().await;
    let admin = t.token(ADMIN, "acme");
    let a = t
        .api(
            "POST",
            "/v1/admin/mail/inbound-hmac-secret",
            admin,
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let secret = a.json()["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let s = t
        .api("GET", "/v1/admin/mail/settings", admin, None, &[])
        .await
        .json();
    assert_eq!(s["hasInboundHmacSecret"], true, "{s}");
    assert!(!s.to_string().contains(&secret), "the secret is shown once");

    let now = t.clock.now().timestamp();
    let raw = eml(
        "dana@example.com",
        "Signed",
        "signed-1@example.com",
        "",
        "Hi",
    );
    let a = post_signed(&t, "?tenant=acme", now, &sign(&secret, now, &raw), &raw).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.json()["outcome"], "created");
    // A replay inside the time window is a duplicate, not a second ticket.
    let a = post_signed(&t, "?tenant=acme", now, &sign(&secret, now, &raw), &raw).await;
    assert_eq!(a.json()["outcome"], "duplicate", "{}", a.body);

    let other = eml(
        "dana@example.com",
        "Other",
        "signed-2@example.com",
        "",
        "Hi",
    );
    let good = sign(&secret, now, &other);
    let stale = now - 301;
    let cases: Vec<(&str, &str, i64, String, &[u8])> = vec![
        // Signature over another body.
        (
            "?tenant=acme",
            "tampered body",
            now,
            sign(&secret, now, &raw),
            &other,
        ),
        (
            "?tenant=acme",
            "wrong secret",
            now,
            sign("whsec_guess", now, &other),
            &other,
        ),
        (
            "?tenant=acme",
            "stale timestamp",
            stale,
            sign(&secret, stale, &other),
            &other,
        ),
        (
            "?tenant=acme",
            "timestamp not the signed one",
            now + 1,
            good.clone(),
            &other,
        ),
        ("?tenant=acme", "not hex", now, "sha256=zz".into(), &other),
        (
            "?tenant=acme",
            "no scheme",
            now,
            good.trim_start_matches("sha256=").into(),
            &other,
        ),
        ("", "no tenant", now, good.clone(), &other),
        // Globex has no signing secret; acme's secret does not open it.
        (
            "?tenant=globex",
            "tenant without a secret",
            now,
            good.clone(),
            &other,
        ),
        ("?tenant=nope", "unknown tenant", now, good.clone(), &other),
    ];
    for (query, why, ts, sig, body) in cases {
        let a = post_signed(&t, query, ts, &sig, body).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{why}: {}", a.body);
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
    }
    // Nothing of the refused requests landed.
    let list = t
        .api(
            "GET",
            "/v1/tickets?q=Other",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert!(
        !list.to_string().contains("\"Other\""),
        "a refused message opened a ticket: {list}"
    );

    // Replacing the secret retires the old one; agents may not create one.
    let a = t
        .api(
            "POST",
            "/v1/admin/mail/inbound-hmac-secret",
            admin,
            None,
            &[],
        )
        .await;
    let newer = a.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(newer, secret);
    let a = post_signed(&t, "?tenant=acme", now, &good, &other).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = post_signed(&t, "?tenant=acme", now, &sign(&newer, now, &other), &other).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let a = t
        .api(
            "POST",
            "/v1/admin/mail/inbound-hmac-secret",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn imap_passwords_are_sealed_at_rest() {
    use catalyst_app::secrets::Purpose;
    use catalyst_store::Scope;
    use catalyst_store::repo::mail as repo;

    let t = TestApp::new().await;
    let admin = t.token(ADMIN, "acme");
    let acme = t.app.tenant_by_slug("acme").await.unwrap().id;
    let stored = || async {
        let tx = t.app.store().read(Scope::Tenant(acme)).await.unwrap();
        repo::settings(&tx, acme).await.unwrap().unwrap()
    };

    let url = "imaps://help%40acme.test:s3cret%2Fpass@imap.acme.test/INBOX";
    let a = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            admin,
            Some(json!({"imapUrl": url})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.json()["imapUrl"],
        "imaps://help%40acme.test:***@imap.acme.test/INBOX"
    );
    let m = stored().await;
    assert_eq!(
        m.imap_url.as_deref(),
        Some("imaps://help%40acme.test:***@imap.acme.test/INBOX")
    );
    let sealed = m.imap_password_sealed.clone().unwrap();
    assert!(!sealed.contains("s3cret"), "{sealed}");
    assert_eq!(
        t.app
            .sealer()
            .open(acme, Purpose::ImapPassword, &sealed)
            .unwrap(),
        "s3cret/pass"
    );

    // `***` keeps the password while the rest of the URL changes.
    let a = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            admin,
            Some(json!({"imapUrl": "imaps://help%40acme.test:***@imap2.acme.test/Support"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let m = stored().await;
    assert_eq!(m.imap_password_sealed.as_deref(), Some(sealed.as_str()));
    assert_eq!(
        m.imap_url.as_deref(),
        Some("imaps://help%40acme.test:***@imap2.acme.test/Support")
    );

    // A row from before passwords were sealed is sealed at start-up, once.
    let tx = t.app.store().write(Scope::Tenant(acme)).await.unwrap();
    let mut legacy = m.clone();
    legacy.imap_url = Some("imap://old%40acme.test:plain-pw@imap.acme.test/INBOX".into());
    legacy.imap_password_sealed = None;
    repo::save_settings(&tx, legacy).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(t.app.seal_stored_secrets().await.unwrap(), 1);
    assert_eq!(t.app.seal_stored_secrets().await.unwrap(), 0);
    let m = stored().await;
    assert_eq!(
        m.imap_url.as_deref(),
        Some("imap://old%40acme.test:***@imap.acme.test/INBOX")
    );
    let sealed = m.imap_password_sealed.clone().unwrap();
    assert_eq!(
        t.app
            .sealer()
            .open(acme, Purpose::ImapPassword, &sealed)
            .unwrap(),
        "plain-pw"
    );
    // Another tenant's row never opens with acme's sealed value.
    let globex = t.app.tenant_by_slug("globex").await.unwrap().id;
    assert!(
        t.app
            .sealer()
            .open(globex, Purpose::ImapPassword, &sealed)
            .is_err()
    );

    // A password sealed under another signing key is an admin-visible error on poll,
    // with a hint to enter it again, not a crash.
    let other = catalyst_app::secrets::Sealer::from_signing_key(b"another key, another node......");
    let tx = t.app.store().write(Scope::Tenant(acme)).await.unwrap();
    let mut m = m;
    m.imap_password_sealed = Some(other.seal(acme, Purpose::ImapPassword, "x"));
    repo::save_settings(&tx, m).await.unwrap();
    tx.commit().await.unwrap();
    let a = t.api("POST", "/v1/admin/mail/poll", admin, None, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let s = t
        .api("GET", "/v1/admin/mail/settings", admin, None, &[])
        .await
        .json();
    assert_eq!(s["imapStatus"], "auth_failed", "{s}");
    assert!(
        s["imapError"].as_str().unwrap().contains("signing key"),
        "{s}"
    );
}

#[tokio::test]
async fn one_node_at_a_time_polls_a_mailbox() {
    use catalyst_store::Scope;
    use catalyst_store::repo::mail as repo;

    let t = TestApp::new().await;
    let acme = t.app.tenant_by_slug("acme").await.unwrap().id;
    let a = t
        .api(
            "PATCH",
            "/v1/admin/mail/settings",
            t.token(ADMIN, "acme"),
            Some(json!({"imapUrl": "imap://u:p@127.0.0.1:9/INBOX"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let now = t.clock.now();
    let until = now + chrono::Duration::seconds(300);
    let lease = |node: &'static str, at: chrono::DateTime<chrono::Utc>| {
        let store = t.app.store().clone();
        async move {
            let tx = store.write(Scope::Tenant(acme)).await.unwrap();
            let ok = repo::try_lease_imap(&tx, acme, node, at, at + chrono::Duration::seconds(300))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            ok
        }
    };
    assert!(lease("node-a", now).await);
    assert!(!lease("node-b", now).await, "node A holds the lease");
    assert!(lease("node-a", now).await, "the holder renews");
    // While node A holds it, node B's polling round skips the mailbox.
    assert_eq!(t.app.poll_all_imap("node-b", 10).await.unwrap(), 0);
    // Once it expires, B takes over.
    assert!(!lease("node-b", until - chrono::Duration::seconds(1)).await);
    assert!(lease("node-b", until).await);
    // A round gives the lease up when it is done, so the other node can poll next.
    assert_eq!(t.app.poll_all_imap("node-b", 10).await.unwrap(), 1);
    assert!(lease("node-a", now).await);
    let tx = t.app.store().write(Scope::Tenant(acme)).await.unwrap();
    repo::release_imap_lease(&tx, acme, "node-a").await.unwrap();
    tx.commit().await.unwrap();
    assert!(lease("node-b", now).await);
    // Globex has no mailbox: never polled, never leased.
    let globex = t.app.tenant_by_slug("globex").await.unwrap().id;
    let tx = t.app.store().read(Scope::Tenant(globex)).await.unwrap();
    assert!(repo::settings(&tx, globex).await.unwrap().is_none());
}

#[tokio::test]
async fn notification_jobs_of_several_tenants_are_recorded_once_each() {
    let t = TestApp::new().await;
    let mut expected = Vec::new();
    for (tenant, n) in [("acme", 3), ("globex", 2)] {
        for i in 0..n {
            let a = t
                .api(
                    "POST",
                    "/v1/portal/incidents",
                    t.token(&format!("requester@{tenant}.test"), tenant),
                    Some(json!({"subject": format!("Batch {tenant} {i}"), "description": "x"})),
                    &[],
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            expected.push((
                format!("requester@{tenant}.test"),
                a.json()["number"].as_str().unwrap().to_string(),
            ));
        }
    }
    // One runner round takes all five jobs: each tenant's are recorded and completed in
    // one transaction of that tenant.
    let r = t.app.run_due_jobs("one-round", 100).await.unwrap();
    assert_eq!(r.done, 5, "{r:?}");
    assert_eq!(
        t.app.drain_jobs().await.unwrap().done,
        5,
        "the five mail.send jobs"
    );
    let mut sent: Vec<(String, String)> = mails_in(&t.outbox())
        .iter()
        .map(|m| {
            let tag = catalyst_mail::find_tag(&m.subject).unwrap();
            (m.to[0].address.clone(), tag.to_string())
        })
        .collect();
    sent.sort();
    expected.sort();
    assert_eq!(
        sent, expected,
        "one acknowledgement per ticket, to its requester"
    );
    assert_eq!(t.app.drain_jobs().await.unwrap().total(), 0);
}
