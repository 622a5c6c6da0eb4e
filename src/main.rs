use clap::{Parser, Subcommand};

use mash::config::{DatabaseSettings, ServeSettings};
use mash::startup::{self, Application};
use mash::{telemetry, users};

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
        serve: ServeSettings,
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    match cli.command {
        Command::Serve { db, serve } => {
            let pool = startup::connect(&db).await?;
            let app = Application::build(&serve, pool).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate { db } => {
            startup::connect(&db).await?;
            tracing::info!("migrations applied");
        }
        Command::SeedDemo { db } => {
            let pool = startup::connect(&db).await?;
            users::seed::seed_demo(&pool).await?;
        }
        Command::Openapi => print!("{}", startup::api_doc().to_yaml()?),
    }
    Ok(())
}
