//! Which files are accepted, judged from the declared name and the first bytes, and the
//! MIME type they are stored with.

use super::BlobError;
use super::filename::declared_extensions;

/// How many leading bytes of an upload are looked at.
pub(crate) const SNIFF_LEN: usize = 16 * 1024;

/// Checks an upload's declared name and first bytes and returns its MIME type.
///
/// Rejects, with [`BlobError::Forbidden`], names whose extension is that of an
/// executable, script, installer or shortcut (`invoice.pdf.exe`, `RUN.BAT`, `x.ps1`, ...)
/// and content that is a program whatever its name: Windows (MZ/PE), Linux (ELF) and
/// macOS (Mach-O, also universal) executables, Java class files and archives, Android
/// apps, Linux packages, Windows shortcuts, scripts starting with `#!`, and OLE compound
/// files (the MSI format) declared without an extension.
///
/// The MIME type comes from the content's magic number, else from the extension, else
/// `application/octet-stream`. `head` should hold the first 16 KiB (or the whole file if
/// it is shorter).
pub fn check_content(declared_filename: &str, head: &[u8]) -> Result<String, BlobError> {
    check_declared_name(declared_filename)?;
    let exts = declared_extensions(declared_filename);
    let ext = exts.first().map(String::as_str);
    if let Some(what) = forbidden_content(ext, head) {
        return Err(BlobError::Forbidden {
            reason: format!("the content is {what}"),
        });
    }
    Ok(sniff_mime(ext, head))
}

/// Rejects names whose extension marks a program ([`BlobError::Forbidden`]).
pub fn check_declared_name(declared_filename: &str) -> Result<(), BlobError> {
    for ext in declared_extensions(declared_filename) {
        if let Some(kind) = denied_extension_kind(&ext) {
            return Err(BlobError::Forbidden {
                reason: format!("{kind} (.{ext}) are not accepted"),
            });
        }
    }
    Ok(())
}

fn denied_extension_kind(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "exe" | "dll" | "com" | "scr" | "cpl" | "pif" | "app" | "elf" | "bin" | "run"
        | "gadget" => "executable files",
        "bat" | "cmd" | "ps1" | "psm1" | "vbs" | "vbe" | "js" | "jse" | "wsf" | "wsh" | "hta"
        | "sh" | "bash" | "zsh" | "csh" | "ksh" | "scf" => "script files",
        "reg" => "registry files",
        "msi" | "msp" | "dmg" | "pkg" | "apk" | "deb" | "rpm" => "installer packages",
        "jar" => "Java archives",
        "lnk" => "shortcut files",
        _ => return None,
    })
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

const LNK_MAGIC: [u8; 20] = [
    0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x46,
];

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Describes the program `head` starts, if it does ("a Windows executable (PE)").
fn forbidden_content(ext: Option<&str>, head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"MZ") {
        return Some(if has_pe_signature(head) {
            "a Windows executable (PE)"
        } else {
            "a DOS or Windows executable (MZ)"
        });
    }
    if head.starts_with(b"\x7FELF") {
        return Some("a Linux executable (ELF)");
    }
    if let Some(magic) = head.get(..4) {
        match magic {
            [0xFE, 0xED, 0xFA, 0xCE | 0xCF] | [0xCE | 0xCF, 0xFA, 0xED, 0xFE] => {
                return Some("a macOS executable (Mach-O)");
            }
            [0xCA, 0xFE, 0xBA, 0xBE] => {
                // Java class files share this magic; their version (>= 45) follows where a
                // universal binary has its (small) number of architectures.
                return Some(match head.get(4..8) {
                    Some(&[a, b, c, d]) if u32::from_be_bytes([a, b, c, d]) >= 45 => {
                        "a Java class file"
                    }
                    _ => "a macOS universal executable (Mach-O)",
                });
            }
            [0xCA, 0xFE, 0xBA, 0xBF] | [0xBE | 0xBF, 0xBA, 0xFE, 0xCA] => {
                return Some("a macOS universal executable (Mach-O)");
            }
            _ => {}
        }
    }
    let text = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    if text.starts_with(b"#!") {
        return Some("a script (it starts with #!)");
    }
    if head.starts_with(&LNK_MAGIC) {
        return Some("a Windows shortcut (LNK)");
    }
    if head.starts_with(&OLE_MAGIC) && matches!(ext, None | Some("msi" | "msp")) {
        return Some(
            "a Windows installer or other compound file (OLE) without a document extension",
        );
    }
    if head.starts_with(b"PK\x03\x04") {
        if contains(head, b"META-INF/MANIFEST.MF") {
            return Some("a Java archive (JAR)");
        }
        if contains(head, b"AndroidManifest.xml") {
            return Some("an Android app (APK)");
        }
    }
    match infer_type(head).map(|t| t.extension()) {
        Some("elf" | "exe" | "dll") => Some("an executable program"),
        Some("mach") => Some("a macOS executable (Mach-O)"),
        Some("class") => Some("a Java class file"),
        Some("dex" | "dey") => Some("an Android executable (DEX)"),
        Some("deb") => Some("a Debian software package"),
        Some("rpm") => Some("an RPM software package"),
        _ => None,
    }
}

/// Whether the MZ header points at a `PE\0\0` signature within `head`.
fn has_pe_signature(head: &[u8]) -> bool {
    let Some(&[a, b, c, d]) = head.get(0x3C..0x40) else {
        return false;
    };
    let Ok(offset) = usize::try_from(u32::from_le_bytes([a, b, c, d])) else {
        return false;
    };
    offset
        .checked_add(4)
        .and_then(|end| head.get(offset..end))
        .is_some_and(|sig| sig == b"PE\0\0")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `infer`'s verdict, guarded so that a parser bug on odd input cannot take a request down.
fn infer_type(head: &[u8]) -> Option<infer::Type> {
    std::panic::catch_unwind(|| infer::get(head)).ok().flatten()
}

fn sniff_mime(ext: Option<&str>, head: &[u8]) -> String {
    let by_ext = ext.and_then(mime_for_extension);
    if let Some(t) = infer_type(head) {
        match t.extension() {
            // Two- and four-byte magic numbers that ordinary text often starts with.
            "bc" | "obj" | "der" | "pem" => {}
            _ => {
                let mime = t.mime_type();
                // Container formats: the extension names the document type more precisely.
                if matches!(mime, "application/zip" | "application/x-ole-storage")
                    && let Some(m) = by_ext
                {
                    return m.to_owned();
                }
                return mime.to_owned();
            }
        }
    }
    by_ext.unwrap_or("application/octet-stream").to_owned()
}

fn mime_for_extension(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "txt" | "text" | "log" | "conf" | "cfg" | "ini" => "text/plain",
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "md" | "markdown" => "text/markdown",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "ics" => "text/calendar",
        "vcf" => "text/vcard",
        "eml" => "message/rfc822",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "rtf" => "application/rtf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "doc" | "dot" => "application/msword",
        "xls" | "xlt" => "application/vnd.ms-excel",
        "ppt" | "pps" | "pot" => "application/vnd.ms-powerpoint",
        "msg" => "application/vnd.ms-outlook",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "zip" => "application/zip",
        _ => return None,
    })
}
