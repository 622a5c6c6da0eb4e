//! Every operation of the service, once, with what the cross-cutting machinery needs to know of it:
//! how the audit trail records it, which path parameters name its resource and child, whether it
//! writes, and whether it creates something (and so takes an `Idempotency-Key`). The audit and
//! idempotency middleware and the contract read this table; a test holds it to the routes the
//! server registers, so a route nobody described fails the suite instead of going unaudited.

use actix_web::http::Method;

/// What the audit trail calls an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    AuthLogin,
    AuthLoginFailed,
    AuthRefresh,
    AuthRefreshFailed,
    AuthLogout,
    UserCreate,
    UserList,
    UserUpdate,
    UserUnlock,
    UserPasswordChange,
    ChildCreate,
    ChildSearch,
    ChildRead,
    ChildUpdate,
    ChildSharingModeChange,
    PersonCreate,
    PersonList,
    CheckCreate,
    ContactCreate,
    ContactList,
    ContactRead,
    ContactAmend,
    ChronologyRead,
    ConcernsRead,
    GapReportRead,
    AccessLogRead,
    AuditRead,
    AuditVerify,
    AuditCheckpoints,
    ReferralCreate,
    ReferralList,
    ReferralRead,
    ReferralAcknowledge,
    ReferralDecide,
    StrategyDiscussionCreate,
    StrategyDiscussionList,
    EnquiryList,
    EnquiryConclude,
    AssessmentList,
    AssessmentComplete,
    ConferenceCreate,
    ConferenceList,
    CoreGroupCreate,
    CoreGroupList,
    PlanList,
    PlanActionCreate,
    PlanActionList,
    PlanActionMark,
    LegalPlanningMeetingCreate,
    LegalPlanningMeetingList,
    ChallengeCreate,
    ChallengeList,
    ChallengeRespond,
    InvolvementCreate,
    InvolvementList,
    BreakGlassCreate,
    BreakGlassList,
    BreakGlassReview,
    AlertList,
    AlertRead,
    AlertStream,
    DisclosureCreate,
    SharingRefusalCreate,
    SharingDecisionsRead,
    TimescalesRead,
    TimelineRead,
    ChronologyExport,
    DebriefRead,
    ExerciseCreate,
    ExerciseList,
    ExerciseRead,
    ExerciseAdvance,
    ExerciseReset,
    ExerciseEnd,
    ExerciseDecisionCreate,
    ExerciseDecisionList,
    ExerciseScoresRead,
    ExerciseDebriefRead,
}

