use super::*;

const PRACTITIONER: Role = Role::Practitioner;

#[test]
fn a_team_sees_only_its_own_workspace_and_facilitators_see_every_one() {
    let (one, two) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for role in [PRACTITIONER, Role::Manager] {
        assert!(workspace_holds(role, Some(one), Some(one)));
        assert!(!workspace_holds(role, Some(one), Some(two)));
        // A trainee sees nothing outside the exercise; nobody outside sees a team's record.
        assert!(!workspace_holds(role, Some(one), None));
        assert!(!workspace_holds(role, None, Some(one)));
        // Outside every exercise, as before.
        assert!(workspace_holds(role, None, None));
    }
    for child in [None, Some(one), Some(two)] {
        assert!(workspace_holds(Role::Facilitator, None, child));
    }
    assert!(decide(Role::Facilitator, None, Action::RunExercise).is_ok());
    assert!(decide(Role::Manager, Some(Agency::Police), Action::RunExercise).is_err());
    assert!(
        decide(
            PRACTITIONER,
            Some(Agency::Legal),
            Action::RecordExerciseDecision
        )
        .is_ok()
    );
    assert!(decide(Role::Facilitator, None, Action::RecordExerciseDecision).is_err());
}

#[test]
fn an_agency_alone_is_seen_by_itself_and_facilitators_and_debriefs_by_facilitators() {
    let police = Action::ViewAgencyAlone {
        agency: Agency::Police,
    };
    assert!(decide(Role::Facilitator, None, police).is_ok());
    assert!(decide(PRACTITIONER, Some(Agency::Police), police).is_ok());
    assert!(decide(Role::Manager, Some(Agency::Health), police).is_err());
    assert!(decide(Role::Facilitator, None, Action::ReadDebrief).is_ok());
    assert!(decide(Role::Manager, Some(Agency::SocialCare), Action::ReadDebrief).is_err());
    // Alone, an agency sees its own entries in full and nothing of anyone else's.
    assert_eq!(
        alone(Agency::Health, Agency::Health, Visibility::Restricted),
        Sight::Full
    );
    assert_eq!(
        alone(Agency::Health, Agency::Police, Visibility::Shared),
        Sight::Hidden
    );
}

#[test]
fn writing_involves_nobody_and_the_ways_in_are_named() {
    let writer = Involvement {
        creator: Some(Agency::Health),
        ..Default::default()
    };
    assert_eq!(involved(&writer), BTreeSet::from([Agency::Health]));
    let all = Involvement {
        creator: None,
        received: BTreeSet::from([Agency::SocialCare]),
        attended: BTreeSet::from([Agency::Police]),
        challenged: BTreeSet::from([Agency::Legal]),
        brought_in: BTreeSet::from([Agency::Health]),
    };
    assert_eq!(involved(&all).len(), 4);
    let health = BTreeSet::from([Agency::Health]);
    // Police wrote nothing that counts: it reads only through a break-glass, or as a team's member.
    assert!(reading_for(PRACTITIONER, Some(Agency::Police), false, &health, false).is_err());
    assert!(reading_for(PRACTITIONER, Some(Agency::Police), false, &health, true).is_ok());
    assert!(reading_for(PRACTITIONER, Some(Agency::Police), true, &health, false).is_ok());
    assert!(reading_for(PRACTITIONER, Some(Agency::Health), false, &health, false).is_ok());
    assert!(reading_for(Role::Facilitator, None, false, &health, false).is_ok());
}

#[test]
fn an_involved_agency_or_a_facilitator_brings_another_in_once() {
    let health = BTreeSet::from([Agency::Health]);
    let (h, p) = (Some(Agency::Health), Some(Agency::Police));
    assert!(bringing_in(PRACTITIONER, h, false, &health, Agency::Police).is_ok());
    assert!(bringing_in(Role::Facilitator, None, false, &health, Agency::Legal).is_ok());
    // Not involved (a break-glass is one user's, not a way to open the record to an agency).
    assert!(bringing_in(PRACTITIONER, p, false, &health, Agency::Police).is_err());
    assert!(bringing_in(PRACTITIONER, p, false, &health, Agency::Legal).is_err());
    // Already involved.
    assert!(bringing_in(PRACTITIONER, h, false, &health, Agency::Health).is_err());
}

