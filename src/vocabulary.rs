//! The closed vocabularies of the record (docs/domain.md): each a Rust enum, a JSON string, a text column
//! the database checks (a CHECK constraint; for agencies a foreign key to the `agencies` table), and an
//! `enum` in the contract. An unknown value is a 422 that lists these.

/// Declares a vocabulary: its variants and their wire names, once.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema, sqlx::Type,
        )]
        #[serde(rename_all = "snake_case")]
        #[sqlx(type_name = "text", rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} `{other}`", stringify!($name))),
                }
            }
        }
    };
}

vocabulary! {
    /// The agencies that share the record.
    Agency {
        Police = "police",
        Health = "health",
        SocialCare = "social_care",
        Legal = "legal",
    }
}

impl Agency {
    /// How a person would say it: "social care".
    pub fn label(self) -> &'static str {
        match self {
            Agency::SocialCare => "social care",
            other => other.as_str(),
        }
    }
}

vocabulary! {
    /// What a user may do: see docs/domain.md, "Agencies and roles".
    Role {
        Practitioner = "practitioner",
        Manager = "manager",
        Facilitator = "facilitator",
    }
}

vocabulary! {
    /// How a request that the audit trail records ended: `denied` for 401 and 403, `failed` for any
    /// other refusal.
    Outcome { Allowed = "allowed", Denied = "denied", Failed = "failed" }
}

vocabulary! {
    /// Where the child stands with children's services.
    ChildStatus {
        None = "none",
        ChildInNeed = "child_in_need",
        ChildProtectionPlan = "child_protection_plan",
        LookedAfter = "looked_after",
    }
}

vocabulary! {
    /// `shared`: every agency sees every other agency's shared entries. `siloed`: each agency sees only
    /// its own (as in 2007); facilitators still see everything.
    SharingMode { Shared = "shared", Siloed = "siloed" }
}

vocabulary! {
    /// How a person is linked to the child.
    Relationship {
        Mother = "mother",
        Father = "father",
        MothersPartner = "mothers_partner",
        FathersPartner = "fathers_partner",
        Relative = "relative",
        FamilyFriend = "family_friend",
        Lodger = "lodger",
        Visitor = "visitor",
        Sibling = "sibling",
        OtherChild = "other_child",
        Other = "other",
    }
}

vocabulary! {
    /// The result of a police background check.
    CheckOutcome { NoTrace = "no_trace", RelevantHistory = "relevant_history", Pending = "pending" }
}

vocabulary! {
    /// What kind of interaction a contact records.
    ContactKind {
        HomeVisit = "home_visit",
        HospitalAttendance = "hospital_attendance",
        HospitalAdmission = "hospital_admission",
        ClinicAppointment = "clinic_appointment",
        GpAppointment = "gp_appointment",
        PoliceInterview = "police_interview",
        Arrest = "arrest",
        Referral = "referral",
        StrategyDiscussion = "strategy_discussion",
        CaseConference = "case_conference",
        LegalAdvice = "legal_advice",
        ChargingDecision = "charging_decision",
        PhoneCall = "phone_call",
        Other = "other",
    }
}

/// A contact of no particular kind, as a starting point (`ContactFields::new` sets the real one).
impl Default for ContactKind {
    fn default() -> Self {
        ContactKind::Other
    }
}

impl ContactKind {
    /// A visit or appointment: the child is expected to be present (docs/domain.md, "How the rules read time").
    pub fn expects_child_present(self) -> bool {
        matches!(
            self,
            ContactKind::HomeVisit
                | ContactKind::HospitalAttendance
                | ContactKind::HospitalAdmission
                | ContactKind::ClinicAppointment
                | ContactKind::GpAppointment
        )
    }
}

vocabulary! {
    /// The kind of injury seen.
    InjuryType {
        Bruise = "bruise",
        Fracture = "fracture",
        Burn = "burn",
        Scratch = "scratch",
        Laceration = "laceration",
        Bite = "bite",
        Swelling = "swelling",
        HeadInjury = "head_injury",
        MissingNail = "missing_nail",
        Other = "other",
    }
}