impl AuditAction {
    /// The action as the trail stores it.
    pub fn as_str(self) -> &'static str {
        use AuditAction::*;
        match self {
            AuthLogin => "auth.login",
            AuthLoginFailed => "auth.login_failed",
            AuthRefresh => "auth.refresh",
            AuthRefreshFailed => "auth.refresh_failed",
            AuthLogout => "auth.logout",
            UserCreate => "user.create",
            UserList => "user.list",
            UserUpdate => "user.update",
            UserUnlock => "user.unlock",
            UserPasswordChange => "user.password_change",
            ChildCreate => "child.create",
            ChildSearch => "child.search",
            ChildRead => "child.read",
            ChildUpdate => "child.update",
            ChildSharingModeChange => "child.sharing_mode_change",
            PersonCreate => "person.create",
            PersonList => "person.list",
            CheckCreate => "check.create",
            ContactCreate => "contact.create",
            ContactList => "contact.list",
            ContactRead => "contact.read",
            ContactAmend => "contact.amend",
            ChronologyRead => "chronology.read",
            ConcernsRead => "concerns.read",
            GapReportRead => "gap_report.read",
            AccessLogRead => "access_log.read",
            AuditRead => "audit.read",
            AuditVerify => "audit.verify",
            AuditCheckpoints => "audit.checkpoints",
            ReferralCreate => "referral.create",
            ReferralList => "referral.list",
            ReferralRead => "referral.read",
            ReferralAcknowledge => "referral.acknowledge",
            ReferralDecide => "referral.decide",
            StrategyDiscussionCreate => "strategy_discussion.create",
            StrategyDiscussionList => "strategy_discussion.list",
            EnquiryList => "section_47_enquiry.list",
            EnquiryConclude => "section_47_enquiry.conclude",
            AssessmentList => "assessment.list",
            AssessmentComplete => "assessment.complete",
            ConferenceCreate => "conference.create",
            ConferenceList => "conference.list",
            CoreGroupCreate => "core_group.create",
            CoreGroupList => "core_group.list",
            PlanList => "plan.list",
            PlanActionCreate => "plan_action.create",
            PlanActionList => "plan_action.list",
            PlanActionMark => "plan_action.mark",
            LegalPlanningMeetingCreate => "legal_planning_meeting.create",
            LegalPlanningMeetingList => "legal_planning_meeting.list",
            ChallengeCreate => "challenge.create",
            ChallengeList => "challenge.list",
            ChallengeRespond => "challenge.respond",
            InvolvementCreate => "involvement.create",
            InvolvementList => "involvement.list",
            BreakGlassCreate => "break_glass.create",
            BreakGlassList => "break_glass.list",
            BreakGlassReview => "break_glass.review",
            AlertList => "alert.list",
            AlertRead => "alert.read",
            AlertStream => "alert.stream",
            DisclosureCreate => "disclosure.create",
            SharingRefusalCreate => "sharing_refusal.create",
            SharingDecisionsRead => "sharing_decisions.read",
            TimescalesRead => "timescales.read",
            TimelineRead => "timeline.read",
            ChronologyExport => "chronology.export",
            DebriefRead => "debrief.read",
            ExerciseCreate => "exercise.create",
            ExerciseList => "exercise.list",
            ExerciseRead => "exercise.read",
            ExerciseAdvance => "exercise.advance",
            ExerciseReset => "exercise.reset",
            ExerciseEnd => "exercise.end",
            ExerciseDecisionCreate => "exercise_decision.create",
            ExerciseDecisionList => "exercise_decision.list",
            ExerciseScoresRead => "exercise.scores_read",
            ExerciseDebriefRead => "exercise.debrief_read",
        }
    }

    /// The kind of resource the action is about, as the trail stores it.
    pub fn resource_type(self) -> &'static str {
        use AuditAction::*;
        match self {
            AuthLogin | AuthLoginFailed | AuthRefresh | AuthRefreshFailed | AuthLogout => "session",
            UserCreate | UserList | UserUpdate | UserUnlock | UserPasswordChange => "user",
            ChildCreate | ChildSearch | ChildRead | ChildUpdate | ChildSharingModeChange => "child",
            PersonCreate | PersonList => "person",
            CheckCreate => "check",
            ContactCreate | ContactList | ContactRead | ContactAmend => "contact",
            ChronologyRead | ChronologyExport => "chronology",
            TimelineRead => "timeline",
            DebriefRead => "debrief",
            ConcernsRead => "concerns",
            GapReportRead => "gap_report",
            AccessLogRead => "access_log",
            AuditRead | AuditVerify | AuditCheckpoints => "audit",
            ReferralCreate | ReferralList | ReferralRead | ReferralAcknowledge | ReferralDecide => {
                "referral"
            }
            StrategyDiscussionCreate | StrategyDiscussionList => "strategy_discussion",
            EnquiryList | EnquiryConclude => "section_47_enquiry",
            AssessmentList | AssessmentComplete => "assessment",
            ConferenceCreate | ConferenceList => "conference",
            CoreGroupCreate | CoreGroupList => "core_group",
            PlanList => "plan",
            PlanActionCreate | PlanActionList | PlanActionMark => "plan_action",
            LegalPlanningMeetingCreate | LegalPlanningMeetingList => "legal_planning_meeting",
            ChallengeCreate | ChallengeList | ChallengeRespond => "challenge",
            InvolvementCreate | InvolvementList => "involvement",
            BreakGlassCreate | BreakGlassList | BreakGlassReview => "break_glass",
            AlertList | AlertRead | AlertStream => "alert",
            DisclosureCreate => "disclosure",
            SharingRefusalCreate => "sharing_refusal",
            SharingDecisionsRead => "sharing_decisions",
            TimescalesRead => "timescales",
            ExerciseCreate | ExerciseList | ExerciseRead | ExerciseAdvance | ExerciseReset
            | ExerciseEnd | ExerciseScoresRead | ExerciseDebriefRead => "exercise",
            ExerciseDecisionCreate | ExerciseDecisionList => "exercise_decision",
        }
    }
}

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

