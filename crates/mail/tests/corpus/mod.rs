//! Test corpus: messages in the shapes that real clients send, built here.
#![allow(dead_code)]

/// Outlook desktop reply: windows-1252 quoted-printable, RFC 2047 ISO-8859-1 sender name,
/// "-----Original Message-----" block, HTML alternative.
pub fn outlook_reply() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(
        b"From: =?iso-8859-1?Q?J=F6rg_M=FCller?= <joerg.mueller@example.com>\r\n\
To: \"Acme Service Desk\" <support@acme.example>\r\n\
Cc: Anna <anna@example.com>, bob@example.com\r\n\
Subject: RE: [INC-000123] Drucker im 2. Stock\r\n\
Date: Tue, 25 Nov 2026 09:15:00 +0100\r\n\
Message-ID: <AM0PR01MB1234@outlook.example>\r\n\
In-Reply-To: <0193f1a2-aaaa@acme.example>\r\n\
References: <0193f1a2-root@acme.example> <0193f1a2-aaaa@acme.example>\r\n\
Thread-Topic: [INC-000123] Drucker im 2. Stock\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"_000_outlook_\"\r\n\
\r\n\
--_000_outlook_\r\n\
Content-Type: text/plain; charset=\"windows-1252\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Der Drucker geht wieder, danke! Gr=FC=DFe =96 J=F6rg\r\n\
\r\n\
-----Original Message-----\r\n\
From: Acme Service Desk <support@acme.example>\r\n\
Sent: Monday, November 24, 2026 5:00 PM\r\n\
To: J=F6rg M=FCller <joerg.mueller@example.com>\r\n\
Subject: [INC-000123] Drucker im 2. Stock\r\n\
\r\n\
Bitte neu starten.\r\n\
\r\n\
--_000_outlook_\r\n\
Content-Type: text/html; charset=\"windows-1252\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
<html><body><p>Der Drucker geht wieder, danke!</p><script>alert(1)</script>\r\n\
<p onclick=3D\"steal()\">Gr=FC=DFe</p></body></html>\r\n\
\r\n\
--_000_outlook_--\r\n",
    );
    m
}

/// Gmail reply: UTF-8 base64 body, wrapped "On … wrote:" attribution, an attachment with
/// an RFC 2231 encoded file name.
pub fn gmail_reply_with_attachment() -> Vec<u8> {
    // "Danke, hier ist der Lebenslauf.\n\nOn Mon, Nov 24, 2026 at 5:00 PM Acme Service Desk <\nsupport@acme.example> wrote:\n> Bitte senden.\n"
    let body = "Danke, hier ist der Lebenslauf. ✓\n\nOn Mon, Nov 24, 2026 at 5:00 PM Acme Service Desk <\nsupport@acme.example> wrote:\n\n> Bitte senden.\n";
    let b64 = base64(body.as_bytes());
    format!(
        "From: Zoë Šimić <zoe@gmail.example>\r\n\
To: support@acme.example\r\n\
Subject: Re: [INC-000123] Drucker im 2. Stock\r\n\
Date: Tue, 25 Nov 2026 08:15:00 +0000\r\n\
Message-ID: <CAF=abc123@mail.gmail.example>\r\n\
In-Reply-To: <0193f1a2-aaaa@acme.example>\r\n\
References: <0193f1a2-aaaa@acme.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"000000000000mixed\"\r\n\
\r\n\
--000000000000mixed\r\n\
Content-Type: text/plain; charset=\"UTF-8\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
{b64}\r\n\
--000000000000mixed\r\n\
Content-Type: application/pdf; name*=UTF-8''R%C3%A9sum%C3%A9%20Zo%C3%AB.pdf\r\n\
Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9%20Zo%C3%AB.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
{pdf}\r\n\
--000000000000mixed--\r\n",
        pdf = base64(b"%PDF-1.4 fake pdf bytes"),
    )
    .into_bytes()
}

/// Apple Mail: multipart/related with an inline image referenced by cid:, attribution
/// "On 24 Nov 2026, at 17:00, … wrote:", RFC 2047 encoded image name.
pub fn apple_mail_inline_image() -> Vec<u8> {
    format!(
        "From: Kim Lee <kim@icloud.example>\r\n\
To: support@acme.example\r\n\
Subject: Screenshot of the error\r\n\
Date: Tue, 25 Nov 2026 10:00:00 +0900\r\n\
Message-Id: <F00D-1234@icloud.example>\r\n\
Mime-Version: 1.0 (Mac OS X Mail 16.0)\r\n\
Content-Type: multipart/alternative; boundary=\"Apple-Mail-alt\"\r\n\
\r\n\
--Apple-Mail-alt\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
Content-Transfer-Encoding: 7bit\r\n\
\r\n\
See the screenshot.\r\n\
\r\n\
On 24 Nov 2026, at 17:00, Acme Service Desk <support@acme.example> wrote:\r\n\
\r\n\
Can you send a screenshot?\r\n\
--Apple-Mail-alt\r\n\
Content-Type: multipart/related; type=\"text/html\"; boundary=\"Apple-Mail-rel\"\r\n\
\r\n\
--Apple-Mail-rel\r\n\
Content-Type: text/html; charset=us-ascii\r\n\
\r\n\
<html><body><p>See the screenshot.</p><img src=\"cid:shot-1@icloud.example\"></body></html>\r\n\
--Apple-Mail-rel\r\n\
Content-Disposition: inline; filename=\"=?UTF-8?B?QmlsZHNjaGlybcOkdC5wbmc=?=\"\r\n\
Content-Type: image/png; name=\"=?UTF-8?B?QmlsZHNjaGlybcOkdC5wbmc=?=\"\r\n\
Content-Id: <shot-1@icloud.example>\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
{png}\r\n\
--Apple-Mail-rel--\r\n\
--Apple-Mail-alt--\r\n",
        png = base64(&tiny_png()),
    )
    .into_bytes()
}

