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
    ("429", "Too many requests"),
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
                        "429" => false, // documented by the operations that limit
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