const fn read(path: &'static str, operation_id: &'static str, action: AuditAction) -> Route {
    Route {
        method: "GET",
        path,
        operation_id,
        audit: Audit::Trail(action),
        resource_param: None,
        writes: false,
        creates: false,
    }
}

const fn write(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    action: AuditAction,
) -> Route {
    Route {
        method,
        path,
        operation_id,
        audit: Audit::Trail(action),
        resource_param: None,
        writes: true,
        creates: false,
    }
}

const fn create(path: &'static str, operation_id: &'static str, action: AuditAction) -> Route {
    Route {
        creates: true,
        ..write("POST", path, operation_id, action)
    }
}

const fn about(route: Route, param: &'static str) -> Route {
    Route {
        resource_param: Some(param),
        ..route
    }
}

const fn unaudited(method: &'static str, path: &'static str, operation_id: &'static str) -> Route {
    Route {
        method,
        path,
        operation_id,
        audit: Audit::No,
        resource_param: None,
        writes: false,
        creates: false,
    }
}

use AuditAction as A;

const CHILD: &str = CHILD_PARAM;
const EXERCISE: &str = "exercise_id";

/// Every operation the server routes.
pub static ROUTES: &[Route] = &[
    unaudited("GET", "/healthz", "healthz"),
    unaudited("GET", "/readyz", "readyz"),
    unaudited("GET", "/openapi.yaml", "getOpenApi"),
    unaudited("GET", "/metrics", "getMetrics"),
    Route {
        audit: Audit::ByHandler,
        writes: true,
        ..unaudited("POST", "/api/v1/auth/login", "login")
    },
    Route {
        audit: Audit::ByHandler,
        writes: true,
        ..unaudited("POST", "/api/v1/auth/refresh", "refreshSession")
    },
    write("POST", "/api/v1/auth/logout", "logout", A::AuthLogout),
    unaudited("GET", "/api/v1/me", "getMe"),
    write(
        "POST",
        "/api/v1/me/password",
        "changeOwnPassword",
        A::UserPasswordChange,
    ),
    create("/api/v1/users", "createUser", A::UserCreate),
    read("/api/v1/users", "listUsers", A::UserList),
    about(
        write(
            "PATCH",
            "/api/v1/users/{user_id}",
            "updateUser",
            A::UserUpdate,
        ),
        "user_id",
    ),
    about(
        write(
            "POST",
            "/api/v1/users/{user_id}/unlock",
            "unlockUser",
            A::UserUnlock,
        ),
        "user_id",
    ),
    create("/api/v1/children", "createChild", A::ChildCreate),
    read("/api/v1/children", "searchChildren", A::ChildSearch),
    about(
        read("/api/v1/children/{child_id}", "getChild", A::ChildRead),
        CHILD,
    ),
    about(
        write(
            "PATCH",
            "/api/v1/children/{child_id}",
            "updateChild",
            A::ChildUpdate,
        ),
        CHILD,
    ),
    about(
        write(
            "PUT",
            "/api/v1/children/{child_id}/sharing-mode",
            "setSharingMode",
            A::ChildSharingModeChange,
        ),
        CHILD,
    ),
    create(
        "/api/v1/children/{child_id}/people",
        "createPerson",
        A::PersonCreate,
    ),
    read(
        "/api/v1/children/{child_id}/people",
        "listPeople",
        A::PersonList,
    ),
    about(
        create(
            "/api/v1/children/{child_id}/people/{person_id}/checks",
            "createCheck",
            A::CheckCreate,
        ),
        "person_id",
    ),
    create(
        "/api/v1/children/{child_id}/contacts",
        "createContact",
        A::ContactCreate,
    ),
    read(
        "/api/v1/children/{child_id}/contacts",
        "listContacts",
        A::ContactList,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/contacts/{contact_id}",
            "getContact",
            A::ContactRead,
        ),
        "contact_id",
    ),
    about(
        create(
            "/api/v1/children/{child_id}/contacts/{contact_id}/amendments",
            "amendContact",
            A::ContactAmend,
        ),
        "contact_id",
    ),
    about(
        read(
            "/api/v1/children/{child_id}/chronology",
            "getChronology",
            A::ChronologyRead,
        ),
        CHILD,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/concerns",
            "getConcerns",
            A::ConcernsRead,
        ),
        CHILD,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/gap-report",
            "getGapReport",
            A::GapReportRead,
        ),
        CHILD,
    ),
    create(
        "/api/v1/children/{child_id}/referrals",
        "createReferral",
        A::ReferralCreate,
    ),
    read(
        "/api/v1/children/{child_id}/referrals",
        "listReferrals",
        A::ReferralList,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/referrals/{referral_id}",
            "getReferral",
            A::ReferralRead,
        ),
        "referral_id",
    ),
    about(
        create(
            "/api/v1/children/{child_id}/referrals/{referral_id}/acknowledgement",
            "acknowledgeReferral",
            A::ReferralAcknowledge,
        ),
        "referral_id",
    ),
    about(
        create(
            "/api/v1/children/{child_id}/referrals/{referral_id}/decision",
            "decideReferral",
            A::ReferralDecide,
        ),
        "referral_id",
    ),
    create(
        "/api/v1/children/{child_id}/strategy-discussions",
        "createStrategyDiscussion",
        A::StrategyDiscussionCreate,
    ),
    read(
        "/api/v1/children/{child_id}/strategy-discussions",
        "listStrategyDiscussions",
        A::StrategyDiscussionList,
    ),
    read(
        "/api/v1/children/{child_id}/section-47-enquiries",
        "listSection47Enquiries",
        A::EnquiryList,
    ),
    about(
        create(
            "/api/v1/children/{child_id}/section-47-enquiries/{enquiry_id}/conclusion",
            "concludeSection47Enquiry",
            A::EnquiryConclude,
        ),
        "enquiry_id",
    ),
    read(
        "/api/v1/children/{child_id}/assessments",
        "listAssessments",
        A::AssessmentList,
    ),
    about(
        create(
            "/api/v1/children/{child_id}/assessments/{assessment_id}/completion",
            "completeAssessment",
            A::AssessmentComplete,
        ),
        "assessment_id",
    ),
    create(
        "/api/v1/children/{child_id}/conferences",
        "createConference",
        A::ConferenceCreate,
    ),
    read(
        "/api/v1/children/{child_id}/conferences",
        "listConferences",
        A::ConferenceList,
    ),
    create(
        "/api/v1/children/{child_id}/core-groups",
        "createCoreGroup",
        A::CoreGroupCreate,
    ),
    read(
        "/api/v1/children/{child_id}/core-groups",
        "listCoreGroups",
        A::CoreGroupList,
    ),
    read(
        "/api/v1/children/{child_id}/plans",
        "listPlans",
        A::PlanList,
    ),
    about(
        create(
            "/api/v1/children/{child_id}/plans/{plan_id}/actions",
            "createPlanAction",
            A::PlanActionCreate,
        ),
        "plan_id",
    ),
    about(
        read(
            "/api/v1/children/{child_id}/plans/{plan_id}/actions",
            "listPlanActions",
            A::PlanActionList,
        ),
        "plan_id",
    ),
    about(
        create(
            "/api/v1/children/{child_id}/plans/{plan_id}/actions/{action_id}/marks",
            "markPlanAction",
            A::PlanActionMark,
        ),
        "action_id",
    ),
    create(
        "/api/v1/children/{child_id}/legal-planning-meetings",
        "createLegalPlanningMeeting",
        A::LegalPlanningMeetingCreate,
    ),
    read(
        "/api/v1/children/{child_id}/legal-planning-meetings",
        "listLegalPlanningMeetings",
        A::LegalPlanningMeetingList,
    ),
    create(
        "/api/v1/children/{child_id}/challenges",
        "createChallenge",
        A::ChallengeCreate,
    ),
    read(
        "/api/v1/children/{child_id}/challenges",
        "listChallenges",
        A::ChallengeList,
    ),
    create(
        "/api/v1/children/{child_id}/involvements",
        "createInvolvement",
        A::InvolvementCreate,
    ),
    read(
        "/api/v1/children/{child_id}/involvements",
        "listInvolvements",
        A::InvolvementList,
    ),
    about(
        create(
            "/api/v1/children/{child_id}/challenges/{challenge_id}/response",
            "respondToChallenge",
            A::ChallengeRespond,
        ),
        "challenge_id",
    ),
    about(
        read(
            "/api/v1/children/{child_id}/timescales",
            "getTimescales",
            A::TimescalesRead,
        ),
        CHILD,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/timeline.svg",
            "getTimelineSvg",
            A::TimelineRead,
        ),
        CHILD,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/chronology.csv",
            "getChronologyCsv",
            A::ChronologyExport,
        ),
        CHILD,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/debrief",
            "getDebrief",
            A::DebriefRead,
        ),
        CHILD,
    ),
    read("/api/v1/me/alerts", "listAlerts", A::AlertList),
    write(
        "POST",
        "/api/v1/me/alerts/{alert_id}/read",
        "markAlertRead",
        A::AlertRead,
    ),
    read("/api/v1/me/alerts/stream", "streamAlerts", A::AlertStream),
    create(
        "/api/v1/children/{child_id}/break-glass",
        "breakGlass",
        A::BreakGlassCreate,
    ),
    create(
        "/api/v1/children/{child_id}/disclosures",
        "createDisclosure",
        A::DisclosureCreate,
    ),
    create(
        "/api/v1/children/{child_id}/sharing-refusals",
        "createSharingRefusal",
        A::SharingRefusalCreate,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/sharing-decisions",
            "getSharingDecisions",
            A::SharingDecisionsRead,
        ),
        CHILD,
    ),
    read("/api/v1/break-glass", "listBreakGlass", A::BreakGlassList),
    about(
        create(
            "/api/v1/break-glass/{break_glass_id}/review",
            "reviewBreakGlass",
            A::BreakGlassReview,
        ),
        "break_glass_id",
    ),
    // The timeline page and its assets hold no child data: the page reads the SVG with the
    // signed-in user's token.
    unaudited("GET", "/children/{child_id}/timeline", "getTimelinePage"),
    unaudited("GET", "/assets/timeline.js", "getTimelineScript"),
    unaudited("GET", "/assets/timeline.css", "getTimelineStyle"),
    // As the timeline page: the exercise page reads everything with the facilitator's token.
    unaudited("GET", "/exercises/{exercise_id}", "getExercisePage"),
    unaudited("GET", "/assets/exercise.js", "getExerciseScript"),
    // Not keyed for replay: its answer holds every trainee's password, which is kept nowhere.
    write(
        "POST",
        "/api/v1/exercises",
        "createExercise",
        A::ExerciseCreate,
    ),
    read("/api/v1/exercises", "listExercises", A::ExerciseList),
    about(
        read(
            "/api/v1/exercises/{exercise_id}",
            "getExercise",
            A::ExerciseRead,
        ),
        EXERCISE,
    ),
    about(
        create(
            "/api/v1/exercises/{exercise_id}/advance",
            "advanceExercise",
            A::ExerciseAdvance,
        ),
        EXERCISE,
    ),
    about(
        create(
            "/api/v1/exercises/{exercise_id}/reset",
            "resetExercise",
            A::ExerciseReset,
        ),
        EXERCISE,
    ),
    about(
        create(
            "/api/v1/exercises/{exercise_id}/end",
            "endExercise",
            A::ExerciseEnd,
        ),
        EXERCISE,
    ),
    create(
        "/api/v1/exercises/{exercise_id}/decisions",
        "createExerciseDecision",
        A::ExerciseDecisionCreate,
    ),
    about(
        read(
            "/api/v1/exercises/{exercise_id}/decisions",
            "listExerciseDecisions",
            A::ExerciseDecisionList,
        ),
        EXERCISE,
    ),
    about(
        read(
            "/api/v1/exercises/{exercise_id}/scores",
            "getExerciseScores",
            A::ExerciseScoresRead,
        ),
        EXERCISE,
    ),
    about(
        read(
            "/api/v1/exercises/{exercise_id}/debrief",
            "getExerciseDebrief",
            A::ExerciseDebriefRead,
        ),
        EXERCISE,
    ),
    about(
        read(
            "/api/v1/children/{child_id}/access-log",
            "getAccessLog",
            A::AccessLogRead,
        ),
        CHILD,
    ),
    read("/api/v1/audit", "listAuditEvents", A::AuditRead),
    read("/api/v1/audit/verify", "verifyAuditChain", A::AuditVerify),
    read(
        "/api/v1/audit/checkpoints",
        "listAuditCheckpoints",
        A::AuditCheckpoints,
    ),
];

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
