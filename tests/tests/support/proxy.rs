//! A TCP proxy for network faults between devices and a server: it delays
//! and splits what it forwards (each connection at its own random pace, so
//! messages from different devices arrive in another order than they were
//! sent), cuts every open connection on demand (often mid-message), and
//! refuses new ones for a while (a partition).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Debug)]
pub struct Proxy {
    pub port: u16,
    /// Bumped on every cut; connections older than the bump close.
    cuts: watch::Sender<u64>,
    down_until: Arc<Mutex<Option<Instant>>>,
    pub stats: Arc<Mutex<ProxyStats>>,
}

#[derive(Debug, Default, Clone)]
pub struct ProxyStats {
    pub connections: u64,
    pub refused: u64,
    pub cut: u64,
    pub pieces: u64,
}

impl Proxy {
    /// Forwards `127.0.0.1:<port>` to `upstream`, each piece delayed by up
    /// to `max_delay`.
    pub async fn start(upstream: SocketAddr, max_delay: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let (cuts, _) = watch::channel(0u64);
        let down_until = Arc::new(Mutex::new(None::<Instant>));
        let stats = Arc::new(Mutex::new(ProxyStats::default()));
        let (c, d, s) = (cuts.clone(), down_until.clone(), stats.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let down = d.lock().unwrap().is_some_and(|t| Instant::now() < t);
                if down {
                    s.lock().unwrap().refused += 1;
                    drop(client);
                    continue;
                }
                s.lock().unwrap().connections += 1;
                let mut cut = c.subscribe();
                let s = s.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let pumps = async {
                        tokio::join!(
                            pump(cr, sw, max_delay, s.clone()),
                            pump(sr, cw, max_delay, s.clone())
                        )
                    };
                    tokio::select! {
                        _ = pumps => {}
                        _ = cut.changed() => { s.lock().unwrap().cut += 1; }
                    }
                });
            }
        });
        Proxy {
            port,
            cuts,
            down_until,
            stats,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Cuts every open connection and refuses new ones for `down`.
    pub fn cut_for(&self, down: Duration) {
        *self.down_until.lock().unwrap() = Some(Instant::now() + down);
        self.cuts.send_modify(|n| *n += 1);
    }
}

/// Copies `from` to `to` in random pieces, each after a random delay.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    max_delay: Duration,
    stats: Arc<Mutex<ProxyStats>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let (piece, delay) = {
                let mut rng = rand::rng();
                let piece = rng.random_range(1..=rest.len());
                let delay = max_delay.mul_f64(rng.random::<f64>());
                (piece, delay)
            };
            tokio::time::sleep(delay).await;
            if to.write_all(&rest[..piece]).await.is_err() {
                return;
            }
            stats.lock().unwrap().pieces += 1;
            rest = &rest[piece..];
        }
    }
    // The other side closed: pass the close on (if this side is gone too,
    // there is nothing left to tell).
    let _ = to.shutdown().await;
}
