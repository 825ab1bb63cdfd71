//! Keyhole's stand-in for `wasm-streams` 0.5: [`ReadableStream`] to and from a Rust `Stream`, the part of its API that server_fn uses, with no `#[wasm_bindgen]` export.
//!
//! Leptos always enables server_fn's `browser` feature, and with it
//! wasm-streams. That crate exports three classes to JavaScript
//! (`IntoUnderlyingSource`, `IntoUnderlyingByteSource`,
//! `IntoUnderlyingSink`); a wasm export is kept by the linker whether
//! anything calls it or not, so every Leptos app carried them and all the
//! code they reach — 7.7 KB gzip of Keyhole's first load, which makes no
//! server-function call at all (BENCHMARKS.md, "First load"). Here the
//! same two directions are plain functions: code that nothing calls is
//! left out of the bundle like any other.
//!
//! The workspace's `[patch.crates-io]` puts this crate in place of the
//! real one; server_fn's `ReadableStream::{from_raw, into_raw, from_stream,
//! into_stream}` behave as before.

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};

use futures_util::{future::poll_fn, stream::Stream};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{ReadableStreamDefaultController, ReadableStreamDefaultReader};

/// A browser `ReadableStream`, to be read as a Rust `Stream` or made from one.
#[derive(Debug)]
pub struct ReadableStream {
    raw: web_sys::ReadableStream,
}

impl ReadableStream {
    /// Wraps a browser stream.
    pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
        Self { raw }
    }

    /// A browser stream whose chunks are `stream`'s items, pulled as the
    /// browser asks for them; an `Err` item errors the stream.
    ///
    /// # Panics
    /// When the browser has no `ReadableStream` constructor (every browser
    /// that runs wasm has one).
    pub fn from_stream<St>(stream: St) -> Self
    where
        St: Stream<Item = Result<JsValue, JsValue>> + 'static,
    {
        let stream = Rc::new(RefCell::new(Box::pin(stream)));
        let pull = Closure::<dyn FnMut(ReadableStreamDefaultController) -> Promise>::new(
            move |controller: ReadableStreamDefaultController| {
                let stream = Rc::clone(&stream);
                future_to_promise(async move {
                    // The borrow lasts one poll: the browser waits for this
                    // promise before it pulls again.
                    match poll_fn(|cx| stream.borrow_mut().as_mut().poll_next(cx)).await {
                        Some(Ok(chunk)) => controller.enqueue_with_chunk(&chunk)?,
                        Some(Err(err)) => return Err(err),
                        None => controller.close()?,
                    }
                    Ok(JsValue::UNDEFINED)
                })
            },
        );
        let source = Object::new();
        // Setting a property on a fresh plain object cannot fail.
        _ = Reflect::set(&source, &JsValue::from_str("pull"), &pull.into_js_value());
        let raw = web_sys::ReadableStream::new_with_underlying_source(&source)
            .expect("ReadableStream is in every browser that runs wasm");
        Self { raw }
    }

    /// The browser stream.
    pub fn into_raw(self) -> web_sys::ReadableStream {
        self.raw
    }

    /// The stream's chunks as a Rust `Stream`. It holds the stream's lock,
    /// and cancels the stream when dropped before the end.
    pub fn into_stream(self) -> IntoStream {
        IntoStream {
            reader: Some(self.raw.get_reader().unchecked_into()),
            read: None,
        }
    }
}

/// The chunks of a [`ReadableStream`]: [`ReadableStream::into_stream`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct IntoStream {
    reader: Option<ReadableStreamDefaultReader>,
    read: Option<JsFuture>,
}

impl Stream for IntoStream {
    type Item = Result<JsValue, JsValue>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(reader) = &this.reader else {
            return Poll::Ready(None);
        };
        // One read at a time: a new one only once the last has answered.
        let read = this
            .read
            .get_or_insert_with(|| JsFuture::from(reader.read()));
        let Poll::Ready(result) = Pin::new(read).poll(cx) else {
            return Poll::Pending;
        };
        this.read = None;
        match result {
            Ok(result) => {
                let done = Reflect::get(&result, &JsValue::from_str("done"))
                    .is_ok_and(|done| done.is_truthy());
                if done {
                    if let Some(reader) = self.reader.take() {
                        reader.release_lock();
                    }
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Reflect::get(&result, &JsValue::from_str("value"))))
            }
            Err(err) => {
                self.reader = None;
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

impl Drop for IntoStream {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            // Nobody waits for the cancellation: its promise is dropped.
            _ = reader.cancel();
        }
    }
}