#[test]
fn a_search_names_an_identifier_or_a_name_with_a_date_of_birth() {
    let p = PRACTITIONER;
    assert_eq!(
        searching(p, false, false, false, true),
        Ok(Some(SEARCH_CAP))
    );
    assert_eq!(searching(p, false, true, true, false), Ok(Some(SEARCH_CAP)));
    assert_eq!(
        searching(p, false, true, false, false).unwrap_err().0,
        "date_of_birth"
    );
    assert_eq!(
        searching(p, false, false, true, false).unwrap_err().0,
        "name"
    );
    assert_eq!(
        searching(p, false, false, false, false).unwrap_err().0,
        "date_of_birth"
    );
    assert_eq!(
        searching(Role::Manager, false, true, false, false)
            .unwrap_err()
            .0,
        "date_of_birth"
    );
    // A facilitator, and a team's member in its own workspace, list what they may see.
    assert_eq!(
        searching(Role::Facilitator, false, false, false, false),
        Ok(None)
    );
    assert_eq!(searching(p, true, false, false, false), Ok(None));
}

#[test]
fn a_break_glass_is_reviewed_by_someone_else() {
    let police = Some(Agency::Police);
    assert!(reviewing(Role::Manager, police, false, Agency::Police).is_ok());
    assert!(reviewing(Role::Manager, police, true, Agency::Police).is_err());
    assert!(reviewing(Role::Manager, police, false, Agency::Health).is_err());
    assert!(reviewing(PRACTITIONER, police, false, Agency::Police).is_err());
    assert!(reviewing(Role::Facilitator, None, false, Agency::Police).is_ok());
}

#[test]
fn only_facilitators_manage_users_and_sharing() {
    for action in [Action::ManageUsers, Action::SetSharingMode] {
        assert!(decide(Role::Facilitator, None, action).is_ok());
        assert!(decide(Role::Manager, Some(Agency::Police), action).is_err());
        assert!(decide(PRACTITIONER, Some(Agency::Police), action).is_err());
    }
}

#[test]
fn only_police_record_checks_and_facilitators_log_nothing() {
    assert!(decide(PRACTITIONER, Some(Agency::Police), Action::RecordCheck).is_ok());
    assert!(decide(PRACTITIONER, Some(Agency::Health), Action::RecordCheck).is_err());
    assert!(decide(Role::Facilitator, None, Action::LogContact).is_err());
    assert!(decide(PRACTITIONER, Some(Agency::Legal), Action::LogContact).is_ok());
}

#[test]
fn managers_read_their_own_agencys_events_only() {
    let (health, police) = (Some(Agency::Health), Some(Agency::Police));
    assert_eq!(audit_scope_for(Role::Facilitator, None, police), Ok(police));
    assert_eq!(audit_scope_for(Role::Facilitator, None, None), Ok(None));
    assert_eq!(audit_scope_for(Role::Manager, health, None), Ok(health));
    assert_eq!(audit_scope_for(Role::Manager, health, health), Ok(health));
    assert!(audit_scope_for(Role::Manager, health, police).is_err());
}

#[test]
fn facilitators_have_no_agency_and_everyone_else_one() {
    assert!(role_fits_agency(Role::Facilitator, None).is_ok());
    assert!(role_fits_agency(Role::Facilitator, Some(Agency::Legal)).is_err());
    assert!(role_fits_agency(Role::Manager, None).is_err());
    assert!(role_fits_agency(PRACTITIONER, Some(Agency::Legal)).is_ok());
}

