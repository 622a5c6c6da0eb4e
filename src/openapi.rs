//! The OpenAPI contract, derived from the handlers themselves. `openapi.yaml` at the repository root
//! is this document written out (`mash openapi > openapi.yaml`); a test keeps the two identical.

use actix_router::ResourceDef;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::error::{ApiError, PROBLEM_JSON};
use crate::vocabulary::ContactKind;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::link::LinkBuilder;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mash: multi-agency shared child record",
        description = "Police, health, social care and legal practitioners log their contacts against one shared \
child record; the service shows every agency's concerns together. Every error is `application/problem+json` \
(RFC 9457). Lists take `limit` (1-500, default 50) and `cursor`, and answer `{items, next_cursor}`. Times are \
RFC 3339; ids are UUIDs.",
        version = "1.0.0",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "auth", description = "Logging in and who the caller is"),
        (name = "users", description = "User administration, for facilitators"),
        (name = "children", description = "Child records: identity, status, sharing mode"),
        (name = "people", description = "People linked to a child, and police checks on them"),
        (name = "contacts", description = "Agency contacts and their amendments"),
        (name = "combined", description = "The combined view: chronology, concern summary, gap report. Each is computed over exactly the entries the caller may see in full: facilitators see the combined record; in a siloed record an agency user's views are its own agency's alone; other agencies' restricted contacts are stubs."),
        (name = "process", description = "The safeguarding process: referrals and their decisions, strategy \
discussions, section 47 enquiries, assessments, child protection conferences, core groups, plans and their actions, \
legal planning meetings, and the statutory clocks they start. Records are never changed: each change of state \
(acknowledged, decided, concluded, completed, marked) is appended to the record's history."),
        (name = "audit", description = "The audit trail: every read and write of child data, every login and user \
administration action; append-only and chained by hash"),
        (name = "health", description = "Liveness and readiness"),
        (name = "meta", description = "This contract"),
    ),
    security(("bearer" = []))
)]
pub struct ApiDoc;

pub struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some("An `access_token` from `POST /api/v1/auth/login`.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The problems every operation of a kind can answer, documented once here rather than on each
/// handler: an operation keeps any it documents itself.
pub struct StandardProblems;

const STANDARD: [(&str, &str); 10] = [
    ("400", "Malformed request (unparseable JSON)"),
    ("401", "Missing, invalid or expired bearer token"),
    ("403", "The caller's role or agency may not do this"),
    ("404", "No such resource"),
    ("413", "Request body over 1 MiB"),
    ("415", "Request body is not application/json"),
    (
        "422",
        "A field is missing, unknown or invalid; `field` names it",
    ),
    (
        "429",
        "Too many failed requests from this address; retry after `Retry-After` seconds",
    ),
    ("500", "The server failed"),
    (
        "503",
        "The database is unreachable or busy; retry after `Retry-After` seconds",
    ),
];

impl Modify for StandardProblems {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (code, description) in STANDARD {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_JSON,
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                )
                .build();
            components
                .responses
                .insert(problem_response_name(code), RefOr::T(response));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for (method, operation) in operations(item) {
                let secured = operation.security.as_ref().is_none_or(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let has_query = operation.parameters.as_ref().is_some_and(|ps| {
                    ps.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == utoipa::openapi::path::ParameterIn::Query))
                });
                let is_meta = path.starts_with("/healthz") || path.starts_with("/openapi");
                let wanted: Vec<&str> = STANDARD
                    .iter()
                    .map(|(code, _)| *code)
                    .filter(|code| match *code {
                        "400" | "413" | "415" => has_body,
                        "401" => secured,
                        "403" => secured,
                        "404" => has_path_params,
                        "422" => has_body || has_query,
                        // A client that keeps failing is refused before its request is read.
                        "429" => secured,
                        "500" => !is_meta,
                        "503" => !is_meta && method != HttpMethod::Options,
                        _ => false,
                    })
                    .collect();
                for code in wanted {
                    operation
                        .responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| {
                            RefOr::Ref(Ref::new(format!(
                                "#/components/responses/{}",
                                problem_response_name(code)
                            )))
                        });
                }
            }
        }
    }
}

