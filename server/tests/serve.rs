//! The serve loop's limits: a client that never finishes its headers is
//! cut off, and connections beyond the cap wait until one ends.

#![allow(clippy::unwrap_used)]

mod common;

use keyhole::{Keyhole, config::Limits};
use std::time::Duration;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Keyhole's app served with `limits` on a free loopback port.
async fn start(limits: Limits) -> std::net::SocketAddr {
    let sim = common::spawn_sim().await;
    let keyhole = Keyhole::in_memory(common::config(&sim.base_url, "")).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _sim = sim;
        keyhole::serve(
            listener,
            keyhole::router(keyhole),
            &limits,
            std::future::pending(),
        )
        .await;
    });
    addr
}

/// Reads what arrives within `wait`; `None` if nothing did.
async fn read_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut buffer = vec![0; 4096];
    match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
        Ok(Ok(n)) => Some(buffer[..n].to_vec()),
        Ok(Err(_)) => Some(Vec::new()),
        Err(_) => None,
    }
}

fn assert_ok(answer: &[u8]) {
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(answer)
    );
}

const REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    let addr = start(Limits {
        header_read_timeout: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: k\r\n")
        .await
        .unwrap();
    // Closed (possibly after a 408) well before a client would finish.
    let answer = read_within(&mut slow, Duration::from_secs(3)).await;
    let text = String::from_utf8_lossy(answer.as_deref().unwrap_or_default()).into_owned();
    assert!(answer.is_some(), "still open");
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    // Someone quick is served as usual.
    let mut quick = TcpStream::connect(addr).await.unwrap();
    quick.write_all(REQUEST).await.unwrap();
    let answer = read_within(&mut quick, Duration::from_secs(3))
        .await
        .unwrap();
    assert_ok(&answer);
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let addr = start(Limits {
        max_connections: 1,
        ..Limits::default()
    })
    .await;
    let first = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut second = TcpStream::connect(addr).await.unwrap();
    second.write_all(REQUEST).await.unwrap();
    assert!(
        read_within(&mut second, Duration::from_millis(400))
            .await
            .is_none(),
        "served beyond the cap"
    );
    drop(first);
    let answer = read_within(&mut second, Duration::from_secs(3))
        .await
        .unwrap();
    assert_ok(&answer);
}
