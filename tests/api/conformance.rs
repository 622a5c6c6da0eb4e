//! Every JSON response the tests see is checked against its schema in openapi.yaml, so that a field
//! renamed in code but not in the contract (or a status the contract does not list) fails a test.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use reqwest::Method;
use serde_json::{Value, json};

/// The committed contract, read once.
pub static CONTRACT: LazyLock<Value> = LazyLock::new(|| {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml");
    yaml_serde::from_str(&text).expect("openapi.yaml parses")
});

type Validators = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;
static VALIDATORS: LazyLock<Validators> = LazyLock::new(Default::default);

/// The documented path template that `path` falls under.
fn template_of(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    CONTRACT["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .find(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
        })
}

/// `node`, its `$ref`s followed within the contract.
pub fn resolve(node: &Value) -> &Value {
    let mut node = node;
    while let Some(reference) = node["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        node = reference.split('/').fold(&*CONTRACT, |n, key| &n[key]);
    }
    node
}

/// Checks one response against the contract: its status must be documented for the operation, and
/// its JSON body must match the schema documented for that status and content type.
pub fn check(method: &Method, path: &str, status: u16, content_type: Option<&str>, body: &Value) {
    // Unknown routes (404) and wrong methods on known ones (405) belong to no operation.
    let Some(template) = template_of(path) else {
        return;
    };
    if status == 405 {
        return;
    }
    let operation = &CONTRACT["paths"][template][method.as_str().to_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not in the contract"
    );
    let response = resolve(&operation["responses"][status.to_string()]);
    assert!(
        response.is_object(),
        "{method} {template} answered {status}, which the contract does not list"
    );
    let Some(content_type) = content_type.map(|c| c.split(';').next().unwrap_or(c).trim()) else {
        return;
    };
    if !content_type.ends_with("json") {
        assert!(
            response["content"][content_type].is_object(),
            "{method} {template} {status}: {content_type} is not documented"
        );
        return;
    }
    let schema = &response["content"][content_type]["schema"];
    assert!(
        schema.is_object(),
        "{method} {template} {status}: no schema for {content_type}"
    );
    let key = format!("{method} {template} {status} {content_type}");
    let errors = errors_of(&key, schema, body);
    assert!(
        errors.is_empty(),
        "{key}: the response does not match the contract: {errors:?}\nbody: {body}"
    );
}

/// Checks one request the server accepted (a 2xx) against the contract: its JSON body must match
/// the request schema the operation documents, so that a body the contract describes wrongly (or
/// another operation's) fails a test, not a client generated from it.
pub fn check_request(method: &Method, path: &str, status: u16, body: &Value) {
    if !(200..300).contains(&status) {
        return;
    }
    let Some(template) = template_of(path) else {
        return;
    };
    let operation = &CONTRACT["paths"][template][method.as_str().to_lowercase()];
    let documented = resolve(&operation["requestBody"]);
    // `post` sends `{}` where an operation takes no body: nothing is said then.
    if documented.is_null() && body == &json!({}) {
        return;
    }
    let schema = &documented["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {template} took a JSON body the contract does not document: {body}"
    );
    let key = format!("{method} {template} request");
    let errors = errors_of(&key, schema, body);
    assert!(
        errors.is_empty(),
        "{key}: the server accepted a body the contract refuses: {errors:?}\nbody: {body}"
    );
}

/// Where `body` breaks `schema`, each with the place in the body.
fn errors_of(key: &str, schema: &Value, body: &Value) -> Vec<String> {
    validator(key, schema)
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The validator of `schema` (with the contract's components beside it, so that its `$ref`s
/// resolve), made once per key.
fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    let mut cache = VALIDATORS.lock().unwrap();
    cache
        .entry(key.to_string())
        .or_insert_with(|| {
            let mut root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "components": CONTRACT["components"]});
            for (k, v) in schema.as_object().unwrap() {
                root[k] = v.clone();
            }
            Arc::new(jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{key}: {e}")))
        })
        .clone()
}

#[test]
#[should_panic(expected = "accepted a body the contract refuses")]
fn a_body_documented_for_another_operation_is_caught() {
    // The body a referral's decision takes, checked against what the contract says it takes.
    let mut decision =
        json!({"occurred_at": "2007-01-01T00:00:00Z", "decision": "early_help", "reason": "r"});
    check_request(
        &Method::POST,
        &format!(
            "/api/v1/children/{0}/referrals/{0}/decision",
            uuid::Uuid::nil()
        ),
        201,
        &decision,
    );
    // …and a field the contract does not know.
    decision["what"] = json!("x");
    check_request(
        &Method::POST,
        &format!(
            "/api/v1/children/{0}/referrals/{0}/decision",
            uuid::Uuid::nil()
        ),
        201,
        &decision,
    );
}

#[test]
#[should_panic(expected = "does not match the contract")]
fn a_renamed_field_is_caught() {
    let me = json!({"id": uuid::Uuid::nil(), "user_name": "x", "display_name": "X", "agency": null, "role": "facilitator",
                    "disabled": false, "created_at": "2007-01-01T00:00:00Z"});
    check(
        &Method::GET,
        "/api/v1/me",
        200,
        Some("application/json"),
        &me,
    );
}

#[test]
#[should_panic(expected = "does not list")]
fn an_undocumented_status_is_caught() {
    check(
        &Method::GET,
        "/api/v1/me",
        409,
        Some("application/problem+json"),
        &json!({}),
    );
}

#[test]
fn a_full_contact_is_exactly_one_of_the_entry_shapes() {
    let full = json!({"id": uuid::Uuid::nil(), "child_id": uuid::Uuid::nil(), "agency": "health", "author_id": uuid::Uuid::nil(),
        "author_name": "Dr", "recorded_at": "2007-01-01T00:00:00Z", "visibility": "shared", "restricted": false,
        "occurred_at": "2007-01-01T00:00:00Z", "kind": "phone_call", "location": null, "summary": "s", "child_seen": null,
        "appearance_obscured": null, "injuries": [], "explanation": null, "examination": null, "opinion": null,
        "concern_level": null, "concern_categories": [], "outcome": null, "actions": [], "amended": false, "original": null,
        "amendments": []});
    check(
        &Method::GET,
        &format!("/api/v1/children/{0}/contacts/{0}", uuid::Uuid::nil()),
        200,
        Some("application/json"),
        &full,
    );
}
