//! Every operation of the service, once, with what the cross-cutting machinery needs to know of it:
//! how the audit trail records it, which path parameters name its resource and child, whether it
//! writes, and whether it creates something (and so takes an `Idempotency-Key`). The audit and
//! idempotency middleware and the contract read this table; a test holds it to the routes the
//! server registers, so a route nobody described fails the suite instead of going unaudited.

use actix_web::http::Method;

/// How the audit trail records an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// One event per request under this action: a successful write records it in its own
    /// transaction (see `audit::Recorder`); every other outcome is recorded by the middleware.
    Trail(AuditAction),
    /// The handler records its own events, whatever the outcome (logins and refreshes, which have
    /// no caller to name until they succeed).
    ByHandler,
    /// Touches no child data and no account: health checks and the contract.
    No,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path pattern as the server matches it.
    pub path: &'static str,
    pub operation_id: &'static str,
    pub audit: Audit,
    /// The path parameter naming the resource, if any.
    pub resource_param: Option<&'static str>,
    /// Changes something.
    pub writes: bool,
    /// Creates something: takes an `Idempotency-Key`.
    pub creates: bool,
}

impl Route {
    /// The action of an operation the trail records.
    pub fn action(&self) -> Option<AuditAction> {
        match self.audit {
            Audit::Trail(action) => Some(action),
            _ => None,
        }
    }
}

/// The path parameter that names the child, wherever a route has one.
pub const CHILD_PARAM: &str = "child_id";

/// The value of `{name}` in `path`, matched against its route's `pattern` segment by segment: for
/// middleware that runs before the router has filled in the request's match info.
pub fn param_of<'a>(pattern: &str, path: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("{{{name}}}");
    let at = pattern.split('/').position(|segment| segment == wanted)?;
    path.split('/').nth(at)
}

/// Declares the actions and the table from one row each: the actions only handlers record, then
/// every route as `kind METHOD "path" operationId [=> Action "stored.name" "resource"] [about param];`.
/// The kinds: `read` (audited, changes nothing), `write` (audited, changes something), `create` (a
/// write that takes an `Idempotency-Key`), `by_handler` (a write whose handler records its own
/// events) and `unaudited`.
macro_rules! routes {
    (@maybe) => { None };
    (@maybe $value:expr) => { Some($value) };
    (
        recorded by handlers { $( $h:ident $h_stored:literal $h_resource:literal; )* }
        routes { $(
            $kind:ident $method:ident $path:literal $op:ident
            $( => $action:ident $stored:literal $resource:literal )?
            $( about $param:ident )? ;
        )* }
    ) => {
        /// What the audit trail calls an action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $( $h, )*
            $( $( $action, )? )*
        }

        impl AuditAction {
            /// The action as the trail stores it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$h => $h_stored, )*
                    $( $( Self::$action => $stored, )? )*
                }
            }

            /// The kind of resource the action is about, as the trail stores it.
            pub fn resource_type(self) -> &'static str {
                match self {
                    $( Self::$h => $h_resource, )*
                    $( $( Self::$action => $resource, )? )*
                }
            }
        }

        /// Every operation the server routes.
        pub static ROUTES: &[Route] = &[ $(
            $kind(
                (
                    stringify!($method),
                    $path,
                    stringify!($op),
                    routes!(@maybe $( stringify!($param) )?),
                ),
                routes!(@maybe $( AuditAction::$action )?),
            ),
        )* ];
    };
}

/// A row's method, path, operation id and resource parameter.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const fn row(
    (method, path, operation_id, resource_param): Row,
    audit: Audit,
    writes: bool,
    creates: bool,
) -> Route {
    Route {
        method,
        path,
        operation_id,
        audit,
        resource_param,
        writes,
        creates,
    }
}

const fn trail(action: Option<AuditAction>) -> Audit {
    match action {
        Some(action) => Audit::Trail(action),
        None => panic!("an audited route names its action"),
    }
}

const fn read(row_of: Row, action: Option<AuditAction>) -> Route {
    row(row_of, trail(action), false, false)
}

const fn write(row_of: Row, action: Option<AuditAction>) -> Route {
    row(row_of, trail(action), true, false)
}

const fn create(row_of: Row, action: Option<AuditAction>) -> Route {
    row(row_of, trail(action), true, true)
}

const fn by_handler(row_of: Row, _: Option<AuditAction>) -> Route {
    row(row_of, Audit::ByHandler, true, false)
}

const fn unaudited(row_of: Row, _: Option<AuditAction>) -> Route {
    row(row_of, Audit::No, false, false)
}

