//! Input types that can only hold valid values ("parse, don't validate").
//! Every parser reports the field at fault and a stable reason code.

use std::fmt;

use serde::Serialize;

/// One rejected input field: which field, a stable machine code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// A tenant's short name used in URLs and on the command line: 2–40 characters of
/// lowercase ASCII letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let valid_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=40).contains(&s.len()) {
            return Err(FieldError::new(
                "slug",
                "length",
                "must be 2 to 40 characters long",
            ));
        }
        if !valid_chars || s.starts_with('-') || s.ends_with('-') {
            return Err(FieldError::new(
                "slug",
                "format",
                "may contain only lowercase letters, digits and inner hyphens",
            ));
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bounded_text(field: &'static str, input: &str, max_chars: usize) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if s.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            "length",
            format!("must be at most {max_chars} characters long"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "format",
            "must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

/// A tenant's display name: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        bounded_text("name", input, 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        bounded_text("name", input, 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, stored lowercased. Checks the shape (`local@domain.tld`, at most 254
/// characters, no spaces); deliverability is proven by mail, not by syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_lowercase();
        let bad = || {
            FieldError::new(
                "email",
                "format",
                "must be an address like name@example.com",
            )
        };
        if s.is_empty() {
            return Err(FieldError::new("email", "required", "must not be empty"));
        }
        if s.len() > 254 {
            return Err(FieldError::new(
                "email",
                "length",
                "must be at most 254 characters long",
            ));
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c));
        if !(domain_ok && local_ok) {
            return Err(bad());
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 12 to 1024 characters (NIST SP 800-63B: length over composition rules).
/// Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let n = input.chars().count();
        if n < Self::MIN_CHARS {
            return Err(FieldError::new(
                "password",
                "too_short",
                format!("must be at least {} characters long", Self::MIN_CHARS),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(FieldError::new(
                "password",
                "too_long",
                format!("must be at most {} characters long", Self::MAX_CHARS),
            ));
        }
        Ok(Self(input.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(TenantSlug::parse(" acme-2 ").unwrap().as_str(), "acme-2");
        for bad in [
            "a",
            "Acme",
            "-acme",
            "acme-",
            "ac me",
            "ac_me",
            &"x".repeat(41),
        ] {
            let err = TenantSlug::parse(bad).unwrap_err();
            assert_eq!(err.field, "slug", "{bad}");
        }
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert_eq!(Email::parse("").unwrap_err().code, "required");
        for bad in [
            "ada",
            "ada@",
            "@x.com",
            "ada@x",
            "a b@x.com",
            "ada@x..com",
            "a@b@c.com",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().code, "format", "{bad}");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert_eq!(TenantName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert_eq!(TenantName::parse("   ").unwrap_err().code, "required");
        assert_eq!(
            TenantName::parse(&"x".repeat(101)).unwrap_err().code,
            "length"
        );
        assert_eq!(DisplayName::parse("a\u{0}b").unwrap_err().code, "format");
    }

    #[test]
    fn passwords_have_length_rules_and_never_print() {
        assert_eq!(Password::parse("short").unwrap_err().code, "too_short");
        assert_eq!(
            Password::parse(&"x".repeat(1025)).unwrap_err().code,
            "too_long"
        );
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