fn problem_response_name(code: &str) -> String {
    format!("Problem{code}")
}

fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<(HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
        (HttpMethod::Options, item.options.as_mut()),
        (HttpMethod::Head, item.head.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

fn http_method(m: HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Post => Method::POST,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        _ => Method::TRACE,
    }
}

/// The documented routes, for telling "no such path" (404) from "not with this method" (405).
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_doc(doc: &OpenApiDoc) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut item = item.clone();
                let methods = operations(&mut item)
                    .into_iter()
                    .map(|(m, _)| http_method(m))
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods a path allows, if the path is known at all.
    pub fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, m)| m.as_slice())
    }
}

/// Answers requests no route took: 405 with `Allow` for a known path, else 404.
pub async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match routes.allowed(req.path()) {
        Some(methods) => ApiError::MethodNotAllowed {
            allow: methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        },
        None => ApiError::NotFound(format!("no route for {}", req.path())),
    })
}

/// The served copy of the contract.
pub struct ContractYaml(pub String);

/// This contract, as YAML.
#[utoipa::path(
    tag = "meta",
    operation_id = "getOpenApi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/yaml", body = Object)),
    security(())
)]
#[get("/openapi.yaml")]
pub async fn openapi_yaml(contract: web::Data<ContractYaml>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(contract.0.clone())
}

/// A link from one operation's answer to an operation its ids feed.
struct OperationLink {
    from: &'static str,
    status: &'static str,
    name: &'static str,
    target: &'static str,
    parameters: &'static [(&'static str, &'static str)],
}

/// Links from a response's ids to the operations they feed, so that clients and stateful testers can
/// follow them.
const LINKS: &[OperationLink] = &[
    OperationLink {
        from: "login",
        status: "200",
        name: "me",
        target: "getMe",
        parameters: &[],
    },
    OperationLink {
        from: "createUser",
        status: "201",
        name: "update",
        target: "updateUser",
        parameters: &[("user_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "read",
        target: "getChild",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "logContact",
        target: "createContact",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "recordPerson",
        target: "createPerson",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "chronology",
        target: "getChronology",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "gapReport",
        target: "getGapReport",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createContact",
        status: "201",
        name: "read",
        target: "getContact",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("contact_id", "$response.body#/id"),
        ],
    },
    OperationLink {
        from: "createContact",
        status: "201",
        name: "amend",
        target: "amendContact",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("contact_id", "$response.body#/id"),
        ],
    },
    OperationLink {
        from: "createPerson",
        status: "201",
        name: "recordCheck",
        target: "createCheck",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("person_id", "$response.body#/id"),
        ],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "makeReferral",
        target: "createReferral",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "holdConference",
        target: "createConference",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "holdStrategyDiscussion",
        target: "createStrategyDiscussion",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createChild",
        status: "201",
        name: "timescales",
        target: "getTimescales",
        parameters: &[("child_id", "$response.body#/id")],
    },
    OperationLink {
        from: "createReferral",
        status: "201",
        name: "acknowledge",
        target: "acknowledgeReferral",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("referral_id", "$response.body#/id"),
        ],
    },
    OperationLink {
        from: "createReferral",
        status: "201",
        name: "decide",
        target: "decideReferral",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("referral_id", "$response.body#/id"),
        ],
    },
    OperationLink {
        from: "decideReferral",
        status: "201",
        name: "completeAssessment",
        target: "completeAssessment",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("assessment_id", "$response.body#/related/0/id"),
        ],
    },
    OperationLink {
        from: "createStrategyDiscussion",
        status: "201",
        name: "concludeEnquiry",
        target: "concludeSection47Enquiry",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("enquiry_id", "$response.body#/related/0/id"),
        ],
    },
    OperationLink {
        from: "createConference",
        status: "201",
        name: "addPlanAction",
        target: "createPlanAction",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("plan_id", "$response.body#/related/0/id"),
        ],
    },
    OperationLink {
        from: "createConference",
        status: "201",
        name: "planActions",
        target: "listPlanActions",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("plan_id", "$response.body#/related/0/id"),
        ],
    },
    OperationLink {
        from: "createPlanAction",
        status: "201",
        name: "mark",
        target: "markPlanAction",
        parameters: &[
            ("child_id", "$response.body#/child_id"),
            ("plan_id", "$response.body#/plan_id"),
            ("action_id", "$response.body#/id"),
        ],
    },
];

