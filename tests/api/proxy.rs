//! A TCP proxy in front of PostgreSQL that a test can cut and restore: an outage of the database as
//! the service sees it, with no other test disturbed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

pub struct Proxy {
    pub port: u16,
    state: Arc<Mutex<State>>,
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
                state.links.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { port, state }
    }

    /// The database goes away: open connections are cut and new ones closed at once.
    pub fn cut(&self) {
        let mut state = self.state.lock().unwrap();
        state.up = false;
        state.links.abort_all();
    }

    /// The database is back.
    pub fn restore(&self) {
        self.state.lock().unwrap().up = true;
    }
}
