//! Feeds arbitrary bytes to the inbound parser and the reply stripper: neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mail) = catalyst_mail::parse(data) {
        let _ = catalyst_mail::strip_reply(&mail.text);
        let _ = mail.thread_ids();
    }
});
