//! A TCP proxy in front of PostgreSQL that a test can cut, stall and restore: an outage of the
//! database as the service sees it, with no other test disturbed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub struct Proxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stalled: watch::Sender<bool>,
}

struct State {
    up: bool,
    links: JoinSet<()>,
}

impl Proxy {
    /// Forwards connections on a free loopback port to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            up: true,
            links: JoinSet::new(),
        }));
        let (stalled, watching) = watch::channel(false);
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut state = shared.lock().unwrap();
                while state.links.try_join_next().is_some() {}
                if !state.up {
                    // Refused: closed at once, as a stopped server's port would be.
                    drop(client);
                    continue;
                }
                let mut stalled = watching.clone();
                state.links.spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let partitioned = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
                        partitioned = stalled.wait_for(|s| *s) => partitioned.is_ok(),
                    };
                    if partitioned {
                        // A partition: both ends stay open and nothing more crosses.
                        std::future::pending::<()>().await;
                    }
                });
            }
        });
        Proxy {
            port,
            state,
            stalled,
        }
    }

    /// The database goes away: open connections are cut and new ones closed at once.
    pub fn cut(&self) {
        let mut state = self.state.lock().unwrap();
        state.up = false;
        state.links.abort_all();
    }

    /// The database stops answering: connections stay open, old and new, and nothing crosses.
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// The database is back; connections from before the outage are gone.
    pub fn restore(&self) {
        let mut state = self.state.lock().unwrap();
        state.links.abort_all();
        self.stalled.send_replace(false);
        state.up = true;
    }
}
