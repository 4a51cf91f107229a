//! `parse` must never panic: random bytes and mutated real messages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod corpus;

use proptest::prelude::*;

fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut m = base.to_vec();
    for &(pos, op, byte) in edits {
        if m.is_empty() {
            m.push(byte);
            continue;
        }
        let i = pos % m.len();
        match op % 4 {
            0 => m[i] = byte,
            1 => m.insert(i, byte),
            2 => {
                m.remove(i);
            }
            _ => {
                // Duplicate a slice (repeats boundaries and headers).
                let end = (i + usize::from(byte)).min(m.len());
                let chunk = m[i..end].to_vec();
                m.splice(i..i, chunk);
            }
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(m) = catalyst_mail::parse(&bytes) {
            let _ = m.thread_ids();
        }
    }

    #[test]
    fn mutated_real_messages_never_panic(
        which in 0usize..10,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..24),
    ) {
        let all = corpus::all();
        let raw = mutate(&all[which % all.len()], &edits);
        if let Ok(m) = catalyst_mail::parse(&raw) {
            let _ = catalyst_mail::strip_reply(&m.text);
        }
    }

    #[test]
    fn reply_stripping_never_panics(text in "(?s).{0,600}") {
        let _ = catalyst_mail::strip_reply(&text);
    }

    #[test]
    fn header_like_noise_never_panics(
        lines in proptest::collection::vec(
            "(From|To|Subject|Content-Type|Content-Disposition|References|In-Reply-To|Auto-Submitted): [ -~]{0,80}",
            0..12,
        ),
        body in "[ -~\r\n]{0,300}",
    ) {
        let raw = format!("{}\r\n\r\n{}", lines.join("\r\n"), body);
        let _ = catalyst_mail::parse(raw.as_bytes());
    }
}