/// A plausible contact of each kind, so that the contract shows a request for every kind.
fn contact_example(kind: ContactKind) -> serde_json::Value {
    use serde_json::json;
    let mut body = match kind {
        ContactKind::HospitalAdmission | ContactKind::HospitalAttendance => json!({
            "summary": "Bruising to the face and body; mother says another child pushed him",
            "child_seen": true,
            "injuries": [{"body_location": "face", "type": "bruise", "description": "extensive bruising"}],
            "explanation": {"given_by": "mother", "category": "another_child", "text": "pushed by another child"},
            "examination": {"completed": true},
            "opinion": "non_accidental_injury_suspected", "concern_level": "high",
            "concern_categories": ["physical_injury"], "outcome": "referred_to_police"}),
        ContactKind::HomeVisit => json!({
            "summary": "Pre-arranged visit; face covered in chocolate", "child_seen": true,
            "appearance_obscured": true, "concern_level": "medium"}),
        ContactKind::ClinicAppointment | ContactKind::GpAppointment => json!({
            "summary": "Development check not completed", "child_seen": true,
            "examination": {"completed": false, "reason_incomplete": "child miserable and cranky"}}),
        ContactKind::PoliceInterview | ContactKind::Arrest => json!({
            "summary": "Mother interviewed under caution; blames another child", "visibility": "restricted",
            "explanation": {"given_by": "mother", "category": "another_child"}, "concern_level": "high",
            "outcome": "further_investigation"}),
        ContactKind::Referral => {
            json!({"summary": "Referral from the hospital", "concern_level": "high",
            "concern_categories": ["physical_injury"], "outcome": "referred_to_social_care"})
        }
        ContactKind::StrategyDiscussion | ContactKind::CaseConference => json!({
            "summary": "Multi-agency discussion of the injuries", "concern_level": "high",
            "outcome": "child_protection_plan", "actions": ["Police check on the mother's partner"]}),
        ContactKind::LegalAdvice => json!({"summary": "Threshold for care proceedings not met",
            "outcome": "threshold_for_care_not_met"}),
        ContactKind::ChargingDecision => json!({"summary": "Not enough evidence to prosecute",
            "outcome": "insufficient_evidence"}),
        ContactKind::PhoneCall | ContactKind::Other => {
            json!({"summary": "Mother told she will not be prosecuted",
            "outcome": "no_further_action"})
        }
    };
    body["occurred_at"] = json!("2007-06-28T10:00:00Z");
    body["kind"] = json!(kind.as_str());
    body
}

/// Adds the links above and an example request for every kind of contact.
pub struct ExamplesAndLinks;

