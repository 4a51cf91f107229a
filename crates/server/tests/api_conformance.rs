//! The API answers what its OpenAPI document says: every status an operation can answer
//! is documented, as problem details; and the corner cases API fuzzing found stay fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use common::{BOUNDARY, Part, TestApp, multipart_body};

const AGENT: &str = "agent@acme.test";
const ADMIN: &str = "admin@acme.test";

async fn ticket(t: &TestApp) -> String {
    let a = t
        .api(
            "POST",
            "/v1/tickets",
            t.token(AGENT, "acme"),
            Some(json!({"subject": "Printer jammed"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["id"].as_str().unwrap().to_string()
}

async fn post_form(t: &TestApp, ticket: &str, body: Vec<u8>) -> common::Answer {
    let req = Request::post(format!("/v1/tickets/{ticket}/attachments"))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t.token(AGENT, "acme")),
        )
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    t.send(req).await
}

async fn attachments(t: &TestApp, ticket: &str) -> usize {
    t.api(
        "GET",
        &format!("/v1/tickets/{ticket}/attachments"),
        t.token(AGENT, "acme"),
        None,
        &[],
    )
    .await
    .json()
    .as_array()
    .unwrap()
    .len()
}

#[tokio::test]
async fn every_operation_documents_its_error_answers() {
    let t = TestApp::new().await;
    let doc = t.get("/openapi.json", None, None).await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let name = format!("{method} {path}");
            let mut expected = vec!["401"];
            if let Some(body) = op.get("requestBody") {
                assert_eq!(body["required"], true, "{name}: the body is required");
                expected.extend(["400", "403", "413", "415", "422"]);
            }
            if path.contains('{') {
                expected.push("404");
            }
            for status in expected {
                assert!(responses.contains_key(status), "{name} lacks {status}");
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{name} {status}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations");
    let changes = &doc["components"]["schemas"]["TicketChanges"]["properties"];
    for nullable in ["assigneeId", "queueId"] {
        assert_eq!(
            changes[nullable]["type"],
            json!(["string", "null"]),
            "{nullable}: null clears it"
        );
    }
}

#[tokio::test]
async fn upload_form_takes_is_private_then_file_and_nothing_else() {
    let t = TestApp::new().await;
    let id = ticket(&t).await;
    let file = Part::File("file", "note.txt", b"hello");

    let ok = post_form(
        &t,
        &id,
        multipart_body(&[Part::Text("isPrivate", "true"), file]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ok.json()["isPrivate"], true);

    // A part after the file would come too late to apply: refused, and nothing stored.
    let file = Part::File("file", "note.txt", b"hello");
    let late = post_form(
        &t,
        &id,
        multipart_body(&[file, Part::Text("isPrivate", "true")]),
    )
    .await;
    assert_eq!(
        late.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        late.body
    );
    assert_eq!(late.json()["errors"][0]["code"], "not_last");

    for fields in [[("isPrivate", "yes")], [("comment", "hi")]] {
        let file = Part::File("file", "note.txt", b"hello");
        let parts = [Part::Text(fields[0].0, fields[0].1), file];
        let a = post_form(&t, &id, multipart_body(&parts)).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {}",
            a.body
        );
    }

    // A form cut off inside the file is the client's fault, not the server's.
    let mut cut = multipart_body(&[Part::File("file", "note.txt", b"hello world")]);
    cut.truncate(cut.len() - 20);
    let a = post_form(&t, &id, cut).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));

    assert_eq!(
        attachments(&t, &id).await,
        1,
        "only the valid upload is stored"
    );
}

#[tokio::test]
async fn whole_numbers_with_a_zero_fraction_are_integers() {
    let t = TestApp::new().await;
    let put = |v: Value| {
        t.api(
            "PUT",
            "/v1/settings/tickets",
            t.token(ADMIN, "acme"),
            Some(json!({ "autoCloseDays": v })),
            &[],
        )
    };
    let a = put(json!(14.0)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["autoCloseDays"], 14);
    for bad in [json!(14.5), json!("14"), json!(1e12)] {
        let a = put(bad.clone()).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            a.body
        );
    }
}
