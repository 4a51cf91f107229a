//! OpenAPI schemas of text inputs whose rules are more than a type: the domain's text
//! rules (trimmed length, no control characters) and the comma-separated list filters,
//! spelled as regular expressions that accept exactly what the server accepts.

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// Unicode White_Space, what `str::trim` removes around a text.
const SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`char::is_control`).
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";
/// Control characters but tab, line feed and carriage return.
const CONTROL_BUT_LINES: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";
const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// A text of `min..=max` characters once trimmed, without control characters (a
/// multi-line text may hold tabs and line breaks). `min` 0 allows an empty text.
fn text(min: usize, max: usize, multi_line: bool) -> String {
    let space = format!("[{SPACE}]*");
    // The first and last kept characters: neither space nor control.
    let edge = format!("[^{SPACE}{CONTROL}]");
    let inner = if multi_line {
        format!("[^{CONTROL_BUT_LINES}]")
    } else {
        format!("[^{CONTROL}]")
    };
    let core = match min {
        0 | 1 => format!("{edge}({inner}{{0,{}}}{edge})?", max - 2),
        _ => format!("{edge}{inner}{{{},{}}}{edge}", min - 2, max - 2),
    };
    if min == 0 {
        format!("^{space}({core})?{space}$")
    } else {
        format!("^{space}{core}{space}$")
    }
}

/// A comma-separated list of `values`; empty items and spaces around items are ignored.
fn list(values: &str) -> String {
    let item = format!("[{SPACE}]*({values})?[{SPACE}]*");
    format!("^{item}(,{item})*$")
}

fn string(pattern: String, nullable: bool, description: &str) -> Object {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::from(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

const SUBJECT: &str = "One line of 3–200 characters.";
const DESCRIPTION: &str = "Markdown, up to 20,000 characters.";
const QUEUE_NAME: &str = "One line of 2–80 characters.";
const QUEUE_DESCRIPTION: &str = "Up to 500 characters.";

pub fn subject() -> Object {
    string(text(3, 200, false), false, SUBJECT)
}

pub fn subject_or_null() -> Object {
    string(text(3, 200, false), true, SUBJECT)
}

pub fn description() -> Object {
    string(text(0, 20_000, true), false, DESCRIPTION)
}

pub fn comment_body() -> Object {
    string(
        text(1, 20_000, true),
        false,
        "Markdown, 1–20,000 characters.",
    )
}

pub fn queue_name() -> Object {
    string(text(2, 80, false), false, QUEUE_NAME)
}

pub fn queue_name_or_null() -> Object {
    string(text(2, 80, false), true, QUEUE_NAME)
}

/// Trimmed, at most 500 characters; anything else goes.
fn queue_description_pattern() -> String {
    let space = format!("[{SPACE}]*");
    let edge = format!("[^{SPACE}]");
    format!(r"^{space}({edge}([\s\S]{{0,498}}{edge})?)?{space}$")
}

pub fn queue_description() -> Object {
    string(queue_description_pattern(), false, QUEUE_DESCRIPTION)
}

pub fn queue_description_or_null() -> Object {
    string(queue_description_pattern(), true, QUEUE_DESCRIPTION)
}

pub fn status_filter() -> Object {
    string(
        list("active|new|open|in_progress|waiting_on_user|resolved|closed|cancelled"),
        false,
        "Statuses, comma-separated; `active` means new, open, in_progress and waiting_on_user.",
    )
}

pub fn sla_filter() -> Object {
    string(
        list("running|due_soon|breached|paused|met"),
        false,
        "SLA states, comma-separated: running, due_soon, breached, paused, met.",
    )
}

pub fn kind_filter() -> Object {
    string(
        list("incident|service_request|task"),
        false,
        "Kinds, comma-separated: incident, service_request, task.",
    )
}

pub fn priority_filter() -> Object {
    string(
        list("[Pp][1-4]"),
        false,
        "Priorities, comma-separated: P1–P4.",
    )
}

pub fn queue_filter() -> Object {
    string(
        format!("^[{SPACE}]*(none|{UUID})?[{SPACE}]*$"),
        false,
        "A queue id, or `none`.",
    )
}

pub fn assignee_filter() -> Object {
    string(
        format!("^[{SPACE}]*(me|none|{UUID})?[{SPACE}]*$"),
        false,
        "An agent's user id, `me`, or `none`.",
    )
}