/// A 1x1 PNG.
pub fn tiny_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]
}

/// ISO-8859-2 body and a Shift_JIS part.
pub fn charsets() -> Vec<u8> {
    let mut m = b"From: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= <taro@example.jp>\r\n\
To: support@acme.example\r\n\
Subject: =?ISO-8859-2?Q?Za=BF=F3=B3=E6_g=EA=B6l=B1_ja=BC=F1?=\r\n\
Message-ID: <charsets-1@example.jp>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=iso-8859-2\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1\r\n\
--b\r\n\
Content-Type: text/plain; charset=Shift_JIS\r\n\
Content-Transfer-Encoding: 8bit\r\n\
Content-Disposition: inline\r\n\
\r\n"
        .to_vec();
    // "こんにちは" in Shift_JIS
    m.extend_from_slice(&[0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd]);
    m.extend_from_slice(b"\r\n--b--\r\n");
    m
}

/// An HTML-only message with script, style and an event handler.
pub fn html_only() -> Vec<u8> {
    b"From: Pat <pat@example.com>\r\n\
To: support@acme.example\r\n\
Subject: Laptop will not boot\r\n\
Message-ID: <html-only-1@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><head><style>p{color:red}</style><script>document.cookie</script></head>\
<body><p>My laptop shows a <b>black screen</b>.</p><ul><li>Model X1</li></ul>\
<a href=\"javascript:alert(1)\">click</a><img src=\"x\" onerror=\"alert(2)\"></body></html>\r\n"
        .to_vec()
}

/// An out-of-office reply (RFC 3834 Auto-Submitted).
pub fn out_of_office() -> Vec<u8> {
    b"From: Jane Doe <jane@example.com>\r\n\
To: support@acme.example\r\n\
Subject: Automatic reply: [INC-000123] Drucker im 2. Stock\r\n\
Message-ID: <ooo-1@example.com>\r\n\
In-Reply-To: <0193f1a2-aaaa@acme.example>\r\n\
Auto-Submitted: auto-replied\r\n\
X-Auto-Response-Suppress: All\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
I am out of the office until Monday.\r\n"
        .to_vec()
}

/// A delivery status notification (bounce).
pub fn bounce() -> Vec<u8> {
    b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\r\n\
To: support@acme.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <bounce-1@mx.example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\
\r\n\
--r\r\n\
Content-Type: text/plain\r\n\
\r\n\
Delivery to jane@example.com failed permanently.\r\n\
--r\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.com\r\n\
\r\n\
Final-Recipient: rfc822; jane@example.com\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
--r\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: support@acme.example\r\n\
Subject: [INC-000123] x\r\n\
\r\n\
original\r\n\
--r--\r\n"
        .to_vec()
}

/// Mailing-list traffic.
pub fn list_mail() -> Vec<u8> {
    b"From: Newsletter <news@vendor.example>\r\n\
To: support@acme.example\r\n\
Subject: Our November news\r\n\
Message-ID: <news-1@vendor.example>\r\n\
List-Id: Vendor News <news.vendor.example>\r\n\
List-Unsubscribe: <mailto:unsub@vendor.example>\r\n\
Content-Type: text/plain\r\n\
\r\n\
News.\r\n"
        .to_vec()
}

/// A stranger replying with a guessed tag.
pub fn forged_stranger_reply() -> Vec<u8> {
    b"From: Mallory <mallory@evil.example>\r\n\
To: support@acme.example\r\n\
Subject: Re: [INC-000001] please add me\r\n\
Message-ID: <forged-1@evil.example>\r\n\
Content-Type: text/plain\r\n\
\r\n\
Change the payee bank account to DE00 1234.\r\n"
        .to_vec()
}

/// A plain new message.
pub fn new_request(from: &str, subject: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@acme.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Tue, 25 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, something is broken.\r\n"
    )
    .into_bytes()
}

/// Every corpus message.
pub fn all() -> Vec<Vec<u8>> {
    vec![
        outlook_reply(),
        gmail_reply_with_attachment(),
        apple_mail_inline_image(),
        charsets(),
        html_only(),
        out_of_office(),
        bounce(),
        list_mail(),
        forged_stranger_reply(),
        new_request("a@b.example", "x", "x@b.example"),
    ]
}

/// Standard base64 with line breaks every 76 characters.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}