#[test]
fn the_audit_trail_is_for_facilitators_and_managers() {
    assert!(decide(Role::Facilitator, None, Action::ReadAudit).is_ok());
    assert!(decide(Role::Manager, Some(Agency::Health), Action::ReadAudit).is_ok());
    assert!(decide(PRACTITIONER, Some(Agency::Health), Action::ReadAudit).is_err());
    assert!(decide(Role::Manager, Some(Agency::Health), Action::VerifyAudit).is_err());
}

#[test]
fn the_process_is_recorded_by_the_agency_whose_part_it_is() {
    let sc = Some(Agency::SocialCare);
    let police = Some(Agency::Police);
    let to = Agency::SocialCare;
    assert!(decide(PRACTITIONER, police, Action::MakeReferral { to }).is_ok());
    assert!(decide(PRACTITIONER, sc, Action::MakeReferral { to }).is_err());
    assert!(decide(PRACTITIONER, sc, Action::LogLayReferral { to }).is_ok());
    assert!(decide(PRACTITIONER, police, Action::LogLayReferral { to }).is_err());
    assert!(decide(PRACTITIONER, sc, Action::DecideReferral { receiving: to }).is_ok());
    let refused = decide(
        PRACTITIONER,
        police,
        Action::DecideReferral { receiving: to },
    );
    assert!(refused.unwrap_err().0.contains("social care"));
    assert!(decide(PRACTITIONER, sc, Action::RecordSocialCareProcess).is_ok());
    assert!(decide(Role::Manager, police, Action::RecordSocialCareProcess).is_err());
    assert!(
        decide(
            PRACTITIONER,
            Some(Agency::Legal),
            Action::RecordLegalPlanning
        )
        .is_ok()
    );
    assert!(decide(PRACTITIONER, sc, Action::RecordLegalPlanning).is_err());
    let carers = Action::MarkPlanAction {
        owner: ActionOwner::Carers,
    };
    assert!(decide(PRACTITIONER, sc, carers).is_ok());
    assert!(decide(PRACTITIONER, Some(Agency::Health), carers).is_err());
    let health = Action::MarkPlanAction {
        owner: ActionOwner::Health,
    };
    assert!(decide(PRACTITIONER, Some(Agency::Health), health).is_ok());
    assert!(
        decide(PRACTITIONER, sc, health)
            .unwrap_err()
            .0
            .contains("health")
    );
    assert!(decide(Role::Facilitator, None, health).is_err());
}

#[test]
fn only_the_authoring_agency_amends() {
    let amend = Action::AmendContact {
        author_agency: Agency::Health,
    };
    assert!(decide(PRACTITIONER, Some(Agency::Health), amend).is_ok());
    assert!(decide(PRACTITIONER, Some(Agency::Police), amend).is_err());
    assert!(decide(Role::Facilitator, None, amend).is_err());
}

#[test]
fn sight_follows_sharing_mode_and_visibility() {
    use SharingMode::{Shared, Siloed};
    use Visibility::Restricted;
    let open = Visibility::Shared;
    let police = Some(Agency::Police);
    let health = Agency::Health;
    assert_eq!(
        sight_for(PRACTITIONER, police, Shared, health, open),
        Sight::Full
    );
    assert_eq!(
        sight_for(PRACTITIONER, police, Shared, health, Restricted),
        Sight::Stub
    );
    assert_eq!(
        sight_for(PRACTITIONER, police, Siloed, health, open),
        Sight::Hidden
    );
    assert_eq!(
        sight_for(PRACTITIONER, police, Siloed, health, Restricted),
        Sight::Hidden
    );
    assert_eq!(
        sight_for(PRACTITIONER, police, Siloed, Agency::Police, Restricted),
        Sight::Full
    );
    assert_eq!(
        sight_for(Role::Facilitator, None, Siloed, health, Restricted),
        Sight::Full
    );
}
