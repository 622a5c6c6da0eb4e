use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::*;
use crate::safeguarding::types::NewPlanAction;
use crate::vocabulary::{
    ActionOwner, AssessmentOutcome, ChallengeResponse, EnquiryConclusion, PlanCategory,
    ReferralDecision, Referrer,
};

fn t(day: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2007, 3, day)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc()
}

fn referral(to: Agency) -> Details {
    Details::Referral {
        referrer: Referrer::Professional,
        from_agency: Some(Agency::Health),
        to_agency: to,
        summary: "bruising".into(),
        concern_level: None,
        concern_categories: Vec::new(),
    }
}

fn decided(decision: ReferralDecision) -> EventDetails {
    EventDetails::Decided {
        decision,
        reason: "seen".into(),
    }
}

fn mark(status: ActionStatus) -> EventDetails {
    EventDetails::Marked {
        status,
        note: "checked".into(),
    }
}

fn action() -> Details {
    Details::PlanAction {
        plan_id: Uuid::nil(),
        description: "visit".into(),
        owner: ActionOwner::Health,
        due_date: NaiveDate::from_ymd_opt(2007, 4, 1).unwrap(),
    }
}

fn challenge() -> Details {
    Details::Challenge {
        challenged_agency: Agency::SocialCare,
        entry_id: Uuid::nil(),
        entry_kind: "referral".into(),
        concern: "closed too soon".into(),
        level: 1,
    }
}

fn past(at: DateTime<Utc>, details: &EventDetails) -> Past<'_> {
    Past { at, details }
}