impl Modify for ExamplesAndLinks {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        for item in openapi.paths.paths.values_mut() {
            for (_, operation) in operations(item) {
                let id = operation.operation_id.clone().unwrap_or_default();
                for link in LINKS.iter().filter(|l| l.from == id) {
                    if let Some(RefOr::T(response)) =
                        operation.responses.responses.get_mut(link.status)
                    {
                        let built = link
                            .parameters
                            .iter()
                            .fold(LinkBuilder::new().operation_id(link.target), |l, (p, v)| {
                                l.parameter(*p, *v)
                            })
                            .description(format!(
                                "Follow {}'s answer to {}",
                                link.from, link.target
                            ))
                            .build();
                        response
                            .links
                            .insert(link.name.to_string(), RefOr::T(built));
                    }
                }
                if id == "createContact"
                    && let Some(content) = operation
                        .request_body
                        .as_mut()
                        .and_then(|b| match b {
                            RefOr::T(body) => body.content.get_mut("application/json"),
                            RefOr::Ref(_) => None,
                        })
                        .and_then(|c| match c {
                            RefOr::T(content) => Some(content),
                            RefOr::Ref(_) => None,
                        })
                {
                    for kind in ContactKind::ALL {
                        let example = ExampleBuilder::new()
                            .summary(format!("A {} contact", kind.as_str().replace('_', " ")))
                            .value(Some(contact_example(*kind)))
                            .build();
                        content
                            .examples
                            .insert(kind.as_str().to_string(), RefOr::T(example));
                    }
                }
            }
        }
    }
}

/// Documents `Idempotency-Key` on the operations that create something (see `idempotency`).
pub struct IdempotencyKeys;

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        for item in openapi.paths.paths.values_mut() {
            for (_, operation) in operations(item) {
                let id = operation.operation_id.clone().unwrap_or_default();
                if !crate::routes::by_operation_id(id.as_str()).is_some_and(|r| r.creates) {
                    continue;
                }
                let parameter = ParameterBuilder::new()
                    .name(crate::idempotency::HEADER)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "Makes a retry safe: 1 to 255 visible ASCII characters. The same key with the same request \
                         answers the first success again (marked `Idempotent-Replayed: true`, and only as the policy \
                         would answer the request now) and creates nothing new; with a different request it is a \
                         422; while the first is still running, a 409.",
                    ))
                    // Visible ASCII only, as the service takes it: stated, so a key the schema
                    // allows is never refused for its characters.
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .max_length(Some(255))
                            .pattern(Some("^[!-~]{1,255}$")),
                    ))
                    .build();
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .push(RefOr::T(parameter));
                operation.responses.responses.entry("409".into()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("A request with this Idempotency-Key is still in progress, or the resource exists")
                            .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))))
                            .build(),
                    )
                });
                // A key that is not 1 to 255 visible characters, or reused for another request,
                // even on an operation that takes no body.
                operation.responses.responses.entry("422".into()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("The Idempotency-Key is malformed, or was used for a different request")
                            .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))))
                            .build(),
                    )
                });
            }
        }
    }
}

/// Closes the objects that are also stored as JSON (`contacts::types::STORED_AS_JSON`): they take
/// no field they do not name, as every request body, though their Rust types read back unknown
/// fields from storage.
pub struct ClosedStoredObjects;

