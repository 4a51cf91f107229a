//! Display-safe file names and the `Content-Disposition` header built from them.

use std::fmt::Write as _;

/// Longest file name kept, in bytes of UTF-8.
const MAX_FILENAME_BYTES: usize = 200;

/// Longest extension kept apart when a long name is shortened, in bytes.
const MAX_KEPT_EXTENSION_BYTES: usize = 20;

/// Makes a declared file name safe to show and to send in `Content-Disposition`.
///
/// Keeps only the last path component (splitting on both `/` and `\`), drops control
/// characters (line breaks included), bidirectional formatting characters and double
/// quotes, replaces the characters Windows does not allow in file names with `_`,
/// collapses runs of whitespace (tabs included) into one space, strips leading dots and
/// trailing dots and spaces, and shortens the name to 200 bytes while keeping its
/// extension. Letters of any script are kept. An empty result becomes
/// `file`.
pub fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();

    let mut out = String::with_capacity(base.len());
    let mut pending_space = false;
    for c in base.chars() {
        // Line breaks and other control characters go; a tab separates like a space.
        if c.is_whitespace() && (c == '\t' || !c.is_control()) {
            pending_space = true;
            continue;
        }
        if c.is_control() || is_invisible_format(c) || c == '"' {
            continue;
        }
        let c = match c {
            '<' | '>' | ':' | '|' | '?' | '*' => '_',
            other => other,
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }

    let trimmed = out
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let shortened = shorten(trimmed);
    if shortened.is_empty() {
        "file".to_owned()
    } else {
        shortened
    }
}

/// Characters that change how text is displayed without being visible themselves, used to
/// disguise an extension (for example `invoice\u{202E}fdp.exe`).
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Cuts `name` to [`MAX_FILENAME_BYTES`] at a character boundary, keeping a short extension.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_FILENAME_BYTES {
        return name.to_owned();
    }
    if let Some((stem, ext)) = name.rsplit_once('.')
        && !stem.is_empty()
        && !ext.is_empty()
        && ext.len() <= MAX_KEPT_EXTENSION_BYTES
    {
        let room = MAX_FILENAME_BYTES - ext.len() - 1;
        let stem = cut_at_boundary(stem, room).trim_end_matches([' ', '.']);
        if !stem.is_empty() {
            return format!("{stem}.{ext}");
        }
    }
    cut_at_boundary(name, MAX_FILENAME_BYTES)
        .trim_end_matches([' ', '.'])
        .to_owned()
}

fn cut_at_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// The `Content-Disposition` value for downloading `filename` as an attachment (RFC 6266):
/// `attachment; filename="ascii-fallback"; filename*=UTF-8''percent-encoded`.
///
/// The name is sanitized first ([`sanitize_filename`]); the ASCII fallback replaces every
/// other character with `_`, and `filename*` carries the full UTF-8 name (RFC 8187).
pub fn content_disposition(filename: &str) -> String {
    let name = sanitize_filename(filename);

    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();

    let mut encoded = String::with_capacity(name.len() * 3);
    for &b in name.as_bytes() {
        if is_attr_char(b) {
            encoded.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{b:02X}");
        }
    }

    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// `attr-char` of RFC 8187: the bytes that may appear unencoded in `filename*`.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

/// The lower-case extensions a declared name could be opened as: the extension of the
/// last path component as given, and that of the sanitized name (which differ for names
/// such as `.exe` or `evil.exe.` that Windows still treats as executables).
pub(crate) fn declared_extensions(name: &str) -> Vec<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let base = base.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut exts = Vec::with_capacity(2);
    if let Some((_, ext)) = base.rsplit_once('.') {
        exts.push(ext.to_lowercase());
    }
    let clean = sanitize_filename(name);
    if let Some((stem, ext)) = clean.rsplit_once('.')
        && !stem.is_empty()
    {
        let ext = ext.to_lowercase();
        if !exts.contains(&ext) {
            exts.push(ext);
        }
    }
    exts.retain(|e| !e.is_empty());
    exts
}