fn conflict(result: ApiResult<Vec<Details>>) -> String {
    match result {
        Err(ApiError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_referral_is_received_then_acknowledged_then_decided() {
    let r = referral(Agency::SocialCare);
    let ack = EventDetails::Acknowledged {};
    let decision = decided(ReferralDecision::NoFurtherAction);
    assert_eq!(state_of(&r, &[], false), RecordState::Received);
    assert_eq!(
        state_of(&r, &[past(t(2), &ack)], false),
        RecordState::Acknowledged
    );
    assert_eq!(
        state_of(&r, &[past(t(2), &ack), past(t(3), &decision)], false),
        RecordState::Decided
    );
    // Decided without an acknowledgement is decided.
    assert_eq!(
        state_of(&r, &[past(t(3), &decision)], false),
        RecordState::Decided
    );
}

#[test]
fn a_referral_is_acknowledged_once_and_never_after_its_decision() {
    let r = referral(Agency::SocialCare);
    let id = Uuid::new_v4();
    let ack = EventDetails::Acknowledged {};
    let decision = decided(ReferralDecision::EarlyHelp);
    assert_eq!(change((id, &r), &[], &ack, t(2)).unwrap(), Vec::new());
    assert_eq!(
        conflict(change((id, &r), &[past(t(2), &ack)], &ack, t(3))),
        "this referral has already been acknowledged"
    );
    assert_eq!(
        conflict(change((id, &r), &[past(t(2), &decision)], &ack, t(3))),
        "this referral has already been decided"
    );
}

#[test]
fn a_referral_is_decided_once() {
    let r = referral(Agency::Police);
    let id = Uuid::new_v4();
    let decision = decided(ReferralDecision::NoFurtherAction);
    let ack = EventDetails::Acknowledged {};
    assert!(
        change((id, &r), &[past(t(2), &ack)], &decision, t(3))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        conflict(change((id, &r), &[past(t(2), &decision)], &decision, t(3))),
        "this referral has already been decided"
    );
}

#[test]
fn social_cares_decisions_to_assess_start_an_assessment_and_no_others_do() {
    let id = Uuid::new_v4();
    for decision in ReferralDecision::ALL {
        let starts = matches!(
            decision,
            ReferralDecision::ChildInNeedAssessment | ReferralDecision::StrategyDiscussion
        );
        let to_social_care = change(
            (id, &referral(Agency::SocialCare)),
            &[],
            &decided(*decision),
            t(2),
        )
        .unwrap();
        assert_eq!(
            to_social_care,
            if starts {
                vec![Details::Assessment { referral_id: id }]
            } else {
                Vec::new()
            },
            "{decision:?}"
        );
        // Another agency deciding the same starts nothing: assessing needs is social care's.
        let to_police = change(
            (id, &referral(Agency::Police)),
            &[],
            &decided(*decision),
            t(2),
        );
        assert_eq!(to_police.unwrap(), Vec::new(), "{decision:?}");
    }
}

#[test]
fn an_enquiry_concludes_once_and_an_assessment_completes_once() {
    let id = Uuid::new_v4();
    let enquiry = Details::Section47Enquiry {
        strategy_discussion_id: Uuid::nil(),
    };
    let concluded = EventDetails::Concluded {
        conclusion: EnquiryConclusion::NotSubstantiated,
        reason: "none found".into(),
    };
    assert_eq!(state_of(&enquiry, &[], false), RecordState::Open);
    assert_eq!(
        state_of(&enquiry, &[past(t(4), &concluded)], false),
        RecordState::Concluded
    );
    assert!(change((id, &enquiry), &[], &concluded, t(4)).is_ok());
    assert_eq!(
        conflict(change(
            (id, &enquiry),
            &[past(t(4), &concluded)],
            &concluded,
            t(5)
        )),
        "this section 47 enquiry is already concluded"
    );

    let assessment = Details::Assessment { referral_id: id };
    let completed = EventDetails::Completed {
        outcome: AssessmentOutcome::EarlyHelp,
        summary: "done".into(),
    };
    assert_eq!(state_of(&assessment, &[], false), RecordState::InProgress);
    assert_eq!(
        state_of(&assessment, &[past(t(4), &completed)], false),
        RecordState::Completed
    );
    assert!(change((id, &assessment), &[], &completed, t(4)).is_ok());
    assert_eq!(
        conflict(change(
            (id, &assessment),
            &[past(t(4), &completed)],
            &completed,
            t(5)
        )),
        "this assessment is already completed"
    );
}

#[test]
fn a_plan_action_may_be_not_done_then_done_and_nothing_after_done() {
    let a = action();
    let id = Uuid::new_v4();
    let not_done = mark(ActionStatus::NotDone);
    let done = mark(ActionStatus::Done);
    assert_eq!(state_of(&a, &[], false), RecordState::Open);
    assert_eq!(
        state_of(&a, &[past(t(2), &not_done)], false),
        RecordState::NotDone
    );
    assert_eq!(
        state_of(&a, &[past(t(2), &not_done), past(t(3), &done)], false),
        RecordState::Done
    );
    assert!(change((id, &a), &[past(t(2), &not_done)], &not_done, t(3)).is_ok());
    assert!(change((id, &a), &[past(t(2), &not_done)], &done, t(3)).is_ok());
    assert_eq!(
        conflict(change((id, &a), &[past(t(2), &done)], &not_done, t(3))),
        "this action has already been marked done"
    );
}

#[test]
fn a_mark_comes_after_the_last_one_and_may_share_its_moment() {
    let a = action();
    let id = Uuid::new_v4();
    let not_done = mark(ActionStatus::NotDone);
    let last = [past(t(3), &not_done)];
    assert!(change((id, &a), &last, &not_done, t(3)).is_ok());
    match change((id, &a), &last, &not_done, t(3) - Duration::seconds(1)) {
        Err(ApiError::Validation { field, .. }) => assert_eq!(field, "occurred_at"),
        other => panic!("a mark before the last: {other:?}"),
    }
}

#[test]
fn a_challenge_is_answered_once() {
    let c = challenge();
    let id = Uuid::new_v4();
    let answer = EventDetails::Responded {
        response: ChallengeResponse::Upheld,
        reason: "it stands".into(),
    };
    assert_eq!(state_of(&c, &[], false), RecordState::Open);
    assert_eq!(
        state_of(&c, &[past(t(2), &answer)], false),
        RecordState::Answered
    );
    assert!(change((id, &c), &[], &answer, t(2)).is_ok());
    assert_eq!(
        conflict(change((id, &c), &[past(t(2), &answer)], &answer, t(3))),
        "this challenge has already been answered"
    );
}

#[test]
fn a_change_of_another_records_kind_is_no_change() {
    let c = challenge();
    assert!(matches!(
        change((Uuid::nil(), &c), &[], &EventDetails::Acknowledged {}, t(2)),
        Err(ApiError::Internal(_))
    ));
}

#[test]
fn a_plan_is_active_until_a_review_ends_it_and_other_records_are_held() {
    let plan = Details::Plan {
        conference_id: Uuid::nil(),
        category: PlanCategory::Neglect,
    };
    assert_eq!(state_of(&plan, &[], false), RecordState::Active);
    assert_eq!(state_of(&plan, &[], true), RecordState::Ended);
    let core_group = Details::CoreGroup {
        agencies: vec![Agency::Health],
        summary: "met".into(),
    };
    assert_eq!(state_of(&core_group, &[], false), RecordState::Held);
}

#[test]
fn a_strategy_discussion_starts_an_enquiry_only_when_it_decides_one() {
    let id = Uuid::new_v4();
    let discussion = |outcome| Details::StrategyDiscussion {
        agencies: vec![Agency::Police],
        outcome,
        actions: Vec::new(),
        summary: "held".into(),
        referral_id: None,
    };
    assert_eq!(
        starts(id, &discussion(StrategyOutcome::Section47Enquiry)),
        vec![Details::Section47Enquiry {
            strategy_discussion_id: id
        }]
    );
    assert!(starts(id, &discussion(StrategyOutcome::NoEnquiry)).is_empty());
    assert!(starts(id, &referral(Agency::SocialCare)).is_empty());
}

#[test]
fn a_change_may_share_its_records_moment_and_never_come_before_it() {
    let record = (RecordType::Referral, t(2));
    assert_eq!(not_before(t(2), record, "a decision").unwrap(), t(2));
    match not_before(t(2) - Duration::seconds(1), record, "a decision") {
        Err(ApiError::Validation { field, detail }) => {
            assert_eq!(field, "occurred_at");
            assert!(detail.starts_with("a decision cannot come before the referral itself"));
        }
        other => panic!("{other:?}"),
    }
}

fn field_of<T: std::fmt::Debug>(result: ApiResult<T>) -> String {
    match result {
        Err(ApiError::Validation { field, .. }) => field,
        other => panic!("expected a refusal naming a field, got {other:?}"),
    }
}

#[test]
fn a_conference_decides_what_its_type_may_and_a_plan_has_a_category() {
    use ConferenceDecision::*;
    use ConferenceType::*;
    let neglect = Some(PlanCategory::Neglect);
    assert_eq!(
        conference(Initial, Plan, neglect, 3).unwrap(),
        ConferenceOutcome {
            plan: neglect,
            status: Some(ChildStatus::ChildProtectionPlan)
        }
    );
    assert_eq!(
        conference(Initial, NoPlan, None, 0).unwrap(),
        ConferenceOutcome {
            plan: None,
            status: None
        }
    );
    assert_eq!(
        conference(Review, PlanContinues, None, 0).unwrap().status,
        Some(ChildStatus::ChildProtectionPlan)
    );
    assert_eq!(
        conference(Review, PlanEnds, None, 0).unwrap().status,
        Some(ChildStatus::ChildInNeed)
    );
    for (conference_type, decision) in [
        (Initial, PlanContinues),
        (Initial, PlanEnds),
        (Review, Plan),
        (Review, NoPlan),
    ] {
        assert_eq!(
            field_of(conference(conference_type, decision, None, 0)),
            "decision"
        );
    }
    assert_eq!(field_of(conference(Initial, Plan, None, 0)), "category");
    assert_eq!(
        field_of(conference(Initial, NoPlan, neglect, 0)),
        "category"
    );
    assert_eq!(field_of(conference(Initial, NoPlan, None, 1)), "actions");
    assert!(conference(Initial, Plan, neglect, 50).is_ok());
    assert_eq!(field_of(conference(Initial, Plan, neglect, 51)), "actions");
}

#[test]
fn an_initial_conference_makes_no_second_plan_and_a_review_needs_one() {
    use ConferenceDecision::*;
    use ConferenceType::*;
    let plan = Some(Uuid::new_v4());
    assert!(conference_may_sit(Initial, Plan, None).is_ok());
    assert!(matches!(
        conference_may_sit(Initial, Plan, plan),
        Err(ApiError::Conflict(_))
    ));
    // Deciding no plan while one is in force changes nothing, so it may sit.
    assert!(conference_may_sit(Initial, NoPlan, plan).is_ok());
    assert!(conference_may_sit(Review, PlanContinues, plan).is_ok());
    assert!(conference_may_sit(Review, PlanEnds, plan).is_ok());
    assert!(matches!(
        conference_may_sit(Review, PlanEnds, None),
        Err(ApiError::Conflict(_))
    ));
}

fn conference_record(decision: ConferenceDecision) -> Details {
    Details::Conference {
        conference_type: if matches!(
            decision,
            ConferenceDecision::Plan | ConferenceDecision::NoPlan
        ) {
            ConferenceType::Initial
        } else {
            ConferenceType::Review
        },
        agencies: vec![Agency::SocialCare],
        decision,
        category: None,
        summary: "held".into(),
    }
}

#[test]
fn the_plan_in_force_is_the_latest_made_by_then_unless_a_review_ended_it() {
    let (first, ended, second) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let made = conference_record(ConferenceDecision::Plan);
    let ends = conference_record(ConferenceDecision::PlanEnds);
    let plan_of = |conference_id| Details::Plan {
        conference_id,
        category: PlanCategory::PhysicalAbuse,
    };
    let (plan_one, plan_two) = (plan_of(first), plan_of(second));
    let (p1, p2) = (Uuid::new_v4(), Uuid::new_v4());
    let conferences = [
        (first, t(2), &made),
        (ended, t(10), &ends),
        (second, t(20), &made),
    ];
    let plans = [(p1, t(2), &plan_one), (p2, t(20), &plan_two)];
    let at = |moment| plan_in_force(conferences, plans, moment);
    assert_eq!(at(t(1)), None);
    assert_eq!(at(t(2)), Some(p1), "in force from the conference's moment");
    assert_eq!(at(t(10) - Duration::seconds(1)), Some(p1));
    assert_eq!(at(t(10)), None, "ended at the review's moment");
    assert_eq!(at(t(20)), Some(p2));
}

#[test]
fn a_later_action_is_added_only_to_the_plan_in_force() {
    let plan = Uuid::new_v4();
    assert!(action_may_be_added(plan, Some(plan)).is_ok());
    assert!(matches!(
        action_may_be_added(plan, None),
        Err(ApiError::Conflict(_))
    ));
    assert!(matches!(
        action_may_be_added(plan, Some(Uuid::new_v4())),
        Err(ApiError::Conflict(_))
    ));
}

#[test]
fn an_action_is_due_no_earlier_than_the_day_it_was_agreed() {
    let plan = Uuid::new_v4();
    let new = |due_date, description: &str| NewPlanAction {
        description: description.into(),
        owner: ActionOwner::Carers,
        due_date,
    };
    let day = NaiveDate::from_ymd_opt(2007, 3, 2).unwrap();
    assert!(plan_action(&new(day, "visit"), plan, t(2), "").is_ok());
    assert_eq!(
        field_of(plan_action(
            &new(day.pred_opt().unwrap(), "visit"),
            plan,
            t(2),
            "actions[3]."
        )),
        "actions[3].due_date"
    );
    assert_eq!(
        field_of(plan_action(&new(day, ""), plan, t(2), "")),
        "description"
    );
}

#[test]
fn a_challenge_is_raised_at_one_of_four_levels() {
    for level in 1..=4 {
        assert_eq!(challenge_level(level).unwrap(), level);
    }
    assert_eq!(field_of(challenge_level(0)), "level");
    assert_eq!(field_of(challenge_level(5)), "level");
}
