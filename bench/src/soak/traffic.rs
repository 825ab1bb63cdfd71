//! The steady load: people signing in, reading their profile and balance and signing out, and slow clients.

use rand::{Rng, SeedableRng, rngs::StdRng};
use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::RwLock,
};

use super::{
    client::{Balancer, Sessions, address},
    tally::Class,
};
use crate::PROVIDER;

/// Sessions the run keeps at least, and the share of steps that sign in
/// someone new (per cent).
const MIN_SESSIONS: usize = 100;
const LOGIN_PERCENT: u32 = 4;
/// Pause between one person's steps.
const THINK: std::ops::Range<u64> = 50..150;
/// The longest a slow client keeps trickling a header before giving up
/// (keyhole must have cut it long before).
const SLOW_GIVE_UP: Duration = Duration::from_secs(60);

/// What every traffic task shares.
#[derive(Debug)]
pub(crate) struct Traffic {
    pub(crate) lb: Balancer,
    pub(crate) sessions: Sessions,
    /// Held (read) by each step of the steady load; a refresh storm takes
    /// it (write) so that it alone refreshes while it runs.
    pub(crate) gate: RwLock<()>,
    pub(crate) until: Instant,
}

/// One person after another, until the run ends: sign in, read the
/// profile or the balance, now and then sign out.
pub(crate) async fn people(traffic: Arc<Traffic>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let balance = format!("/api/me/{PROVIDER}/balance");
    while Instant::now() < traffic.until {
        {
            let _step = traffic.gate.read().await;
            let roll = rng.random_range(0..100);
            if traffic.sessions.len() < MIN_SESSIONS || roll < LOGIN_PERCENT {
                if let Ok(Some(session)) = traffic.lb.login(Class::Login, &address(&mut rng)).await
                {
                    traffic.sessions.add(session);
                }
            } else if roll < 97 {
                if let Some(session) = traffic.sessions.pick(&mut rng) {
                    let (class, path) = if roll < 60 {
                        (Class::Me, "/api/me")
                    } else {
                        (Class::Balance, balance.as_str())
                    };
                    if traffic.lb.get(class, None, path, &session).await == 401 {
                        // Nobody signed this session out: it was lost.
                        traffic.lb.tally.lost_midway.fetch_add(1, Ordering::Relaxed);
                        traffic.sessions.remove(&session);
                    }
                }
            } else if let Some(session) = traffic.sessions.take(&mut rng) {
                traffic.lb.logout(&session).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(THINK))).await;
    }
}

/// A client that sends its request headers a byte a second, again and
/// again, against instance `port`: keyhole must cut each connection at
/// its header-read timeout.
pub(crate) async fn slow_client(traffic: Arc<Traffic>, port: u16) {
    while Instant::now() < traffic.until {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
            // The instance is restarting.
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let tally = &traffic.lb.tally;
        tally.slow_opened.fetch_add(1, Ordering::Relaxed);
        let opened = Instant::now();
        if stream
            .write_all(b"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .is_err()
        {
            continue;
        }
        let mut buf = [0u8; 512];
        loop {
            tokio::select! {
                _ = stream.read(&mut buf) => {
                    // Closed, reset or answered by keyhole: cut either way.
                    tally.slow_cut_after(opened.elapsed());
                    break;
                }
                () = tokio::time::sleep(Duration::from_secs(1)) => {
                    if opened.elapsed() > SLOW_GIVE_UP {
                        tally.slow_survived.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    if Instant::now() >= traffic.until {
                        break;
                    }
                    if stream.write_all(b"x").await.is_err() {
                        tally.slow_cut_after(opened.elapsed());
                        break;
                    }
                }
            }
        }
    }
}
