//! [`provide_keyhole`] and its [`KeyholeOptions`]: one context, [`Keyhole`], that every component and hook reads.

use leptos::{html::H1, prelude::*};

use crate::{
    a11y::{Announcer, FocusRequest, FocusTarget},
    client::{Client, DEFAULT_BASE_PATH},
    i18n::{Lang, Strings, Texts, browser_lang},
    popup::LoginFlow,
    session::{Providers, Session},
};

/// How the components reach Keyhole and speak to the person.
///
/// ```
/// use keyhole_leptos::{KeyholeOptions, Lang};
/// use leptos::prelude::*;
///
/// let lang = RwSignal::new(Lang::Ko);
/// let options = KeyholeOptions::new().base_path("/auth").lang(lang);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct KeyholeOptions {
    base_path: &'static str,
    lang: Option<Signal<Lang>>,
    strings: Option<Strings>,
}

impl Default for KeyholeOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyholeOptions {
    /// Keyhole at `/api` (where the `keyhole` binary serves it), the
    /// browser's language, the built-in strings.
    pub fn new() -> Self {
        Self {
            base_path: DEFAULT_BASE_PATH,
            lang: None,
            strings: None,
        }
    }

    /// Where the host mounted Keyhole's routes (its config's `base_path`),
    /// such as `/auth`.
    #[must_use]
    pub fn base_path(mut self, base_path: &'static str) -> Self {
        self.base_path = base_path;
        self
    }

    /// The language to speak, followed as it changes (the host's own
    /// language menu). Without it: the browser's, once, at start.
    #[must_use]
    pub fn lang(mut self, lang: impl Into<Signal<Lang>>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// The host's replacements for built-in strings (see [`Strings`]).
    #[must_use]
    pub fn strings(mut self, strings: Strings) -> Self {
        self.strings = Some(strings);
        self
    }
}

/// Everything the components share: the client, the strings, the session
/// and providers resources, the sign-in flow, focus and announcements.
///
/// `Copy`; provided once by [`provide_keyhole`], read with [`use_keyhole`].
#[derive(Debug, Clone, Copy)]
pub struct Keyhole {
    client: Client,
    texts: Texts,
    session: Session,
    providers: Providers,
    login: LoginFlow,
    focus: FocusRequest,
    announcer: Announcer,
}

impl Keyhole {
    /// Calls to Keyhole at the configured base path.
    pub fn client(self) -> Client {
        self.client
    }

    /// The strings, in the current language.
    pub fn texts(self) -> Texts {
        self.texts
    }

    /// Who is signed in (the `{base}/me` resource).
    pub fn session(self) -> Session {
        self.session
    }

    /// The configured providers (the `{base}/providers` resource).
    pub fn providers(self) -> Providers {
        self.providers
    }

    /// The popup sign-in flow.
    pub fn login(self) -> LoginFlow {
        self.login
    }

    /// The pending focus move after a sign-in, disconnect or logout.
    pub fn focus(self) -> FocusRequest {
        self.focus
    }

    /// The live region that tells screen readers what happened.
    pub fn announcer(self) -> Announcer {
        self.announcer
    }
}

/// Starts Keyhole's client side in the current component: loads the session
/// and the providers, listens for the popup's answer (and reads a
/// redirect-mode result from the URL), and provides [`Keyhole`] to every
/// component below. Call it once, near the root of the app; place one
/// [`Announcements`](crate::Announcements) in the page.
pub fn provide_keyhole(options: KeyholeOptions) -> Keyhole {
    let client = Client::new(options.base_path);
    let lang = options
        .lang
        .unwrap_or_else(|| Signal::stored(browser_lang()));
    let texts = Texts::new(lang, options.strings);
    let session = Session::new(client);
    let focus = FocusRequest::new();
    let announcer = Announcer::new();
    let keyhole = Keyhole {
        client,
        texts,
        session,
        providers: Providers::new(client),
        login: LoginFlow::new(client, texts, session, focus, announcer),
        focus,
        announcer,
    };
    provide_context(keyhole);
    keyhole
}

/// The [`Keyhole`] provided by an ancestor's [`provide_keyhole`].
///
/// # Panics
/// Without [`provide_keyhole`] above: a mistake in the host's code, caught
/// the first time the page renders.
pub fn use_keyhole() -> Keyhole {
    use_context::<Keyhole>()
        .expect("keyhole-leptos: call provide_keyhole() in an ancestor component")
}

/// Who is signed in: [`Session`], with `refetch()` after a change.
pub fn use_session() -> Session {
    use_keyhole().session
}

/// The configured providers and what each can do.
pub fn use_providers() -> Providers {
    use_keyhole().providers
}

/// The popup sign-in flow: `start`, `cancel`, and its state.
pub fn use_login() -> LoginFlow {
    use_keyhole().login
}

/// Focuses `heading` as soon as it is in the document, if a
/// [`FocusTarget::PageHeading`] request is pending (after a sign-in,
/// disconnect or logout replaced the page). Call it from each page the
/// session decides between (signed in, signed out), with its `<h1>` (give it
/// `tabindex="-1"`).
pub fn focus_heading_when_requested(heading: NodeRef<H1>) {
    let request = use_keyhole().focus();
    Effect::new(move || {
        if let Some(heading) = heading.get()
            && request.take(FocusTarget::PageHeading)
        {
            _ = heading.focus();
        }
    });
}
