//! A new exercise: its request checked (the scenario parsed and fit to run), its trainees'
//! credentials made, and its exercise, teams, trainees and actors written.

use rand::Rng;
use uuid::Uuid;

use super::play::checkpoint_steps;
use super::repo::{self, NewEvent};
use super::types::*;
use crate::error::{ApiError, ApiResult};
use crate::scenario::format::Scenario;
use crate::users::repo::UserRecord;
use crate::validation::text;
use crate::vocabulary::{Agency, Role};

/// Most teams an exercise may have.
pub const MAX_TEAMS: u32 = 12;

/// Longest scenario a request may carry (the bundled ones are under 21,000 characters): even
/// written as JSON escapes, it stays inside the body limit.
pub const MAX_SCENARIO_CHARS: usize = 50_000;

/// A new exercise's request, checked.
pub struct Setup {
    pub name: String,
    /// The bundled scenario's name, or the given scenario's own.
    pub scenario_name: String,
    pub source: String,
    pub scenario: Scenario,
}

/// Checks a new exercise: its name, its number of teams, and its scenario (bundled or given
/// whole), which must parse, name its actors fitly and have a checkpoint to release.
pub fn setup(body: &NewExercise) -> ApiResult<Setup> {
    let name = text("name", &body.name, 1, 200)?;
    if !(1..=MAX_TEAMS).contains(&body.teams) {
        return Err(ApiError::validation(
            "teams",
            format!("must be between 1 and {MAX_TEAMS}"),
        ));
    }
    let (scenario_name, source) = match (&body.scenario, &body.scenario_yaml) {
        (Some(named), None) => {
            let source = crate::scenario::bundled(named).ok_or_else(|| {
                ApiError::validation(
                    "scenario",
                    format!(
                        "no bundled scenario of this name; there are: {}",
                        crate::scenario::BUNDLED
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            (
                named.trim_end_matches(".yaml").to_string(),
                source.to_string(),
            )
        }
        (None, Some(yaml)) => {
            if yaml.chars().count() > MAX_SCENARIO_CHARS {
                return Err(ApiError::validation(
                    "scenario_yaml",
                    format!("at most {MAX_SCENARIO_CHARS} characters"),
                ));
            }
            if yaml.contains('\0') {
                return Err(ApiError::validation(
                    "scenario_yaml",
                    "must not contain NUL",
                ));
            }
            (String::new(), yaml.clone())
        }
        _ => {
            return Err(ApiError::validation(
                "scenario",
                "give `scenario` (a bundled scenario's name) or `scenario_yaml`, not both",
            ));
        }
    };
    let field = if body.scenario.is_some() {
        "scenario"
    } else {
        "scenario_yaml"
    };
    let scenario = parse(&source).map_err(|detail| ApiError::validation(field, detail))?;
    if let Some((key, _)) = scenario.actors.iter().find(|(_, a)| {
        !(1..=200).contains(&a.display_name.chars().count())
            || a.display_name.trim().is_empty()
            || a.display_name.contains('\0')
    }) {
        return Err(ApiError::validation(
            field,
            format!("actor `{key}`: `display_name` must be 1 to 200 characters, without NUL"),
        ));
    }
    if scenario.name.contains('\0') || scenario.name.chars().count() > 200 {
        return Err(ApiError::validation(
            field,
            "`name` must be at most 200 characters, without NUL",
        ));
    }
    if checkpoint_steps(&scenario).is_empty() {
        return Err(ApiError::validation(
            field,
            "the scenario has no checkpoint to release",
        ));
    }
    let scenario_name = if scenario_name.is_empty() {
        scenario.name.clone()
    } else {
        scenario_name
    };
    Ok(Setup {
        name,
        scenario_name,
        source,
        scenario,
    })
}

fn parse(source: &str) -> Result<Scenario, String> {
    crate::scenario::check::check(source).map_err(|issues| {
        issues
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// A password to read out or print: four groups of four letters and digits, none easily confused.
fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let mut rng = rand::rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Every team's trainees, one per agency, with new passwords and their hashes (in the same
/// order), named after the exercise's `code`.
pub async fn trainees(code: &str, teams: u32) -> ApiResult<(Vec<CreatedTeam>, Vec<String>)> {
    let mut created = Vec::new();
    let mut hashes = Vec::new();
    for number in 1..=teams {
        let mut accounts = Vec::new();
        for agency in Agency::ALL {
            let password = generated_password();
            hashes.push(
                crate::auth::password::hash(password.clone())
                    .await
                    .map_err(ApiError::internal)?,
            );
            accounts.push(TraineeAccount {
                team: number,
                agency: *agency,
                username: format!("{code}-t{number}-{}", agency.as_str()),
                password,
            });
        }
        created.push(CreatedTeam {
            id: Uuid::new_v4(),
            number,
            accounts,
        });
    }
    Ok((created, hashes))
}

/// The trainees' credentials as CSV: team, agency, username, password.
pub fn credentials_csv(teams: &[CreatedTeam]) -> ApiResult<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["team", "agency", "username", "password"])
        .map_err(ApiError::internal)?;
    for team in teams {
        for a in &team.accounts {
            out.write_record([
                a.team.to_string(),
                a.agency.as_str().to_string(),
                a.username.clone(),
                a.password.clone(),
            ])
            .map_err(ApiError::internal)?;
        }
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

/// The username of a scenario actor's account in a team: letters, digits, `.`, `_` and `-` only.
fn actor_username(code: &str, team: u32, key: &str) -> String {
    let key_part: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut username = format!("{code}-t{team}-a-{key_part}");
    username.truncate(64);
    username
}

/// Writes the exercise `created` describes: the exercise, each team with its trainees (`hashes`
/// in the order of their accounts) and the scenario's actors, and the exercise's first event.
/// Answers `created` with each team's id as written.
pub async fn provision(
    tx: &mut sqlx::PgConnection,
    setup: &Setup,
    created: &CreatedExercise,
    (code, hashes): (&str, &[String]),
    (mode, by): (Option<crate::vocabulary::SharingMode>, Uuid),
) -> ApiResult<CreatedExercise> {
    let id = created.id;
    repo::insert_exercise(
        tx,
        id,
        &setup.name,
        &setup.scenario_name,
        &setup.source,
        mode,
        by,
    )
    .await?;
    let mut hashes = hashes.iter();
    let mut answer = created.clone();
    for team in &mut answer.teams {
        team.id = repo::insert_team(tx, id, i32::try_from(team.number).unwrap_or(0)).await?;
        for a in &team.accounts {
            let display_name = format!("Team {} {}", team.number, a.agency.label());
            let user = crate::users::repo::insert(
                &mut *tx,
                &UserRecord {
                    username: &a.username,
                    display_name: &display_name,
                    agency: Some(a.agency),
                    role: Role::Practitioner,
                    password_hash: hashes.next().map_or("!", String::as_str),
                },
            )
            .await?;
            repo::join_team(tx, user.id, team.id, None).await?;
        }
        for (key, actor) in &setup.scenario.actors {
            // No password: only the service acts as the scenario's actors.
            let username = actor_username(code, team.number, key);
            let user = crate::users::repo::insert(
                &mut *tx,
                &UserRecord {
                    username: &username,
                    display_name: &actor.display_name,
                    agency: actor.agency,
                    role: actor.role,
                    password_hash: "!",
                },
            )
            .await?;
            repo::join_team(tx, user.id, team.id, Some(key)).await?;
        }
    }
    let event = NewEvent {
        exercise: id,
        kind: "created",
        team: None,
        checkpoints: 0,
        clock: None,
        mode,
        by,
    };
    repo::insert_event(tx, &event).await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actors_username_keeps_only_the_letters_a_username_takes() {
        assert_eq!(
            actor_username("abc123", 2, "Dr Smith/GP"),
            "abc123-t2-a-Dr-Smith-GP"
        );
        assert_eq!(actor_username("c", 1, &"x".repeat(100)).len(), 64);
    }

    #[test]
    fn a_password_is_four_groups_of_four_unmistakable_characters() {
        let password = generated_password();
        let groups: Vec<&str> = password.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert!(!password.contains(['0', 'O', '1', 'l', 'I']));
    }
}
