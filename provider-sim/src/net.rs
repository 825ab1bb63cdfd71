//! The TCP listener wrapper that lets an injected fault hang up on a client.
//!
//! A handler cannot close its own connection in axum, so every accepted stream is
//! wrapped in [`SimIo`], which shares a kill switch with the request's connect info
//! ([`ConnTap`]). A "drop" fault flips the switch; hyper's next write then fails and
//! the socket is closed without a single response byte, which is what a client sees
//! when a provider's load balancer resets a connection.

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, connect_info::Connected},
    http::request::Parts,
    serve::{IncomingStream, Listener},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};

/// A `TcpListener` whose connections can be killed from inside a handler.
#[derive(Debug)]
pub(crate) struct SimListener {
    inner: TcpListener,
}

impl SimListener {
    pub(crate) fn new(inner: TcpListener) -> Self {
        Self { inner }
    }
}

impl Listener for SimListener {
    type Io = SimIo;
    type Addr = ConnTap;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    // Small request/response pairs: don't let Nagle delay them.
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, "could not set TCP_NODELAY");
                    }
                    let killed = Arc::new(AtomicBool::new(false));
                    let io = SimIo {
                        stream,
                        killed: Arc::clone(&killed),
                    };
                    return (io, ConnTap { peer, killed });
                }
                Err(error) => {
                    // Typically "too many open files": back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnTap {
            peer: self.inner.local_addr()?,
            killed: Arc::default(),
        })
    }
}

/// One accepted connection: a `TcpStream` that fails every I/O call once killed.
#[derive(Debug)]
pub(crate) struct SimIo {
    stream: TcpStream,
    killed: Arc<AtomicBool>,
}

impl SimIo {
    fn killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "fault: connection dropped",
    )
}

impl AsyncRead for SimIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Connect info of a request: the peer and its connection's kill switch.
#[derive(Debug, Clone)]
pub(crate) struct ConnTap {
    peer: SocketAddr,
    killed: Arc<AtomicBool>,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnTap {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// Extractor for the request's connection, absent when the router runs without a
/// server (`oneshot` tests).
#[derive(Debug, Clone)]
pub(crate) struct Conn(Option<ConnTap>);

impl Conn {
    /// Marks the connection for closing; `false` when there is no connection.
    pub(crate) fn hang_up(&self) -> bool {
        match &self.0 {
            Some(tap) => {
                tracing::info!(peer = %tap.peer, "fault: hanging up on the client");
                tap.killed.store(true, Ordering::Release);
                true
            }
            None => false,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Conn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let tap = parts
            .extensions
            .get::<ConnectInfo<ConnTap>>()
            .map(|info| info.0.clone());
        Ok(Self(tap))
    }
}
