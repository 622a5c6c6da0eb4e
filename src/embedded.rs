//! A private PostgreSQL, for a machine where PostgreSQL is installed but nothing is configured:
//! when no `DATABASE_URL` is given and nothing answers at the default, `mash` starts a server of
//! its own from the installed programs (`initdb`, `pg_ctl`), with a data directory under the user's
//! data directory (or a throwaway one), on a free loopback port with a password only `mash` knows,
//! and stops it when it stops. PostgreSQL refuses to run as root, so under root (as in CI) the
//! server runs as the `postgres` system user that Debian's package creates.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, bail};
use rand::RngCore;

/// Where the data of a private server lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Kept between runs, under the user's data directory.
    Persistent,
    /// Thrown away when the server stops.
    Ephemeral,
}

/// A running private server; stopped when dropped.
pub struct Embedded {
    data: PathBuf,
    pg_ctl: PathBuf,
    owner: Option<(u32, u32)>,
    keep: Keep,
}

/// The directory holding `initdb` and `pg_ctl`: on PATH, or where Debian puts each version.
fn binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    })
}

/// The user the server runs as when `mash` runs as root: PostgreSQL's own.
fn unprivileged_owner() -> anyhow::Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new("postgres").expect("no NUL in a literal");
    // SAFETY: getpwnam reads the passwd database and returns a pointer to static storage (or
    // null), which is read at once, before any other call could overwrite it.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        bail!(
            "PostgreSQL will not run as root, and there is no `postgres` user to run it as: \
             run mash as an ordinary user, or set DATABASE_URL"
        );
    }
    // SAFETY: `entry` is not null and points at a passwd record.
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn data_dir(keep: Keep, owner: Option<(u32, u32)>) -> anyhow::Result<PathBuf> {
    Ok(match (keep, owner) {
        (Keep::Ephemeral, _) => {
            std::env::temp_dir().join(format!("mash-postgres-{}", uuid::Uuid::new_v4()))
        }
        // Root's home is closed to the server's user: keep its data where services keep theirs.
        (Keep::Persistent, Some(_)) => PathBuf::from("/var/lib/mash/postgres"),
        (Keep::Persistent, None) => dirs::data_dir()
            .context("finding the user's data directory (is HOME set?)")?
            .join("mash")
            .join("postgres"),
    })
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Embedded {
    /// Starts a private server (creating its data directory the first time) and answers it with
    /// the URL of its `mash` database.
    pub fn start(keep: Keep) -> anyhow::Result<(Embedded, String)> {
        let Some(bin) = binaries() else {
            bail!(
                "no DATABASE_URL, nothing answers at the default, and no PostgreSQL is installed to \
                 start one.\nInstall PostgreSQL (Debian: `apt install postgresql`) and run again, \
                 set DATABASE_URL, or run `docker compose up`."
            );
        };
        let owner = unprivileged_owner()?;
        let data = data_dir(keep, owner)?;
        let embedded = Embedded {
            pg_ctl: bin.join("pg_ctl"),
            data,
            owner,
            keep,
        };
        let password_file = embedded.data.join("mash-password");
        if !embedded.data.join("PG_VERSION").is_file() {
            embedded.initialise(&bin.join("initdb"), &password_file)?;
        }
        let password = std::fs::read_to_string(&password_file)
            .with_context(|| format!("reading {}", password_file.display()))?;
        let port = free_port()?;
        // A server left running by a process that was killed is stopped, to start on this port.
        let _ = embedded.pg_ctl(&["stop", "-m", "fast", "-w"]);
        let socket_dir = embedded.data.to_string_lossy().into_owned();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir}{}",
            if keep == Keep::Ephemeral {
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            } else {
                ""
            }
        );
        let log = embedded.data.join("server.log");
        let started = embedded.pg_ctl(&[
            "start",
            "-w",
            "-t",
            "60",
            "-l",
            &log.to_string_lossy(),
            "-o",
            &options,
        ])?;
        if !started.status.success() {
            bail!(
                "the private PostgreSQL did not start ({}); see {}",
                String::from_utf8_lossy(&started.stderr).trim(),
                log.display()
            );
        }
        tracing::info!(data = %embedded.data.display(), port, "a private PostgreSQL is running");
        let url = format!(
            "postgres://postgres:{}@127.0.0.1:{port}/mash",
            password.trim()
        );
        Ok((embedded, url))
    }

    /// Where its data lives.
    pub fn data(&self) -> &Path {
        &self.data
    }

    fn initialise(&self, initdb: &Path, password_file: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("creating {}", self.data.display()))?;
        let mut secret = [0u8; 24];
        rand::rng().fill_bytes(&mut secret);
        let password = hex::encode(secret);
        // The password is read by initdb from a file outside the data directory (which initdb
        // wants empty), then kept inside it for the next start.
        let staged = self.data.with_extension("password");
        std::fs::write(&staged, &password)?;
        if let Some((uid, gid)) = self.owner {
            chown(&self.data, uid, gid)?;
            chown(&staged, uid, gid)?;
        }
        let output = self
            .command(initdb)
            .args(["-D", &self.data.to_string_lossy(), "-U", "postgres"])
            .args([
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", staged.display()))
            .output()
            .context("running initdb")?;
        let _ = std::fs::remove_file(&staged);
        if !output.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        std::fs::write(password_file, &password)?;
        set_private(password_file)?;
        Ok(())
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.stdin(Stdio::null());
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<Output> {
        self.command(&self.pg_ctl)
            .args(args)
            .arg("-D")
            .arg(&self.data)
            .stdout(Stdio::null())
            .output()
            .context("running pg_ctl")
    }

    /// Stops the server (and throws its data away, when it was ephemeral).
    pub fn stop(&self) {
        match self.pg_ctl(&["stop", "-m", "fast", "-w"]) {
            Ok(output) if output.status.success() => {
                tracing::info!(data = %self.data.display(), "the private PostgreSQL stopped");
            }
            Ok(output) => tracing::warn!(
                stderr = %String::from_utf8_lossy(&output.stderr).trim(),
                "the private PostgreSQL did not stop cleanly"
            ),
            Err(error) => tracing::warn!(%error, "the private PostgreSQL could not be stopped"),
        }
        if self.keep == Keep::Ephemeral {
            let _ = std::fs::remove_dir_all(&self.data);
        }
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.stop();
    }
}

fn chown(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .with_context(|| format!("handing {} to the server's user", path.display()))
}

fn set_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}
