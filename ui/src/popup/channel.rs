//! The `BroadcastChannel` fallback: hears the callback's answer when the popup has no opener.

use keyhole_api::BROADCAST_CHANNEL;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{BroadcastChannel, MessageEvent};

/// The `BroadcastChannel` fallback listener; closes the channel when dropped.
pub(super) struct ChannelListener {
    channel: BroadcastChannel,
    // Owned so the JS callback stays alive exactly as long as the channel.
    _callback: Closure<dyn FnMut(MessageEvent)>,
}

impl ChannelListener {
    pub(super) fn open(on_message: impl Fn(MessageEvent) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(BROADCAST_CHANNEL).ok()?;
        let callback = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
        channel.set_onmessage(Some(callback.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _callback: callback,
        })
    }
}

impl Drop for ChannelListener {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
