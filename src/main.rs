use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use mash::scenario::replay;
use mash::vocabulary::SharingMode;

use mash::config::{DatabaseSettings, ServeSettings};
use mash::record::settings::RuleConfig;
use mash::startup::{self, Application};
use mash::{telemetry, users};

// The combined views build and drop many small values per request; mimalloc does that faster than
// the system allocator and keeps the process smaller under many threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mash: a multi-agency shared child record for safeguarding exercises.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Log filter, optionally prefixed `json:` for JSON lines (e.g. `info`, `json:mash=debug`).
    #[arg(long, env = "MASH_LOG", default_value = "info", global = true)]
    log: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (creates the database if missing and applies migrations first).
    Serve {
        #[command(flatten)]
        db: DatabaseSettings,
        #[command(flatten)]
        serve: Box<ServeSettings>,
    },
    /// Apply the migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DatabaseSettings,
    },
    /// Create the demo users (idempotent) and exit.
    SeedDemo {
        #[command(flatten)]
        db: DatabaseSettings,
    },
    /// Print the OpenAPI contract (YAML) that the server implements.
    Openapi,
    /// List the rules' windows and thresholds with their current values (set by MASH_RULE_* in the
    /// environment or .env) and defaults.
    Rules,
    /// Replay a scenario file against a running service, through its public API.
    Replay {
        /// The scenario (YAML), e.g. scenarios/child-p-2006-2007.yaml.
        file: PathBuf,
        /// The service, e.g. http://localhost:8080.
        #[arg(long, default_value = "http://localhost:8080")]
        base_url: String,
        /// A facilitator's `USERNAME:PASSWORD`: creates the actors' accounts and reads the gap report.
        #[arg(long, env = "MASH_FACILITATOR", hide_env_values = true)]
        facilitator: String,
        /// Stop after the last step at or before this scenario time (RFC 3339 or a date).
        #[arg(long, value_parser = parse_scenario_time)]
        until: Option<DateTime<Utc>>,
        /// Wait for Enter at each checkpoint.
        #[arg(long)]
        step: bool,
        /// Play the record shared (joined up) or siloed (as in 2007).
        #[arg(long, value_parser = ["shared", "siloed"])]
        mode: Option<String>,
        /// Print one JSON document for scripts instead of the running commentary.
        #[arg(long)]
        json: bool,
    },
    /// Work with scenario files.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// Run a training exercise on a running service, as its facilitator.
    Exercise {
        /// The service, e.g. http://localhost:8080.
        #[arg(long, default_value = "http://localhost:8080", global = true)]
        base_url: String,
        /// A facilitator's `USERNAME:PASSWORD`.
        #[arg(long, env = "MASH_FACILITATOR", hide_env_values = true, global = true)]
        facilitator: Option<String>,
        #[command(subcommand)]
        command: ExerciseCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the chain in the database and, with --checkpoints, check that it still passes through
    /// every signed checkpoint saved earlier. Reads only; exits 1 if anything does not hold.
    Verify {
        /// Checkpoints saved from GET /api/v1/audit/checkpoints: a JSON array, a page, or one per line.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The database to check.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// A public key (hex) to trust; repeat for several. Without one, any validly signed
        /// checkpoint is taken, and its key is printed for you to compare with the one you published.
        #[arg(long)]
        public_key: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ExerciseCommand {
    /// Create an exercise: a team's record and four trainees (one per agency) for each team. The
    /// trainees' passwords are printed this once.
    Create {
        /// A bundled scenario's name (child-p-2006-2007, child-q-joined-up, child-s-2020) or a
        /// scenario file.
        #[arg(long)]
        scenario: String,
        #[arg(long)]
        teams: u32,
        #[arg(long, default_value = "Training day")]
        name: String,
        /// The records' sharing mode from the start.
        #[arg(long, value_parser = ["shared", "siloed"])]
        mode: Option<String>,
        /// Also write the trainees' sign-ins to this CSV file, to print.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Release the next stage: the service plays the scenario up to its next checkpoint (or to
    /// --until) into every team's record.
    Advance {
        exercise: String,
        #[arg(long, value_parser = parse_scenario_time)]
        until: Option<DateTime<Utc>>,
        /// Switch every team's record to this sharing mode once the stage is played.
        #[arg(long, value_parser = ["shared", "siloed"])]
        mode: Option<String>,
    },
    /// Put the exercise, or one team, back to a checkpoint (0: the start).
    Reset {
        exercise: String,
        #[arg(long)]
        checkpoint: usize,
        #[arg(long)]
        team: Option<u32>,
    },
    /// End the exercise: trainees' accounts are disabled; the records stay for the debrief.
    End { exercise: String },
    /// Print the expectations table and save the room's debrief (HTML).
    Debrief {
        exercise: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// Validate a scenario file without a server.
    Check { file: PathBuf },
}

fn parse_scenario_time(text: &str) -> Result<DateTime<Utc>, String> {
    mash::scenario::format::parse_time(text)
        .ok_or_else(|| format!("`{text}` is not a time (RFC 3339 or a date)"))
}

/// The scenario in `file`, or its issues printed (each with its line) and exit status 1.
fn load_scenario(file: &PathBuf) -> anyhow::Result<mash::scenario::format::Scenario> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match mash::scenario::check::check(&text) {
        Ok(s) => Ok(s),
        Err(issues) => {
            for issue in &issues {
                eprintln!("{}: {issue}", file.display());
            }
            eprintln!(
                "{}: {} issue(s); nothing was sent",
                file.display(),
                issues.len()
            );
            std::process::exit(1);
        }
    }
}

#[tokio::main]
async fn main() {
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    // An expected failure (a database that refuses, a file that is missing) is said in a line or
    // two, with its causes, never as a backtrace.
    if let Err(error) = run(cli).await {
        eprintln!("mash: {error:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, mut serve } => {
            serve.rules = RuleConfig::from_vars(std::env::vars())?;
            if !serve.rules.changed().is_empty() {
                tracing::info!(changed = ?serve.rules.changed(), "rule settings changed from the defaults");
            }
            // A private server, if one was started, lives as long as the service and stops after.
            let (owner, _private) = startup::open(&db).await?;
            let pool = startup::serving_pool(&db, &owner).await?;
            owner.close().await;
            let app = Application::build(&serve, pool).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate { db } => {
            let (_pool, _private) = startup::open(&db).await?;
            tracing::info!("migrations applied");
        }
        Command::SeedDemo { db } => {
            let (pool, _private) = startup::open(&db).await?;
            users::seed::seed_demo(&pool).await?;
        }
        Command::Openapi => print!("{}", startup::api_doc().to_yaml()?),
        Command::Rules => print!("{}", RuleConfig::from_vars(std::env::vars())?.describe()),
        Command::Scenario {
            command: ScenarioCommand::Check { file },
        } => {
            let scenario = load_scenario(&file)?;
            println!(
                "{}: valid: \"{}\", {} steps",
                file.display(),
                scenario.name,
                scenario.steps.len()
            );
            // What it says the record will show: the replay proves it against the service.
            for step in &scenario.steps {
                if let mash::scenario::format::Action::Checkpoint(c) = &step.action
                    && let Some(expect) = &c.expect
                {
                    let expects = if expect.is_empty() {
                        "no indicator".to_string()
                    } else {
                        expect.join(", ")
                    };
                    println!(
                        "  {} {}: expects {expects}",
                        step.at.0.format("%Y-%m-%d"),
                        c.title
                    );
                }
            }
        }
        Command::Exercise {
            base_url,
            facilitator,
            command,
        } => {
            use mash::exercises::cli;
            let facilitator = facilitator.context(
                "name the facilitator: --facilitator USERNAME:PASSWORD or MASH_FACILITATOR",
            )?;
            let client = cli::Client::sign_in(&base_url, &facilitator).await?;
            match command {
                ExerciseCommand::Create {
                    scenario,
                    teams,
                    name,
                    mode,
                    csv,
                } => {
                    cli::create(
                        &client,
                        &name,
                        &scenario,
                        teams,
                        mode.as_deref(),
                        csv.as_deref(),
                    )
                    .await?
                }
                ExerciseCommand::Advance {
                    exercise,
                    until,
                    mode,
                } => cli::advance(&client, &exercise, until, mode.as_deref()).await?,
                ExerciseCommand::Reset {
                    exercise,
                    checkpoint,
                    team,
                } => cli::reset(&client, &exercise, checkpoint, team).await?,
                ExerciseCommand::End { exercise } => cli::end(&client, &exercise).await?,
                ExerciseCommand::Debrief { exercise, out } => {
                    cli::debrief(&client, &exercise, out).await?
                }
            }
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    checkpoints,
                    database_url,
                    public_key,
                },
        } => {
            let saved = match &checkpoints {
                Some(path) => mash::audit::checkpoint::parse_file(
                    &std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?,
                )
                .with_context(|| format!("reading {}", path.display()))?,
                None => Vec::new(),
            };
            let db = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&database_url)
                .await
                .context("connecting to the database")?;
            let report = mash::audit::consistency::check(&db, saved, &public_key).await?;
            print!("{}", report.describe());
            if !report.holds() {
                std::process::exit(1);
            }
        }
        Command::Replay {
            file,
            base_url,
            facilitator,
            until,
            step,
            mode,
            json,
        } => {
            let scenario = load_scenario(&file)?;
            let (user, pass) = mash::config::parse_credentials(&facilitator)?;
            let options = replay::Options {
                base_url,
                facilitator: (user, pass),
                until,
                step,
                mode: mode.map(|m| {
                    if m == "siloed" {
                        SharingMode::Siloed
                    } else {
                        SharingMode::Shared
                    }
                }),
                json,
            };
            let mut stdout = std::io::stdout();
            match replay::replay(&scenario, &options, &mut stdout).await {
                Ok(report) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&report)?);
                    }
                    let unexpected = report.unexpected();
                    if !unexpected.is_empty() {
                        for c in unexpected {
                            eprintln!(
                                "checkpoint \"{}\" ({}): the record showed [{}], the scenario expects [{}]",
                                c.title,
                                c.at.format("%Y-%m-%d"),
                                c.indicators.join(", "),
                                c.expected.as_deref().unwrap_or_default().join(", ")
                            );
                        }
                        std::process::exit(1);
                    }
                }
                Err(e) => {
                    eprintln!("replay stopped: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}