routes! {
    recorded by handlers {
        AuthLogin "auth.login" "session";
        AuthLoginFailed "auth.login_failed" "session";
        AuthRefresh "auth.refresh" "session";
        AuthRefreshFailed "auth.refresh_failed" "session";
    }
    routes {
    unaudited  GET   "/healthz" healthz;
    unaudited  GET   "/readyz" readyz;
    unaudited  GET   "/openapi.yaml" getOpenApi;
    unaudited  GET   "/metrics" getMetrics;
    by_handler POST  "/api/v1/auth/login" login;
    by_handler POST  "/api/v1/auth/refresh" refreshSession;
    write      POST  "/api/v1/auth/logout" logout => AuthLogout "auth.logout" "session";
    unaudited  GET   "/api/v1/me" getMe;
    write      POST  "/api/v1/me/password" changeOwnPassword => UserPasswordChange "user.password_change" "user";
    create     POST  "/api/v1/users" createUser => UserCreate "user.create" "user";
    read       GET   "/api/v1/users" listUsers => UserList "user.list" "user";
    write      PATCH "/api/v1/users/{user_id}" updateUser => UserUpdate "user.update" "user" about user_id;
    write      POST  "/api/v1/users/{user_id}/unlock" unlockUser => UserUnlock "user.unlock" "user" about user_id;
    create     POST  "/api/v1/children" createChild => ChildCreate "child.create" "child";
    read       GET   "/api/v1/children" searchChildren => ChildSearch "child.search" "child";
    read       GET   "/api/v1/children/{child_id}" getChild => ChildRead "child.read" "child" about child_id;
    write      PATCH "/api/v1/children/{child_id}" updateChild => ChildUpdate "child.update" "child" about child_id;
    write      PUT   "/api/v1/children/{child_id}/sharing-mode" setSharingMode => ChildSharingModeChange "child.sharing_mode_change" "child" about child_id;
    create     POST  "/api/v1/children/{child_id}/people" createPerson => PersonCreate "person.create" "person";
    read       GET   "/api/v1/children/{child_id}/people" listPeople => PersonList "person.list" "person";
    create     POST  "/api/v1/children/{child_id}/people/{person_id}/checks" createCheck => CheckCreate "check.create" "check" about person_id;
    create     POST  "/api/v1/children/{child_id}/contacts" createContact => ContactCreate "contact.create" "contact";
    read       GET   "/api/v1/children/{child_id}/contacts" listContacts => ContactList "contact.list" "contact";
    read       GET   "/api/v1/children/{child_id}/contacts/{contact_id}" getContact => ContactRead "contact.read" "contact" about contact_id;
    create     POST  "/api/v1/children/{child_id}/contacts/{contact_id}/amendments" amendContact => ContactAmend "contact.amend" "contact" about contact_id;
    read       GET   "/api/v1/children/{child_id}/chronology" getChronology => ChronologyRead "chronology.read" "chronology" about child_id;
    read       GET   "/api/v1/children/{child_id}/concerns" getConcerns => ConcernsRead "concerns.read" "concerns" about child_id;
    read       GET   "/api/v1/children/{child_id}/gap-report" getGapReport => GapReportRead "gap_report.read" "gap_report" about child_id;
    create     POST  "/api/v1/children/{child_id}/referrals" createReferral => ReferralCreate "referral.create" "referral";
    read       GET   "/api/v1/children/{child_id}/referrals" listReferrals => ReferralList "referral.list" "referral";
    read       GET   "/api/v1/children/{child_id}/referrals/{referral_id}" getReferral => ReferralRead "referral.read" "referral" about referral_id;
    create     POST  "/api/v1/children/{child_id}/referrals/{referral_id}/acknowledgement" acknowledgeReferral => ReferralAcknowledge "referral.acknowledge" "referral" about referral_id;
    create     POST  "/api/v1/children/{child_id}/referrals/{referral_id}/decision" decideReferral => ReferralDecide "referral.decide" "referral" about referral_id;
    create     POST  "/api/v1/children/{child_id}/strategy-discussions" createStrategyDiscussion => StrategyDiscussionCreate "strategy_discussion.create" "strategy_discussion";
    read       GET   "/api/v1/children/{child_id}/strategy-discussions" listStrategyDiscussions => StrategyDiscussionList "strategy_discussion.list" "strategy_discussion";
    read       GET   "/api/v1/children/{child_id}/section-47-enquiries" listSection47Enquiries => EnquiryList "section_47_enquiry.list" "section_47_enquiry";
    create     POST  "/api/v1/children/{child_id}/section-47-enquiries/{enquiry_id}/conclusion" concludeSection47Enquiry => EnquiryConclude "section_47_enquiry.conclude" "section_47_enquiry" about enquiry_id;
    read       GET   "/api/v1/children/{child_id}/assessments" listAssessments => AssessmentList "assessment.list" "assessment";
    create     POST  "/api/v1/children/{child_id}/assessments/{assessment_id}/completion" completeAssessment => AssessmentComplete "assessment.complete" "assessment" about assessment_id;
    create     POST  "/api/v1/children/{child_id}/conferences" createConference => ConferenceCreate "conference.create" "conference";
    read       GET   "/api/v1/children/{child_id}/conferences" listConferences => ConferenceList "conference.list" "conference";
    create     POST  "/api/v1/children/{child_id}/core-groups" createCoreGroup => CoreGroupCreate "core_group.create" "core_group";
    read       GET   "/api/v1/children/{child_id}/core-groups" listCoreGroups => CoreGroupList "core_group.list" "core_group";
    read       GET   "/api/v1/children/{child_id}/plans" listPlans => PlanList "plan.list" "plan";
    create     POST  "/api/v1/children/{child_id}/plans/{plan_id}/actions" createPlanAction => PlanActionCreate "plan_action.create" "plan_action" about plan_id;
    read       GET   "/api/v1/children/{child_id}/plans/{plan_id}/actions" listPlanActions => PlanActionList "plan_action.list" "plan_action" about plan_id;
    create     POST  "/api/v1/children/{child_id}/plans/{plan_id}/actions/{action_id}/marks" markPlanAction => PlanActionMark "plan_action.mark" "plan_action" about action_id;
    create     POST  "/api/v1/children/{child_id}/legal-planning-meetings" createLegalPlanningMeeting => LegalPlanningMeetingCreate "legal_planning_meeting.create" "legal_planning_meeting";
    read       GET   "/api/v1/children/{child_id}/legal-planning-meetings" listLegalPlanningMeetings => LegalPlanningMeetingList "legal_planning_meeting.list" "legal_planning_meeting";
    create     POST  "/api/v1/children/{child_id}/challenges" createChallenge => ChallengeCreate "challenge.create" "challenge";
    read       GET   "/api/v1/children/{child_id}/challenges" listChallenges => ChallengeList "challenge.list" "challenge";
    create     POST  "/api/v1/children/{child_id}/involvements" createInvolvement => InvolvementCreate "involvement.create" "involvement";
    read       GET   "/api/v1/children/{child_id}/involvements" listInvolvements => InvolvementList "involvement.list" "involvement";
    create     POST  "/api/v1/children/{child_id}/challenges/{challenge_id}/response" respondToChallenge => ChallengeRespond "challenge.respond" "challenge" about challenge_id;
    read       GET   "/api/v1/children/{child_id}/timescales" getTimescales => TimescalesRead "timescales.read" "timescales" about child_id;
    read       GET   "/api/v1/children/{child_id}/timeline.svg" getTimelineSvg => TimelineRead "timeline.read" "timeline" about child_id;
    read       GET   "/api/v1/children/{child_id}/chronology.csv" getChronologyCsv => ChronologyExport "chronology.export" "chronology" about child_id;
    read       GET   "/api/v1/children/{child_id}/debrief" getDebrief => DebriefRead "debrief.read" "debrief" about child_id;
    read       GET   "/api/v1/me/alerts" listAlerts => AlertList "alert.list" "alert";
    write      POST  "/api/v1/me/alerts/{alert_id}/read" markAlertRead => AlertRead "alert.read" "alert";
    read       GET   "/api/v1/me/alerts/stream" streamAlerts => AlertStream "alert.stream" "alert";
    create     POST  "/api/v1/children/{child_id}/break-glass" breakGlass => BreakGlassCreate "break_glass.create" "break_glass";
    create     POST  "/api/v1/children/{child_id}/disclosures" createDisclosure => DisclosureCreate "disclosure.create" "disclosure";
    create     POST  "/api/v1/children/{child_id}/sharing-refusals" createSharingRefusal => SharingRefusalCreate "sharing_refusal.create" "sharing_refusal";
    read       GET   "/api/v1/children/{child_id}/sharing-decisions" getSharingDecisions => SharingDecisionsRead "sharing_decisions.read" "sharing_decisions" about child_id;
    read       GET   "/api/v1/break-glass" listBreakGlass => BreakGlassList "break_glass.list" "break_glass";
    create     POST  "/api/v1/break-glass/{break_glass_id}/review" reviewBreakGlass => BreakGlassReview "break_glass.review" "break_glass" about break_glass_id;
    // The timeline page and its assets hold no child data: the page reads the SVG with the
    // signed-in user's token.
    unaudited  GET   "/children/{child_id}/timeline" getTimelinePage;
    unaudited  GET   "/assets/timeline.js" getTimelineScript;
    unaudited  GET   "/assets/timeline.css" getTimelineStyle;
    // As the timeline page: the exercise page reads everything with the facilitator's token.
    unaudited  GET   "/exercises/{exercise_id}" getExercisePage;
    unaudited  GET   "/assets/exercise.js" getExerciseScript;
    // Not keyed for replay: its answer holds every trainee's password, which is kept nowhere.
    write      POST  "/api/v1/exercises" createExercise => ExerciseCreate "exercise.create" "exercise";
    read       GET   "/api/v1/exercises" listExercises => ExerciseList "exercise.list" "exercise";
    read       GET   "/api/v1/exercises/{exercise_id}" getExercise => ExerciseRead "exercise.read" "exercise" about exercise_id;
    create     POST  "/api/v1/exercises/{exercise_id}/advance" advanceExercise => ExerciseAdvance "exercise.advance" "exercise" about exercise_id;
    create     POST  "/api/v1/exercises/{exercise_id}/reset" resetExercise => ExerciseReset "exercise.reset" "exercise" about exercise_id;
    create     POST  "/api/v1/exercises/{exercise_id}/end" endExercise => ExerciseEnd "exercise.end" "exercise" about exercise_id;
    create     POST  "/api/v1/exercises/{exercise_id}/decisions" createExerciseDecision => ExerciseDecisionCreate "exercise_decision.create" "exercise_decision";
    read       GET   "/api/v1/exercises/{exercise_id}/decisions" listExerciseDecisions => ExerciseDecisionList "exercise_decision.list" "exercise_decision" about exercise_id;
    read       GET   "/api/v1/exercises/{exercise_id}/scores" getExerciseScores => ExerciseScoresRead "exercise.scores_read" "exercise" about exercise_id;
    read       GET   "/api/v1/exercises/{exercise_id}/debrief" getExerciseDebrief => ExerciseDebriefRead "exercise.debrief_read" "exercise" about exercise_id;
    read       GET   "/api/v1/children/{child_id}/access-log" getAccessLog => AccessLogRead "access_log.read" "access_log" about child_id;
    read       GET   "/api/v1/audit" listAuditEvents => AuditRead "audit.read" "audit";
    read       GET   "/api/v1/audit/verify" verifyAuditChain => AuditVerify "audit.verify" "audit";
    read       GET   "/api/v1/audit/checkpoints" listAuditCheckpoints => AuditCheckpoints "audit.checkpoints" "audit";
    }
}

