//! Parsing the corpus: headers, charsets, bodies, attachments, reply stripping, loop classes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod corpus;

use catalyst_mail::{MailClass, TagKind, parse};

#[test]
fn outlook_reply_headers_charset_and_stripping() {
    let m = parse(&corpus::outlook_reply()).unwrap();
    let from = m.from.as_ref().unwrap();
    assert_eq!(from.address, "joerg.mueller@example.com");
    assert_eq!(from.name.as_deref(), Some("Jörg Müller"));
    assert_eq!(
        m.message_id.as_deref(),
        Some("AM0PR01MB1234@outlook.example")
    );
    assert_eq!(m.in_reply_to, vec!["0193f1a2-aaaa@acme.example"]);
    assert_eq!(
        m.references,
        vec!["0193f1a2-root@acme.example", "0193f1a2-aaaa@acme.example"]
    );
    assert_eq!(
        m.thread_ids(),
        vec!["0193f1a2-aaaa@acme.example", "0193f1a2-root@acme.example"]
    );
    assert_eq!(m.to[0].address, "support@acme.example");
    assert_eq!(m.cc.len(), 2);
    assert_eq!(m.cc[0].name.as_deref(), Some("Anna"));
    assert_eq!(m.subject, "RE: [INC-000123] Drucker im 2. Stock");
    let tag = m.tag.unwrap();
    assert_eq!((tag.kind, tag.number), (TagKind::Incident, 123));
    assert_eq!(m.date.unwrap().to_rfc3339(), "2026-11-25T08:15:00+00:00");
    // windows-1252: ü, ß and the en dash (0x96).
    assert_eq!(m.reply_text, "Der Drucker geht wieder, danke! Grüße – Jörg");
    assert!(
        m.text.contains("-----Original Message-----"),
        "full original kept"
    );
    assert!(m.text.contains("Bitte neu starten."));
    let html = m.html.unwrap();
    assert!(html.contains("Der Drucker geht wieder"));
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("onclick"), "{html}");
    assert_eq!(m.class, MailClass::Human);
    assert!(m.attachments.is_empty());
}

#[test]
fn gmail_reply_attachment_with_rfc2231_name() {
    let m = parse(&corpus::gmail_reply_with_attachment()).unwrap();
    assert_eq!(m.from.as_ref().unwrap().name.as_deref(), Some("Zoë Šimić"));
    assert_eq!(m.reply_text, "Danke, hier ist der Lebenslauf. ✓");
    assert!(m.text.contains("> Bitte senden."));
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(a.filename, "Résumé Zoë.pdf");
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.bytes, b"%PDF-1.4 fake pdf bytes");
    assert!(!a.inline);
    assert_eq!(m.class, MailClass::Human);
}

#[test]
fn apple_mail_inline_image_keeps_its_content_id() {
    let m = parse(&corpus::apple_mail_inline_image()).unwrap();
    assert_eq!(m.message_id.as_deref(), Some("F00D-1234@icloud.example"));
    assert_eq!(m.reply_text, "See the screenshot.");
    assert!(m.tag.is_none());
    let html = m.html.unwrap();
    assert!(html.contains("cid:shot-1@icloud.example"), "{html}");
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(a.filename, "Bildschirmät.png");
    assert_eq!(a.content_type, "image/png");
    assert_eq!(a.content_id.as_deref(), Some("shot-1@icloud.example"));
    assert!(a.inline);
    assert_eq!(a.bytes, corpus::tiny_png());
}

#[test]
fn iso_8859_2_shift_jis_and_iso_2022_jp_are_decoded() {
    let m = parse(&corpus::charsets()).unwrap();
    assert_eq!(m.subject, "Zażółć gęślą jaźń");
    assert_eq!(m.from.as_ref().unwrap().name.as_deref(), Some("こんにちは"));
    assert!(m.text.contains("Zażółć gęślą jaźń"), "{}", m.text);
    assert!(m.text.contains("こんにちは"), "{}", m.text);
}

#[test]
fn html_only_mail_is_rendered_as_text_and_sanitised() {
    let m = parse(&corpus::html_only()).unwrap();
    assert!(m.text.contains("My laptop shows a"), "{}", m.text);
    assert!(m.text.contains("black screen"), "{}", m.text);
    assert!(m.text.contains("Model X1"), "{}", m.text);
    assert!(!m.text.contains("document.cookie"), "{}", m.text);
    assert!(!m.text.contains("color:red"), "{}", m.text);
    let html = m.html.unwrap();
    assert!(html.contains("<b>black screen</b>"), "{html}");
    for bad in ["<script", "<style", "javascript:", "onerror"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
}

#[test]
fn loop_classes_follow_rfc_3834() {
    assert_eq!(
        parse(&corpus::out_of_office()).unwrap().class,
        MailClass::AutoReply
    );
    assert_eq!(parse(&corpus::bounce()).unwrap().class, MailClass::Bounce);
    assert_eq!(parse(&corpus::list_mail()).unwrap().class, MailClass::Bulk);
    assert_eq!(
        parse(&corpus::forged_stranger_reply()).unwrap().class,
        MailClass::Human
    );
    let with = |header: &str| {
        let raw = format!("From: a@example.com\r\n{header}\r\nSubject: x\r\n\r\nbody\r\n");
        parse(raw.as_bytes()).unwrap().class
    };
    assert_eq!(with("Auto-Submitted: no"), MailClass::Human);
    assert_eq!(with("Auto-Submitted: auto-generated"), MailClass::AutoReply);
    assert_eq!(with("X-Autoreply: yes"), MailClass::AutoReply);
    assert_eq!(with("X-Autorespond: yes"), MailClass::AutoReply);
    assert_eq!(with("Precedence: bulk"), MailClass::Bulk);
    assert_eq!(with("Precedence: junk"), MailClass::Bulk);
    assert_eq!(with("Precedence: list"), MailClass::Bulk);
    assert_eq!(with("X-Other: 1"), MailClass::Human);
    let from_postmaster =
        parse(b"From: postmaster@example.com\r\nSubject: x\r\n\r\nbody\r\n").unwrap();
    assert_eq!(from_postmaster.class, MailClass::Bounce);
    assert!(!MailClass::Bounce.may_auto_respond());
    assert!(MailClass::Human.may_auto_respond());
}

#[test]
fn bounce_keeps_the_returned_message_as_an_attachment() {
    let m = parse(&corpus::bounce()).unwrap();
    assert!(m.text.contains("failed permanently"));
    assert!(
        m.attachments
            .iter()
            .any(|a| a.content_type == "message/rfc822"),
        "{:?}",
        m.attachments
    );
}

#[test]
fn unusable_input_is_an_error_not_a_panic() {
    assert!(parse(b"").is_err());
    assert!(parse(b"   \r\n").is_err());
    // Not a header section at all: still parsed as best it can be, or refused; never a panic.
    let _ = parse(b"\x00\x01\x02 random bytes");
    let _ = parse(b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n");
}

#[test]
fn messages_without_optional_headers_still_parse() {
    let m = parse(b"Subject: only a subject\r\n\r\nbody\r\n").unwrap();
    assert!(m.from.is_none());
    assert!(m.message_id.is_none());
    assert!(m.in_reply_to.is_empty());
    assert_eq!(m.reply_text, "body");
}
