//! `mash exercise …`: the exercise routes for a facilitator at a terminal. A plain client of the
//! API, as the replay is.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::types::{CreatedExercise, ExerciseView, Scores};

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    /// Signs in as the facilitator (`USERNAME:PASSWORD`).
    pub async fn sign_in(base_url: &str, facilitator: &str) -> anyhow::Result<Client> {
        let (username, password) = crate::config::parse_credentials(facilitator)?;
        let http = reqwest::Client::new();
        let base = base_url.trim_end_matches('/').to_string();
        let response = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .with_context(|| format!("reaching {base}"))?;
        let body = answer(response).await?;
        let token = body["access_token"]
            .as_str()
            .context("the login answered no token")?
            .to_string();
        Ok(Client { http, base, token })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<reqwest::Response> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            // A stage change retried by the client library is made once (creating an exercise
            // takes no key: its answer holds passwords, which the service keeps nowhere).
            request = request
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&body);
        }
        request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))
    }

    async fn json(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        answer(self.call(method, path, body).await?).await
    }

    pub fn page(&self, exercise: &str) -> String {
        format!("{}/exercises/{exercise}", self.base)
    }
}

/// The JSON of a successful answer, or the server's problem as the error.
async fn answer(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if !status.is_success() {
        match (body["title"].as_str(), body["detail"].as_str()) {
            (Some(title), Some(detail)) => bail!("{} {title}: {detail}", status.as_u16()),
            _ => bail!("{status}: {}", text.chars().take(300).collect::<String>()),
        }
    }
    Ok(body)
}

/// `scenario` names a bundled scenario, or a file to send whole.
pub async fn create(
    client: &Client,
    name: &str,
    scenario: &str,
    teams: u32,
    mode: Option<&str>,
    csv: Option<&Path>,
) -> anyhow::Result<()> {
    let mut body = json!({"name": name, "teams": teams, "mode": mode});
    if Path::new(scenario).is_file() {
        body["scenario_yaml"] = json!(
            std::fs::read_to_string(scenario).with_context(|| format!("reading {scenario}"))?
        );
    } else {
        body["scenario"] = json!(scenario);
    }
    let created: CreatedExercise = serde_json::from_value(
        client
            .json(Method::POST, "/api/v1/exercises", Some(body))
            .await?,
    )?;
    println!(
        "Exercise {} \"{}\" ({})",
        created.id, created.name, created.scenario
    );
    println!("Its page: {}", client.page(&created.id.to_string()));
    println!();
    println!("The trainees' sign-ins, shown this once:");
    println!("{:<6} {:<12} {:<28} password", "team", "agency", "username");
    for team in &created.teams {
        for a in &team.accounts {
            println!(
                "{:<6} {:<12} {:<28} {}",
                a.team,
                a.agency.as_str(),
                a.username,
                a.password
            );
        }
    }
    if let Some(path) = csv {
        write_private(path, created.credentials_csv.as_bytes())?;
        println!("\nThe same, to print: {}", path.display());
    }
    Ok(())
}

fn show(view: &ExerciseView) {
    println!(
        "{}: {}, {} of {} checkpoints released{}",
        view.name,
        view.state.as_str(),
        view.checkpoints_released,
        view.checkpoint_count,
        view.clock
            .map(|c| format!("; scenario clock {}", c.format("%Y-%m-%d %H:%M")))
            .unwrap_or_default()
    );
    if let Some(c) = &view.checkpoint {
        println!("Checkpoint {}: {}", c.number, c.title);
        if let Some(q) = &c.question {
            println!("  Ask the teams: {q}");
        }
    }
    for t in &view.teams {
        let score = t
            .score
            .as_ref()
            .map(|s| format!(", score {} / {}", s.points, s.possible))
            .unwrap_or_default();
        println!(
            "  team {}: {} of {} checkpoints{score}",
            t.number, t.checkpoints_reached, view.checkpoint_count
        );
    }
}

/// Asks the exercise to change (`advance`, `reset`, `end`) and shows where it stands after.
async fn change(client: &Client, exercise: &str, what: &str, body: Value) -> anyhow::Result<()> {
    client
        .json(
            Method::POST,
            &format!("/api/v1/exercises/{exercise}/{what}"),
            Some(body),
        )
        .await?;
    let view: ExerciseView = serde_json::from_value(
        client
            .json(Method::GET, &format!("/api/v1/exercises/{exercise}"), None)
            .await?,
    )?;
    show(&view);
    Ok(())
}

pub async fn advance(
    client: &Client,
    exercise: &str,
    until: Option<DateTime<Utc>>,
    mode: Option<&str>,
) -> anyhow::Result<()> {
    change(
        client,
        exercise,
        "advance",
        json!({"until": until, "mode": mode}),
    )
    .await
}

pub async fn reset(
    client: &Client,
    exercise: &str,
    checkpoint: usize,
    team: Option<u32>,
) -> anyhow::Result<()> {
    change(
        client,
        exercise,
        "reset",
        json!({"checkpoint": checkpoint, "team": team}),
    )
    .await
}

pub async fn end(client: &Client, exercise: &str) -> anyhow::Result<()> {
    change(client, exercise, "end", json!({})).await
}

/// Prints the expectations table and saves the room's debrief.
pub async fn debrief(client: &Client, exercise: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    let scores: Scores = serde_json::from_value(
        client
            .json(
                Method::GET,
                &format!("/api/v1/exercises/{exercise}/scores"),
                None,
            )
            .await?,
    )?;
    use std::fmt::Write as _;
    let mut table = format!("{:<4} {:<28} {:>6}", "cp", "expectation", "points");
    for t in &scores.teams {
        let _ = write!(table, "  {:<14}", format!("team {}", t.team));
    }
    println!("{}", table.trim_end());
    for (i, e) in scores.expectations.iter().enumerate() {
        let mut line = format!(
            "{:<4} {:<28} {:>6}",
            e.checkpoint, e.id, e.expectation.points
        );
        for t in &scores.teams {
            let r = &t.results[i];
            let _ = write!(
                line,
                "  {:<14}",
                format!("{} ({})", r.outcome.label(), r.points)
            );
        }
        println!("{}", line.trim_end());
    }
    let mut total = format!("{:<4} {:<28} {:>6}", "", "score", "");
    for t in &scores.teams {
        let _ = write!(
            total,
            "  {:<14}",
            format!("{} / {}", t.score.points, t.score.possible)
        );
    }
    println!("{}", total.trim_end());
    let response = client
        .call(
            Method::GET,
            &format!("/api/v1/exercises/{exercise}/debrief"),
            None,
        )
        .await?;
    if !response.status().is_success() {
        answer(response).await?;
        return Ok(());
    }
    let html = response.text().await?;
    let path = out.unwrap_or_else(|| PathBuf::from(format!("exercise-{exercise}-debrief.html")));
    write_private(&path, html.as_bytes())?;
    println!("\nThe room's debrief: {}", path.display());
    Ok(())
}

/// Writes a file only its owner may read (0600): credentials and debriefs hold passwords and
/// child data. A file already there is made private before it is overwritten.
fn write_private(path: &std::path::Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("making {} private", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod private_files {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn credentials_and_debriefs_are_written_for_their_owner_only() {
        let dir = std::env::temp_dir().join(format!("mash-private-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials.csv");
        // Even a file that was there, readable by everyone, ends up private.
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::write_private(&path, b"username,password\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"username,password\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
