//! Quoted-reply and signature stripping.
//!
//! Mail clients append the message being answered below (or, rarely, interleave it with)
//! the new text. A ticket conversation wants only the new text; the full original is kept
//! elsewhere. The rules here recognise the usual attribution lines and separators of
//! Gmail, Outlook (desktop and web) and Apple Mail, `>` quoting and `-- ` signatures.

/// Returns the new part of a reply: everything above the first quote marker, without
/// `>`-quoted lines, the signature and trailing blank lines. When nothing is left (a
/// message that is only a quote), the whole text is returned trimmed.
pub fn strip_reply(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let cut = first_marker(&lines).unwrap_or(lines.len());
    let mut kept: Vec<&str> = Vec::new();
    for line in &lines[..cut] {
        let trimmed = line.trim_end();
        if trimmed == "--" || trimmed == "-- " || line.trim_end_matches('\r') == "-- " {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(trimmed);
    }
    while kept
        .last()
        .is_some_and(|l| l.trim().is_empty() || is_mobile_signature(l))
    {
        kept.pop();
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    let out = kept.join("\n");
    if out.trim().is_empty() {
        text.trim().to_string()
    } else {
        out
    }
}

fn is_mobile_signature(line: &str) -> bool {
    let l = line.trim().to_ascii_lowercase();
    l.starts_with("sent from my ") || l.starts_with("get outlook for ")
}

/// Index of the first line that starts the quoted part.
fn first_marker(lines: &[&str]) -> Option<usize> {
    (0..lines.len()).find(|&i| is_marker(lines, i))
}

fn is_marker(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let lower = line.to_ascii_lowercase();
    // Outlook desktop: "-----Original Message-----" (and localised variants with dashes).
    if line.starts_with("-----") && line.ends_with("-----") && line.len() > 10 {
        let inner = lower.trim_matches('-').trim();
        if inner.contains("original message")
            || inner.contains("ursprüngliche nachricht")
            || inner.contains("message d'origine")
            || inner.contains("forwarded message")
        {
            return true;
        }
    }
    // Outlook web / new Outlook: a line of underscores followed by a header block.
    if line.len() >= 20 && line.chars().all(|c| c == '_') {
        return header_block_follows(lines, i + 1);
    }
    // Outlook header block without separator: "From: …" then "Sent:"/"Date:" and "To:"/"Subject:".
    if (lower.starts_with("from:") || lower.starts_with("von:") || lower.starts_with("de :"))
        && header_block_follows(lines, i)
    {
        return true;
    }
    // Gmail and Apple Mail: "On <date>, <name> wrote:" possibly wrapped onto a second line.
    // German/French/Spanish forms are recognised too.
    if is_attribution_start(&lower) {
        if is_attribution_end(&lower) {
            return true;
        }
        if let Some(next) = lines.get(i + 1) {
            let joined = format!("{lower} {}", next.trim().to_ascii_lowercase());
            if is_attribution_end(&joined) && next.trim().len() < 120 {
                return true;
            }
        }
    }
    false
}

fn is_attribution_start(lower: &str) -> bool {
    lower.starts_with("on ")
        || lower.starts_with("am ")
        || lower.starts_with("le ")
        || lower.starts_with("el ")
}

fn is_attribution_end(lower: &str) -> bool {
    let l = lower.trim_end();
    l.ends_with("wrote:")
        || l.ends_with("schrieb:")
        || l.ends_with("a écrit :")
        || l.ends_with("a écrit:")
        || l.ends_with("escribió:")
}

fn header_block_follows(lines: &[&str], start: usize) -> bool {
    let window: Vec<String> = lines
        .iter()
        .skip(start)
        .take(6)
        .map(|l| l.trim().to_ascii_lowercase())
        .collect();
    let has_from = window
        .iter()
        .any(|l| l.starts_with("from:") || l.starts_with("von:") || l.starts_with("de :"));
    let has_sent = window.iter().any(|l| {
        l.starts_with("sent:")
            || l.starts_with("date:")
            || l.starts_with("gesendet:")
            || l.starts_with("envoyé :")
    });
    let has_to_or_subject = window.iter().any(|l| {
        l.starts_with("to:")
            || l.starts_with("subject:")
            || l.starts_with("an:")
            || l.starts_with("betreff:")
            || l.starts_with("objet :")
    });
    has_from && has_sent && has_to_or_subject
}

#[cfg(test)]
mod tests {
    use super::strip_reply;

    #[test]
    fn gmail_attribution_wrapped_over_two_lines() {
        let text = "Thanks, that fixed it.\n\nOn Mon, Nov 24, 2026 at 10:00 AM Service Desk <\nsupport@acme.example> wrote:\n> Please restart.\n";
        assert_eq!(strip_reply(text), "Thanks, that fixed it.");
    }

    #[test]
    fn outlook_original_message_block() {
        let text = "Still broken.\r\n\r\n-----Original Message-----\r\nFrom: Desk\r\nSent: Monday\r\nTo: me\r\nSubject: x\r\n\r\nold";
        assert_eq!(strip_reply(text), "Still broken.");
    }

    #[test]
    fn outlook_web_header_block() {
        let text = "Yes please.\n\n________________________________\nFrom: Service Desk <s@a.example>\nSent: Tuesday, 25 November 2026 09:00\nTo: Jane\nSubject: RE: [INC-000001] VPN\n\nOld text";
        assert_eq!(strip_reply(text), "Yes please.");
        let bare = "Yes.\nFrom: Service Desk\nSent: Tuesday\nTo: Jane\nSubject: x\nold";
        assert_eq!(strip_reply(bare), "Yes.");
    }

    #[test]
    fn apple_mail_attribution_and_mobile_signature() {
        let text = "Works now.\n\nSent from my iPhone\n\nOn 24 Nov 2026, at 10:00, Service Desk <s@a.example> wrote:\n\n> Hi\n";
        assert_eq!(strip_reply(text), "Works now.");
    }

    #[test]
    fn interleaved_quotes_and_signature() {
        let text = "> Which printer?\nThe one on floor 2.\n> Since when?\nToday.\n\n-- \nJane Doe\nFinance";
        assert_eq!(strip_reply(text), "The one on floor 2.\nToday.");
    }

    #[test]
    fn a_text_that_is_only_a_quote_is_kept_whole() {
        let text = "> only quoted\n> text";
        assert_eq!(strip_reply(text), "> only quoted\n> text");
    }

    #[test]
    fn ordinary_sentences_are_not_markers() {
        let text = "On Monday the printer broke.\nFrom: the logs it seems the fuser.\nBye";
        assert_eq!(strip_reply(text), text);
    }
}