vocabulary! {
    /// How an injury was explained.
    ExplanationCategory {
        Accident = "accident",
        SelfInflicted = "self_inflicted",
        AnotherChild = "another_child",
        Adult = "adult",
        NoneGiven = "none_given",
    }
}

vocabulary! {
    /// A professional opinion recorded with a contact.
    Opinion {
        NonAccidentalInjurySuspected = "non_accidental_injury_suspected",
        AccidentalInjuryLikely = "accidental_injury_likely",
        Inconclusive = "inconclusive",
        NoConcerns = "no_concerns",
    }
}

vocabulary! {
    /// How worried the author is, in increasing order.
    ConcernLevel {
        None = "none",
        Low = "low",
        Medium = "medium",
        High = "high",
        ImmediateRisk = "immediate_risk",
    }
}

vocabulary! {
    /// What the concern is about.
    ConcernCategory {
        PhysicalInjury = "physical_injury",
        Neglect = "neglect",
        Emotional = "emotional",
        Sexual = "sexual",
        UnknownAdult = "unknown_adult",
        NonEngagement = "non_engagement",
        Concealment = "concealment",
        DomesticAbuse = "domestic_abuse",
        SubstanceMisuse = "substance_misuse",
    }
}

vocabulary! {
    /// A decision or outcome recorded with a contact.
    ContactOutcome {
        ThresholdForCareNotMet = "threshold_for_care_not_met",
        InsufficientEvidence = "insufficient_evidence",
        NoFurtherAction = "no_further_action",
        ReferredToPolice = "referred_to_police",
        ReferredToSocialCare = "referred_to_social_care",
        FurtherInvestigation = "further_investigation",
        ChildProtectionPlan = "child_protection_plan",
        PlacedWithFamilyFriend = "placed_with_family_friend",
        ReturnedHome = "returned_home",
        Discharged = "discharged",
        Charged = "charged",
        Other = "other",
    }
}

vocabulary! {
    /// `restricted`: full detail for the authoring agency and facilitators only; others see a stub.
    Visibility { Shared = "shared", Restricted = "restricted" }
}

vocabulary! {
    /// Whether the carers follow the child protection plan, as an entry records it.
    PlanCompliance {
        Followed = "followed",
        PartlyFollowed = "partly_followed",
        NotFollowed = "not_followed",
    }
}

vocabulary! {
    /// Whether the child was brought to, or could be seen at, a visit or appointment.
    Attendance {
        Attended = "attended",
        /// The carers did not bring the child (health's "was not brought", not "did not attend").
        WasNotBrought = "was_not_brought",
        CancelledByCarer = "cancelled_by_carer",
        /// Nobody answered the door, or the visitor was refused entry.
        NoAccess = "no_access",
    }
}

impl Attendance {
    /// The child was kept from the professional: not brought, cancelled, or the door not opened.
    pub fn kept_away(self) -> bool {
        !matches!(self, Attendance::Attended)
    }
}

vocabulary! {
    /// Who raised a referral: an agency's professional, or a lay referrer on whose behalf the
    /// receiving agency logs it.
    Referrer {
        Professional = "professional",
        Family = "family",
        Friend = "friend",
        Public = "public",
        Anonymous = "anonymous",
        Child = "child",
    }
}

vocabulary! {
    /// What the receiving agency decided about a referral.
    ReferralDecision {
        NoFurtherAction = "no_further_action",
        EarlyHelp = "early_help",
        /// An assessment of the child's needs (section 17).
        ChildInNeedAssessment = "child_in_need_assessment",
        StrategyDiscussion = "strategy_discussion",
        ImmediateProtection = "immediate_protection",
    }
}

vocabulary! {
    /// What a strategy discussion decided.
    StrategyOutcome {
        #[serde(rename = "section_47_enquiry")]
        #[sqlx(rename = "section_47_enquiry")]
        Section47Enquiry = "section_47_enquiry",
        NoEnquiry = "no_enquiry",
    }
}

vocabulary! {
    /// How a section 47 enquiry concluded.
    EnquiryConclusion {
        NotSubstantiated = "not_substantiated",
        SubstantiatedNoContinuingRisk = "substantiated_no_continuing_risk",
        SubstantiatedContinuingRisk = "substantiated_continuing_risk",
    }
}