/// The operation the server matched, by method and path pattern.
pub fn find(method: &Method, pattern: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method == method.as_str() && r.path == pattern)
}

/// The operation with this id.
pub fn by_operation_id(id: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.operation_id == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_parameter_is_read_off_its_pattern() {
        let pattern = "/api/v1/children/{child_id}/disclosures";
        assert_eq!(
            super::param_of(pattern, "/api/v1/children/abc/disclosures", "child_id"),
            Some("abc")
        );
        assert_eq!(super::param_of(pattern, "/api/v1/children/abc", "x"), None);
    }

    use super::*;

    #[test]
    fn each_operation_has_one_row() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
            assert!(by_operation_id(r.operation_id).is_some_and(|o| o.path == r.path));
            if r.creates {
                assert!(r.writes && r.method == "POST", "{}", r.operation_id);
            }
            if let Some(param) = r.resource_param {
                assert!(
                    r.path.contains(&format!("{{{param}}}")),
                    "{}",
                    r.operation_id
                );
            }
        }
    }

    /// Every operation the server registers (the contract is generated from the registrations)
    /// has exactly one row, and every row is registered.
    #[test]
    fn the_table_and_the_registered_routes_agree() {
        let doc = crate::startup::api_doc();
        let mut registered = Vec::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    let route = find(&method.parse().unwrap(), path)
                        .unwrap_or_else(|| panic!("{method} {path} is routed but not in ROUTES"));
                    assert_eq!(
                        operation.operation_id.as_deref(),
                        Some(route.operation_id),
                        "{method} {path}"
                    );
                    registered.push((method, path.clone()));
                }
            }
        }
        for r in ROUTES {
            assert!(
                registered.contains(&(r.method, r.path.to_string())),
                "{} {} is in ROUTES but not routed",
                r.method,
                r.path
            );
        }
        assert_eq!(registered.len(), ROUTES.len());
    }

    #[test]
    fn actions_keep_their_stored_names() {
        let a = find(&Method::GET, "/api/v1/children/{child_id}/gap-report").unwrap();
        assert_eq!(a.action().map(AuditAction::as_str), Some("gap_report.read"));
        assert!(!a.writes);
        let w = find(&Method::POST, "/api/v1/children/{child_id}/contacts").unwrap();
        assert_eq!(
            w.action().map(|a| (a.as_str(), a.resource_type())),
            Some(("contact.create", "contact"))
        );
        assert!(w.writes && w.creates);
        assert_eq!(find(&Method::GET, "/api/v1/me").unwrap().audit, Audit::No);
        assert_eq!(AuditAction::AuthLogout.resource_type(), "session");
    }
}