impl Modify for ClosedStoredObjects {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in crate::contacts::types::STORED_AS_JSON {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// Writes a record whose fields are flattened beside a tagged union (`ProcessRecord` beside its
/// `Details`, `ProcessEvent` beside its `EventDetails`) as one union of whole objects, one per
/// variant, instead of `allOf` of an object and a `oneOf`: the same documents, in a shape client
/// generators can take (they refuse `allOf` over a union).
pub struct FlattenedUnions;

impl Modify for FlattenedUnions {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        use serde_json::{Map, Value, json};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Ok(all) = serde_json::to_value(&components.schemas) else {
            return;
        };
        for (name, schema) in components.schemas.iter_mut() {
            let Some(parts) = all[name]["allOf"].as_array() else {
                continue;
            };
            let mut variants = None;
            let mut base = Map::new();
            let mut required = Vec::new();
            let mut plain = true;
            for part in parts {
                let target = part["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"));
                match target {
                    Some(target) if all[target]["oneOf"].is_array() => {
                        variants = all[target]["oneOf"].as_array().cloned();
                    }
                    None if part["type"] == "object" => {
                        base.extend(part["properties"].as_object().cloned().unwrap_or_default());
                        required.extend(part["required"].as_array().cloned().unwrap_or_default());
                    }
                    _ => plain = false,
                }
            }
            let (Some(variants), true) = (variants, plain) else {
                continue;
            };
            let whole: Vec<Value> = variants
                .iter()
                .map(|variant| {
                    let mut properties = variant["properties"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    properties.extend(base.clone());
                    let mut needed = variant["required"].as_array().cloned().unwrap_or_default();
                    needed.extend(required.iter().cloned());
                    let mut object =
                        json!({"type": "object", "required": needed, "properties": properties});
                    if let Some(description) = variant.get("description") {
                        object["description"] = description.clone();
                    }
                    object
                })
                .collect();
            let union = json!({"description": all[name]["description"], "oneOf": whole});
            if let Ok(flattened) = serde_json::from_value(union) {
                *schema = flattened;
            }
        }
    }
}

#[cfg(test)]
mod component_names {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The schema component names `text` declares: types deriving `ToSchema` (under their
    /// `#[schema(as = …)]` name where they have one), the closed vocabularies, and pages.
    fn declared(text: &str) -> Vec<(String, usize)> {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim();
            if line.starts_with("#[derive(") {
                let mut attribute = String::new();
                let mut j = i;
                while j < lines.len() {
                    attribute.push_str(lines[j]);
                    if lines[j].contains(")]") {
                        break;
                    }
                    j += 1;
                }
                if attribute.contains("ToSchema") {
                    let mut renamed = None;
                    for (k, next) in lines.iter().enumerate().skip(j + 1) {
                        let next = next.trim();
                        if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                            renamed = rest.split([')', ',']).next().map(str::to_string);
                        }
                        let item = ["pub struct ", "pub enum ", "struct ", "enum "]
                            .iter()
                            .find_map(|p| next.strip_prefix(p));
                        if let Some(item) = item {
                            let name: String = item
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect();
                            if !name.is_empty() {
                                out.push((renamed.unwrap_or(name), k + 1));
                            }
                            break;
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            if line == "vocabulary! {"
                && let Some((k, name)) = lines
                    .iter()
                    .enumerate()
                    .skip(i + 1)
                    .map(|(k, l)| (k, l.trim()))
                    .find(|(_, l)| !l.starts_with("///") && !l.starts_with("#["))
            {
                out.push((name.trim_end_matches(" {").to_string(), k + 1));
            }
            if let Some(rest) = line.strip_prefix("const PAGE: &'static str = \"") {
                out.push((rest.trim_end_matches("\";").to_string(), i + 1));
            }
            i += 1;
        }
        out
    }

    fn walk(dir: &Path, found: &mut BTreeMap<String, Vec<String>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (name, line) in declared(&text) {
                    found
                        .entry(name)
                        .or_default()
                        .push(format!("{}:{line}", path.display()));
                }
            }
        }
    }

    /// utoipa keeps one component per name and lets the last type of a name silently stand for
    /// every other (two `NewDecision`s once made one operation document the other's body), so no
    /// two types may take one name.
    #[test]
    fn no_two_types_take_one_component_name() {
        let mut found = BTreeMap::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.len() > 100, "only {} names found", found.len());
        assert!(found.contains_key("Agency") && found.contains_key("ChildPage"));
        let clashes: Vec<_> = found.iter().filter(|(_, at)| at.len() > 1).collect();
        assert!(
            clashes.is_empty(),
            "one component name, several types: {clashes:#?}"
        );
    }

    #[test]
    fn the_scan_sees_derives_renames_vocabularies_and_pages() {
        let text = "#[derive(Debug,\n    ToSchema)]\n#[schema(as = Other)]\npub struct One {}\n\
                    vocabulary! {\n    /// doc\n    Kind {\n        A = \"a\",\n    }\n}\n\
                    impl Listed for X {\n    const PAGE: &'static str = \"XPage\";\n}\n\
                    #[derive(Debug)]\nstruct Plain;\n";
        let names: Vec<String> = declared(text).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Other", "Kind", "XPage"]);
    }
}