vocabulary! {
    /// What a completed assessment found the child needs.
    AssessmentOutcome {
        NoFurtherAction = "no_further_action",
        EarlyHelp = "early_help",
        ChildInNeedServices = "child_in_need_services",
        StrategyDiscussion = "strategy_discussion",
    }
}

vocabulary! {
    /// A child protection conference: the first, or a review of the plan.
    ConferenceType { Initial = "initial", Review = "review" }
}

vocabulary! {
    /// What a conference decided: an initial one `plan` or `no_plan`, a review `plan_continues` or
    /// `plan_ends`.
    ConferenceDecision {
        Plan = "plan",
        NoPlan = "no_plan",
        PlanContinues = "plan_continues",
        PlanEnds = "plan_ends",
    }
}

vocabulary! {
    /// The category of abuse a child protection plan is made under.
    PlanCategory {
        Neglect = "neglect",
        PhysicalAbuse = "physical_abuse",
        EmotionalAbuse = "emotional_abuse",
        SexualAbuse = "sexual_abuse",
    }
}

vocabulary! {
    /// Who owns a plan action: an agency, or the parents or carers.
    ActionOwner {
        Police = "police",
        Health = "health",
        SocialCare = "social_care",
        Legal = "legal",
        Carers = "carers",
    }
}

impl ActionOwner {
    /// The agency that answers for the action: its own, or social care for the carers'.
    pub fn answering_agency(self) -> Agency {
        match self {
            ActionOwner::Police => Agency::Police,
            ActionOwner::Health => Agency::Health,
            ActionOwner::SocialCare | ActionOwner::Carers => Agency::SocialCare,
            ActionOwner::Legal => Agency::Legal,
        }
    }
}

vocabulary! {
    /// Whether a plan action was done.
    ActionStatus { Done = "done", NotDone = "not_done" }
}

vocabulary! {
    /// Council legal advice on the threshold for care proceedings.
    ThresholdAdvice {
        ThresholdMet = "threshold_met",
        ThresholdNotMet = "threshold_not_met",
        MoreEvidenceNeeded = "more_evidence_needed",
    }
}

vocabulary! {
    /// The lawful basis a user states for breaking glass on a record.
    LawfulBasis {
        Consent = "consent",
        #[serde(rename = "section_47")]
        #[sqlx(rename = "section_47")]
        Section47 = "section_47",
        #[serde(rename = "section_17")]
        #[sqlx(rename = "section_17")]
        Section17 = "section_17",
        PublicTask = "public_task",
        VitalInterests = "vital_interests",
        LegalObligation = "legal_obligation",
    }
}

vocabulary! {
    /// A manager's finding on a break-glass.
    ReviewOutcome {
        Justified = "justified",
        NotJustified = "not_justified",
    }
}

vocabulary! {
    /// How the challenged agency answered a challenge.
    ChallengeResponse {
        Upheld = "upheld",
        DecisionChanged = "decision_changed",
        Escalated = "escalated",
        Withdrawn = "withdrawn",
    }
}

vocabulary! {
    /// What a process record is.
    RecordType {
        Referral = "referral",
        StrategyDiscussion = "strategy_discussion",
        #[serde(rename = "section_47_enquiry")]
        #[sqlx(rename = "section_47_enquiry")]
        Section47Enquiry = "section_47_enquiry",
        Assessment = "assessment",
        Conference = "conference",
        CoreGroup = "core_group",
        Plan = "plan",
        PlanAction = "plan_action",
        LegalPlanningMeeting = "legal_planning_meeting",
        Challenge = "challenge",
        Involvement = "involvement",
    }
}

vocabulary! {
    /// Where a process record stands: a referral `received`, `acknowledged` or `decided`; an
    /// enquiry `open` or `concluded`; an assessment `in_progress` or `completed`; a plan `active` or
    /// `ended`; a plan action `open`, `done` or `not_done`; a meeting `held`.
    RecordState {
        Received = "received",
        Acknowledged = "acknowledged",
        Decided = "decided",
        Open = "open",
        Concluded = "concluded",
        InProgress = "in_progress",
        Completed = "completed",
        Active = "active",
        Ended = "ended",
        Done = "done",
        NotDone = "not_done",
        Held = "held",
        Answered = "answered",
    }
}

vocabulary! {
    /// What changed a process record's state.
    EventType {
        Acknowledged = "acknowledged",
        Decided = "decided",
        Concluded = "concluded",
        Completed = "completed",
        Marked = "marked",
        Responded = "responded",
    }
}

vocabulary! {
    /// A statutory clock of the safeguarding process (docs/domain.md, "Timescales").
    ClockName {
        ReferralDecision = "referral_decision",
        StrategyDiscussion = "strategy_discussion",
        Assessment = "assessment",
        InitialConference = "initial_conference",
        CoreGroup = "core_group",
        ReviewConference = "review_conference",
        PlanAction = "plan_action",
        ChallengeResponse = "challenge_response",
    }
}

vocabulary! {
    /// Where a clock stands at a moment.
    ClockState {
        Running = "running",
        Met = "met",
        MetLate = "met_late",
        Overdue = "overdue",
        /// No longer needed.
        Stopped = "stopped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names given in `vocabulary!` are the ones serde, sqlx and the contract use.
    fn round_trips<T>(all: &[T], as_str: fn(T) -> &'static str)
    where
        T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + std::str::FromStr,
    {
        for v in all {
            assert_eq!(serde_json::to_value(v).unwrap(), as_str(*v), "{v:?}");
            assert!(as_str(*v).parse::<T>().ok() == Some(*v), "{v:?}");
        }
    }

    #[test]
    fn wire_names_round_trip() {
        round_trips(ChildStatus::ALL, ChildStatus::as_str);
        round_trips(SharingMode::ALL, SharingMode::as_str);
        round_trips(Relationship::ALL, Relationship::as_str);
        round_trips(CheckOutcome::ALL, CheckOutcome::as_str);
        round_trips(ContactKind::ALL, ContactKind::as_str);
        round_trips(InjuryType::ALL, InjuryType::as_str);
        round_trips(ExplanationCategory::ALL, ExplanationCategory::as_str);
        round_trips(Opinion::ALL, Opinion::as_str);
        round_trips(ConcernLevel::ALL, ConcernLevel::as_str);
        round_trips(ConcernCategory::ALL, ConcernCategory::as_str);
        round_trips(ContactOutcome::ALL, ContactOutcome::as_str);
        round_trips(Visibility::ALL, Visibility::as_str);
        round_trips(PlanCompliance::ALL, PlanCompliance::as_str);
        round_trips(Referrer::ALL, Referrer::as_str);
        round_trips(ReferralDecision::ALL, ReferralDecision::as_str);
        round_trips(StrategyOutcome::ALL, StrategyOutcome::as_str);
        round_trips(EnquiryConclusion::ALL, EnquiryConclusion::as_str);
        round_trips(AssessmentOutcome::ALL, AssessmentOutcome::as_str);
        round_trips(ConferenceType::ALL, ConferenceType::as_str);
        round_trips(ConferenceDecision::ALL, ConferenceDecision::as_str);
        round_trips(PlanCategory::ALL, PlanCategory::as_str);
        round_trips(ActionOwner::ALL, ActionOwner::as_str);
        round_trips(ActionStatus::ALL, ActionStatus::as_str);
        round_trips(ThresholdAdvice::ALL, ThresholdAdvice::as_str);
        round_trips(ClockName::ALL, ClockName::as_str);
        round_trips(ClockState::ALL, ClockState::as_str);
        round_trips(RecordType::ALL, RecordType::as_str);
        round_trips(RecordState::ALL, RecordState::as_str);
        round_trips(EventType::ALL, EventType::as_str);
        assert!("visit".parse::<ContactKind>().is_err());
    }

    #[test]
    fn concern_levels_are_ordered() {
        assert!(ConcernLevel::None < ConcernLevel::Low);
        assert!(ConcernLevel::High < ConcernLevel::ImmediateRisk);
    }
}
