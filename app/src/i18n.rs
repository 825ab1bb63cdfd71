//! Every user-visible string, in English, Traditional Chinese (Taiwan) and Thai, keyed by [`Text`]; and the current language.
//!
//! Views never hold literal text: they call [`tr`] (a reactive fixed string),
//! or [`t`] / [`tf`] inside a reactive closure (`move || tf(...)`), so every
//! string follows the language menu without re-creating any component.
//!
//! The language is chosen once at start ([`init`]): the one remembered in
//! `localStorage` under [`STORAGE_KEY`], else the first of the browser's
//! `navigator.languages` that Keyhole speaks, else English. [`choose`] switches
//! and remembers it; the `<html lang>` attribute follows.
//!
//! Each table is one exhaustive `match`, so a key without a translation does
//! not compile; a test checks that every translation keeps its placeholders.

use leptos::prelude::*;

/// `localStorage` key of the chosen language: the only thing the app keeps in
/// the browser's storage.
pub const STORAGE_KEY: &str = "keyhole.lang";

/// A language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Traditional Chinese as written in Taiwan.
    ZhTw,
    /// Thai.
    Th,
}

impl Lang {
    /// Every language, in the order of the language menu.
    pub const ALL: [Self; 3] = [Self::En, Self::ZhTw, Self::Th];

    /// BCP 47 tag: `<html lang>`, the login URL's `lang`, date formatting.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhTw => "zh-TW",
            Self::Th => "th",
        }
    }

    /// The language's name in itself, as the menu shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::ZhTw => "繁體中文",
            Self::Th => "ไทย",
        }
    }

    /// The language for a BCP 47 tag, matched on its primary subtag
    /// (case-insensitive): `en-GB` is English, `th-TH` Thai, and any `zh`
    /// (`zh-TW`, `zh-Hant-HK`, also `zh-CN`) Traditional Chinese, the only
    /// Chinese the app has and still far closer than English.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "zh" => Some(Self::ZhTw),
            "th" => Some(Self::Th),
            _ => None,
        }
    }

    /// The first of `preferred` (most preferred first) that the app speaks,
    /// else English.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Self {
        preferred
            .into_iter()
            .find_map(Self::from_tag)
            .unwrap_or_default()
    }
}

thread_local! {
    // The app runs on one thread; a signal here lets `t` work anywhere,
    // including in async code that has no reactive owner.
    static CURRENT: ArcRwSignal<Lang> = ArcRwSignal::new(Lang::default());
}

/// The current language; tracked, so a reactive closure that reads it reruns
/// when it changes.
pub fn lang() -> Lang {
    CURRENT.with(|current| current.get())
}

/// The current language, without tracking (event handlers, URLs).
pub fn lang_untracked() -> Lang {
    CURRENT.with(|current| current.get_untracked())
}

/// Picks the language at start (remembered choice, then the browser's
/// languages) and keeps `<html lang>` in step with it. Call once, from
/// [`crate::App`].
pub fn init() {
    let remembered = storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|tag| Lang::from_tag(&tag));
    let chosen = remembered.unwrap_or_else(|| {
        let languages: Vec<String> = window()
            .navigator()
            .languages()
            .iter()
            .filter_map(|tag| tag.as_string())
            .collect();
        Lang::negotiate(languages.iter().map(String::as_str))
    });
    CURRENT.with(|current| current.set(chosen));
    Effect::new(move || {
        let tag = lang().tag();
        if let Some(root) = document().document_element() {
            _ = root.set_attribute("lang", tag);
        }
    });
}

/// Switches to `lang` and remembers the choice.
pub fn choose(lang: Lang) {
    if let Some(storage) = storage() {
        _ = storage.set_item(STORAGE_KEY, lang.tag());
    }
    CURRENT.with(|current| current.set(lang));
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be disabled (privacy settings): then nothing is remembered.
    window().local_storage().ok().flatten()
}

/// Defines [`Text`] and `Text::ALL` from one list, so the list used by the
/// tests can never miss a key.
macro_rules! texts {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// Key of one user-visible string. Placeholders are noted where a key has some.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Text {
            $($(#[$doc])* $key,)*
        }

        impl Text {
            /// Every key, in declaration order.
            pub const ALL: &'static [Text] = &[$(Text::$key,)*];
        }
    };
}

texts! {
    /// Product name in the header.
    AppName,
    /// Label of the language menu.
    Language,
    /// Shown while something loads.
    Loading,
    /// Sign-in page heading.
    SignInTitle,
    /// Sign-in page introduction.
    SignInIntro,
    /// Sign-in button; `{provider}`.
    SignInWith,
    /// No provider offers sign-in.
    NoProviders,
    /// Live status while the popup is open; `{provider}`.
    Waiting,
    /// Hint under the waiting status.
    WaitingHint,
    /// Closes the sign-in popup.
    Cancel,
    /// The popup was closed without an answer.
    Cancelled,
    /// Announced after a successful popup sign-in; `{provider}`.
    SignedIn,
    /// The person pressed Deny at the provider; `{provider}`.
    LoginDeclined,
    /// State mismatch, expired or foreign login.
    LoginExpired,
    /// The provider could not be reached during sign-in; `{provider}`.
    LoginProviderUnavailable,
    /// The provider answered the sign-in with an error; `{provider}`.
    LoginProviderError,
    /// The sign-in request was rejected as malformed.
    LoginInvalidRequest,
    /// Any other sign-in failure; `{provider}`.
    LoginFailed,
    /// The provider's own error text; `{provider}`, `{description}`.
    ProviderSaid,
    /// Stands in for a provider name that is unknown.
    TheProvider,
    /// Dashboard heading.
    DashboardTitle,
    /// Shown when the session has no connection.
    NoConnections,
    /// Logout button (ends the whole session).
    LogOut,
    /// Logout button while the request runs.
    LoggingOut,
    /// Announced after logging out.
    LoggedOut,
    /// Heading of the "connect another account" section.
    ConnectTitle,
    /// Introduction of the "connect another account" section.
    ConnectIntro,
    /// Button that adds a provider to the session; `{provider}`.
    ConnectWith,
    /// Removes one connection.
    Disconnect,
    /// Disconnect button while the request runs.
    Disconnecting,
    /// Announced after a disconnect; `{provider}`.
    Disconnected,
    /// Label of the email field.
    Email,
    /// Label of the connection status.
    Status,
    /// Connection status: tokens usable.
    StatusActive,
    /// Connection status: needs a new sign-in.
    StatusReauth,
    /// Banner for an expired connection; `{provider}`.
    ReauthBanner,
    /// Button that restarts the popup flow.
    SignInAgain,
    /// Balance section heading.
    BalanceHeading,
    /// The provider's own balance string; `{formatted}`.
    BalanceFormatted,
    /// Accessible name of the balance meter.
    BalanceMeter,
    /// Label: remaining amount.
    Remaining,
    /// Label: amount used.
    Used,
    /// Label: total amount.
    Total,
    /// Label: unit of the amounts.
    Unit,
    /// Time the balance was reported; `{time}`.
    AsOf,
    /// Balance refresh button.
    RefreshBalance,
    /// Balance refresh button while loading.
    Refreshing,
    /// Opens the provider's top-up page.
    TopUp,
    /// Top-up button while the URL loads.
    OpeningTopUp,
    /// Heading of the friendship section.
    FriendshipHeading,
    /// The person is a friend of the official account; `{provider}`.
    FriendYes,
    /// The person is not a friend of the official account; `{provider}`.
    FriendNo,
    /// Link to add the official account as a friend.
    AddFriend,
    /// Told to screen readers after a link that opens a new tab.
    OpensInNewTab,
    /// Heading of the test-notification form.
    NotifyHeading,
    /// Label of the notification text.
    NotifyLabel,
    /// Sends the test notification.
    NotifySend,
    /// The notification went out.
    NotifySent,
    /// Rate limit after a notification; `{remaining}`, `{limit}`, `{time}`.
    RateLimitLeft,
    /// Heading of the message form.
    MessageHeading,
    /// Label of the message text.
    MessageLabel,
    /// Text the message form starts with.
    MessageDefault,
    /// Sends the message; `{provider}`.
    MessageSend,
    /// The message went out; `{provider}`.
    MessageSent,
    /// The provider would not deliver: not a friend of its official account; `{provider}`.
    MessageNeedsFriend,
    /// Messages go to an account the person has not signed in with; `{provider}`.
    MessageNeedsLogin,
    /// Heading of a messaging service's card (not a connection); `{provider}`.
    MessagingCard,
    /// A send button while the request runs.
    Sending,
    /// Character counter; `{count}`, `{limit}`.
    CharCount,
    /// Limit of a text field, for screen readers; `{limit}`.
    CharLimit,
    /// Submitted an empty text.
    TextEmpty,
    /// Submitted a text over the limit; `{over}`.
    TextTooLong,
    /// The server could not be reached.
    ErrorNetwork,
    /// The server is rate limiting.
    ErrorRateLimited,
    /// A provider could not be reached; `{provider}`.
    ErrorProviderUnavailable,
    /// A provider answered with an error; `{provider}`.
    ErrorProviderError,
    /// The provider does not support this; `{provider}`.
    ErrorNotSupported,
    /// The provider connection needs a new sign-in; `{provider}`.
    ErrorReauth,
    /// Anything else.
    ErrorGeneric,
    /// Request id for support; `{id}`.
    ErrorReference,
    /// Retries a failed load.
    Retry,
    /// Not-found page heading.
    NotFoundTitle,
    /// Not-found page text.
    NotFoundText,
    /// Link back to `/`.
    GoHome,
}

/// The string for `text` in the current language (tracked).
pub fn t(text: Text) -> &'static str {
    t_in(lang(), text)
}

/// The string for `text` in `lang`.
pub fn t_in(lang: Lang, text: Text) -> &'static str {
    match lang {
        Lang::En => english(text),
        Lang::ZhTw => chinese(text),
        Lang::Th => thai(text),
    }
}

/// A fixed string that follows the language: use it as a view child or an
/// attribute value.
pub fn tr(text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || t(text)
}

/// A template with one placeholder, `{key}` = `value`, that follows the
/// language: use it as a view child or an attribute value.
pub fn trf(
    text: Text,
    key: &'static str,
    value: String,
) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    move || tf(text, &[(key, &value)])
}

/// A fixed string chosen by a flag (a button that reads "Sending…" while its
/// request runs): `on` while `flag` is true, else `off`.
pub fn tr_while(
    flag: impl Into<Signal<bool>>,
    on: Text,
    off: Text,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let flag = flag.into();
    move || t(if flag.get() { on } else { off })
}

/// The template for `text` with each `{name}` replaced by its value in `args`
/// (tracked; call it inside a reactive closure).
///
/// Values are inserted as plain text; the view escapes them like any other text.
pub fn tf(text: Text, args: &[(&str, &str)]) -> String {
    fill(t(text), args)
}

/// Replaces `{name}` placeholders in one pass, so a value that itself contains
/// `{...}` (provider data) is never expanded again.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An RFC 3339 time as a medium date and short time in the current language
/// (tracked), or the input unchanged when the browser cannot parse it.
pub fn format_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    locale_string(&date, &[("dateStyle", "medium"), ("timeStyle", "short")])
}

/// A Unix time in seconds as a short time of day in the current language
/// (tracked): a rate limit resets within the hour.
pub fn format_unix_time(seconds: i64) -> String {
    // Exact for any time in the next 285 000 years.
    #[allow(clippy::cast_precision_loss)]
    let millis = seconds.saturating_mul(1000) as f64;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    if date.get_time().is_nan() {
        return seconds.to_string();
    }
    locale_string(&date, &[("timeStyle", "short")])
}

fn locale_string(date: &js_sys::Date, options: &[(&str, &str)]) -> String {
    let object = js_sys::Object::new();
    for (key, value) in options {
        _ = js_sys::Reflect::set(&object, &(*key).into(), &(*value).into());
    }
    date.to_locale_string(lang().tag(), &object).into()
}

/// The English table.
pub fn english(text: Text) -> &'static str {
    use Text::*;
    match text {
        AppName => "Keyhole",
        Language => "Language",
        Loading => "Loading…",
        SignInTitle => "Sign in to Keyhole",
        SignInIntro => {
            "Choose an account to sign in with. A small window opens where you confirm \
             with the provider; Keyhole never sees your password."
        }
        SignInWith => "Sign in with {provider}",
        NoProviders => "No sign-in provider is configured.",
        Waiting => "Waiting for {provider}…",
        WaitingHint => "Finish signing in in the window that opened.",
        Cancel => "Cancel",
        Cancelled => "Sign-in cancelled.",
        SignedIn => "Signed in with {provider}.",
        LoginDeclined => "You declined the sign-in at {provider}.",
        LoginExpired => {
            "The sign-in link expired or was opened in another browser. Please try again."
        }
        LoginProviderUnavailable => {
            "{provider} could not be reached. Please try again in a moment."
        }
        LoginProviderError => "{provider} reported a problem with the sign-in. Please try again.",
        LoginInvalidRequest => "The sign-in request was not accepted. Please try again.",
        LoginFailed => "Signing in with {provider} did not work. Please try again.",
        ProviderSaid => "{provider} said: {description}",
        TheProvider => "the provider",
        DashboardTitle => "Your accounts",
        NoConnections => "No account is connected.",
        LogOut => "Log out",
        LoggingOut => "Logging out…",
        LoggedOut => "You are logged out.",
        ConnectTitle => "Connect another account",
        ConnectIntro => "Add an account from another provider; you stay signed in.",
        ConnectWith => "Connect {provider}",
        Disconnect => "Disconnect",
        Disconnecting => "Disconnecting…",
        Disconnected => "{provider} was disconnected.",
        Email => "Email",
        Status => "Status",
        StatusActive => "Connected",
        StatusReauth => "Sign-in expired",
        ReauthBanner => "Your {provider} sign-in expired.",
        SignInAgain => "Sign in again",
        BalanceHeading => "Balance",
        BalanceFormatted => "Balance: {formatted}",
        BalanceMeter => "Share of the total remaining",
        Remaining => "Remaining",
        Used => "Used",
        Total => "Total",
        Unit => "Unit",
        AsOf => "As of {time}",
        RefreshBalance => "Refresh balance",
        Refreshing => "Refreshing…",
        TopUp => "Top up",
        OpeningTopUp => "Opening…",
        FriendshipHeading => "Official account",
        FriendYes => "You are a friend of the {provider} official account.",
        FriendNo => "You have not added the {provider} official account as a friend yet.",
        AddFriend => "Add friend",
        OpensInNewTab => "(opens in a new tab)",
        NotifyHeading => "Test notification",
        NotifyLabel => "Notification text",
        NotifySend => "Send a test notification",
        NotifySent => "Notification sent.",
        RateLimitLeft => "You can send {remaining} more of {limit} until {time}.",
        MessageHeading => "Message",
        MessageLabel => "Message text",
        MessageDefault => "Hello from Keyhole!",
        MessageSend => "Send me a message on {provider}",
        MessageSent => "Message sent. Have a look in {provider}.",
        MessageNeedsFriend => {
            "{provider} delivers messages only to friends of its official account. \
             Add it as a friend, then try again."
        }
        MessageNeedsLogin => {
            "Sign in with {provider} first: messages go to the account you signed in with."
        }
        MessagingCard => "Messages from {provider}",
        Sending => "Sending…",
        CharCount => "{count}/{limit}",
        CharLimit => "Up to {limit} characters.",
        TextEmpty => "Write something first.",
        TextTooLong => "This is {over} characters too long.",
        ErrorNetwork => "Keyhole could not reach its server. Check your connection and try again.",
        ErrorRateLimited => "Too many requests. Please wait a moment and try again.",
        ErrorProviderUnavailable => {
            "{provider} could not be reached. Please try again in a moment."
        }
        ErrorProviderError => "{provider} answered with an error. Please try again later.",
        ErrorNotSupported => "{provider} does not support this.",
        ErrorReauth => "Your {provider} sign-in expired. Please sign in again.",
        ErrorGeneric => "Something went wrong. Please try again.",
        ErrorReference => "Reference: {id}",
        Retry => "Try again",
        NotFoundTitle => "Page not found",
        NotFoundText => "There is nothing at this address.",
        GoHome => "Go to the start page",
    }
}

/// The Traditional Chinese (Taiwan) table.
pub fn chinese(text: Text) -> &'static str {
    use Text::*;
    match text {
        AppName => "Keyhole",
        Language => "語言",
        Loading => "載入中…",
        SignInTitle => "登入 Keyhole",
        SignInIntro => {
            "請選擇要用來登入的帳號。畫面會開啟一個小視窗，讓你向服務提供者確認身分；\
             Keyhole 絕對不會看到你的密碼。"
        }
        SignInWith => "使用 {provider} 登入",
        NoProviders => "尚未設定任何登入服務。",
        Waiting => "正在等待 {provider}…",
        WaitingHint => "請在開啟的視窗中完成登入。",
        Cancel => "取消",
        Cancelled => "已取消登入。",
        SignedIn => "已使用 {provider} 登入。",
        LoginDeclined => "你在 {provider} 拒絕了登入。",
        LoginExpired => "登入連結已過期，或是在其他瀏覽器中開啟。請再試一次。",
        LoginProviderUnavailable => "目前無法連線到 {provider}，請稍後再試。",
        LoginProviderError => "{provider} 回報登入時發生問題，請再試一次。",
        LoginInvalidRequest => "登入要求未被接受，請再試一次。",
        LoginFailed => "無法使用 {provider} 登入，請再試一次。",
        ProviderSaid => "{provider} 的訊息：{description}",
        TheProvider => "服務提供者",
        DashboardTitle => "你的帳號",
        NoConnections => "目前沒有連結任何帳號。",
        LogOut => "登出",
        LoggingOut => "正在登出…",
        LoggedOut => "你已登出。",
        ConnectTitle => "連結其他帳號",
        ConnectIntro => "加入其他服務提供者的帳號，你會保持登入狀態。",
        ConnectWith => "連結 {provider}",
        Disconnect => "中斷連結",
        Disconnecting => "正在中斷連結…",
        Disconnected => "已中斷與 {provider} 的連結。",
        Email => "電子郵件",
        Status => "狀態",
        StatusActive => "已連結",
        StatusReauth => "登入已過期",
        ReauthBanner => "你的 {provider} 登入已過期。",
        SignInAgain => "重新登入",
        BalanceHeading => "餘額",
        BalanceFormatted => "餘額：{formatted}",
        BalanceMeter => "剩餘額度占總額的比例",
        Remaining => "剩餘",
        Used => "已使用",
        Total => "總額",
        Unit => "單位",
        AsOf => "更新時間：{time}",
        RefreshBalance => "重新整理餘額",
        Refreshing => "重新整理中…",
        TopUp => "儲值",
        OpeningTopUp => "開啟中…",
        FriendshipHeading => "官方帳號",
        FriendYes => "你已將 {provider} 官方帳號加為好友。",
        FriendNo => "你尚未將 {provider} 官方帳號加為好友。",
        AddFriend => "加入好友",
        OpensInNewTab => "（在新分頁開啟）",
        NotifyHeading => "測試通知",
        NotifyLabel => "通知內容",
        NotifySend => "傳送測試通知",
        NotifySent => "通知已送出。",
        RateLimitLeft => "在 {time} 之前，你還可以傳送 {remaining} 則（上限 {limit} 則）。",
        MessageHeading => "訊息",
        MessageLabel => "訊息內容",
        MessageDefault => "Keyhole 向你問好！",
        MessageSend => "透過 {provider} 傳訊息給我",
        MessageSent => "訊息已送出，請到 {provider} 查看。",
        MessageNeedsFriend => "{provider} 只會把訊息傳給官方帳號的好友。請先加入好友，再試一次。",
        MessageNeedsLogin => "請先使用 {provider} 登入：訊息會傳到你登入的那個帳號。",
        MessagingCard => "來自 {provider} 的訊息",
        Sending => "傳送中…",
        CharCount => "{count}/{limit}",
        CharLimit => "最多 {limit} 個字。",
        TextEmpty => "請先輸入內容。",
        TextTooLong => "超過字數上限 {over} 個字。",
        ErrorNetwork => "Keyhole 無法連線到伺服器。請檢查網路連線後再試一次。",
        ErrorRateLimited => "要求次數過多，請稍候再試。",
        ErrorProviderUnavailable => "目前無法連線到 {provider}，請稍後再試。",
        ErrorProviderError => "{provider} 回傳錯誤，請稍後再試。",
        ErrorNotSupported => "{provider} 不支援這項功能。",
        ErrorReauth => "你的 {provider} 登入已過期，請重新登入。",
        ErrorGeneric => "發生問題，請再試一次。",
        ErrorReference => "參考編號：{id}",
        Retry => "再試一次",
        NotFoundTitle => "找不到網頁",
        NotFoundText => "這個網址沒有任何內容。",
        GoHome => "回到首頁",
    }
}

/// The Thai table.
pub fn thai(text: Text) -> &'static str {
    use Text::*;
    match text {
        AppName => "Keyhole",
        Language => "ภาษา",
        Loading => "กำลังโหลด…",
        SignInTitle => "เข้าสู่ระบบ Keyhole",
        SignInIntro => {
            "เลือกบัญชีที่ต้องการใช้เข้าสู่ระบบ หน้าต่างเล็ก ๆ จะเปิดขึ้นเพื่อให้คุณยืนยันกับผู้ให้บริการ \
             Keyhole จะไม่เห็นรหัสผ่านของคุณเลย"
        }
        SignInWith => "เข้าสู่ระบบด้วย {provider}",
        NoProviders => "ยังไม่ได้ตั้งค่าผู้ให้บริการสำหรับเข้าสู่ระบบ",
        Waiting => "กำลังรอ {provider}…",
        WaitingHint => "โปรดเข้าสู่ระบบให้เสร็จในหน้าต่างที่เปิดขึ้น",
        Cancel => "ยกเลิก",
        Cancelled => "ยกเลิกการเข้าสู่ระบบแล้ว",
        SignedIn => "เข้าสู่ระบบด้วย {provider} แล้ว",
        LoginDeclined => "คุณปฏิเสธการเข้าสู่ระบบที่ {provider}",
        LoginExpired => "ลิงก์เข้าสู่ระบบหมดอายุหรือถูกเปิดในเบราว์เซอร์อื่น โปรดลองอีกครั้ง",
        LoginProviderUnavailable => "ไม่สามารถเชื่อมต่อกับ {provider} ได้ โปรดลองอีกครั้งในอีกสักครู่",
        LoginProviderError => "{provider} แจ้งว่าการเข้าสู่ระบบมีปัญหา โปรดลองอีกครั้ง",
        LoginInvalidRequest => "คำขอเข้าสู่ระบบไม่ได้รับการยอมรับ โปรดลองอีกครั้ง",
        LoginFailed => "เข้าสู่ระบบด้วย {provider} ไม่สำเร็จ โปรดลองอีกครั้ง",
        ProviderSaid => "ข้อความจาก {provider}: {description}",
        TheProvider => "ผู้ให้บริการ",
        DashboardTitle => "บัญชีของคุณ",
        NoConnections => "ยังไม่ได้เชื่อมต่อบัญชีใด",
        LogOut => "ออกจากระบบ",
        LoggingOut => "กำลังออกจากระบบ…",
        LoggedOut => "คุณออกจากระบบแล้ว",
        ConnectTitle => "เชื่อมต่อบัญชีอื่น",
        ConnectIntro => "เพิ่มบัญชีจากผู้ให้บริการรายอื่นได้ โดยคุณยังคงอยู่ในระบบ",
        ConnectWith => "เชื่อมต่อ {provider}",
        Disconnect => "เลิกเชื่อมต่อ",
        Disconnecting => "กำลังเลิกเชื่อมต่อ…",
        Disconnected => "เลิกเชื่อมต่อ {provider} แล้ว",
        Email => "อีเมล",
        Status => "สถานะ",
        StatusActive => "เชื่อมต่อแล้ว",
        StatusReauth => "การเข้าสู่ระบบหมดอายุ",
        ReauthBanner => "การเข้าสู่ระบบ {provider} ของคุณหมดอายุแล้ว",
        SignInAgain => "เข้าสู่ระบบอีกครั้ง",
        BalanceHeading => "ยอดคงเหลือ",
        BalanceFormatted => "ยอดคงเหลือ: {formatted}",
        BalanceMeter => "สัดส่วนยอดคงเหลือเทียบกับทั้งหมด",
        Remaining => "คงเหลือ",
        Used => "ใช้ไปแล้ว",
        Total => "ทั้งหมด",
        Unit => "หน่วย",
        AsOf => "ข้อมูล ณ {time}",
        RefreshBalance => "รีเฟรชยอดคงเหลือ",
        Refreshing => "กำลังรีเฟรช…",
        TopUp => "เติมเงิน",
        OpeningTopUp => "กำลังเปิด…",
        FriendshipHeading => "บัญชีทางการ",
        FriendYes => "คุณเป็นเพื่อนกับบัญชีทางการของ {provider} แล้ว",
        FriendNo => "คุณยังไม่ได้เพิ่มบัญชีทางการของ {provider} เป็นเพื่อน",
        AddFriend => "เพิ่มเพื่อน",
        OpensInNewTab => "(เปิดในแท็บใหม่)",
        NotifyHeading => "การแจ้งเตือนทดสอบ",
        NotifyLabel => "ข้อความแจ้งเตือน",
        NotifySend => "ส่งการแจ้งเตือนทดสอบ",
        NotifySent => "ส่งการแจ้งเตือนแล้ว",
        RateLimitLeft => "คุณส่งได้อีก {remaining} ครั้งจากทั้งหมด {limit} ครั้ง จนถึงเวลา {time}",
        MessageHeading => "ข้อความ",
        MessageLabel => "ข้อความที่จะส่ง",
        MessageDefault => "สวัสดีจาก Keyhole!",
        MessageSend => "ส่งข้อความถึงฉันทาง {provider}",
        MessageSent => "ส่งข้อความแล้ว ลองเปิดดูใน {provider}",
        MessageNeedsFriend => {
            "{provider} ส่งข้อความถึงเฉพาะผู้ที่เป็นเพื่อนกับบัญชีทางการเท่านั้น โปรดเพิ่มเพื่อนก่อนแล้วลองอีกครั้ง"
        }
        MessageNeedsLogin => "โปรดเข้าสู่ระบบด้วย {provider} ก่อน ข้อความจะส่งไปยังบัญชีที่คุณใช้เข้าสู่ระบบ",
        MessagingCard => "ข้อความจาก {provider}",
        Sending => "กำลังส่ง…",
        CharCount => "{count}/{limit}",
        CharLimit => "ไม่เกิน {limit} ตัวอักษร",
        TextEmpty => "โปรดพิมพ์ข้อความก่อน",
        TextTooLong => "ข้อความยาวเกินไป {over} ตัวอักษร",
        ErrorNetwork => "Keyhole เชื่อมต่อกับเซิร์ฟเวอร์ไม่ได้ โปรดตรวจสอบการเชื่อมต่ออินเทอร์เน็ตแล้วลองอีกครั้ง",
        ErrorRateLimited => "มีคำขอมากเกินไป โปรดรอสักครู่แล้วลองอีกครั้ง",
        ErrorProviderUnavailable => "ไม่สามารถเชื่อมต่อกับ {provider} ได้ โปรดลองอีกครั้งในอีกสักครู่",
        ErrorProviderError => "{provider} ตอบกลับด้วยข้อผิดพลาด โปรดลองอีกครั้งภายหลัง",
        ErrorNotSupported => "{provider} ไม่รองรับการทำงานนี้",
        ErrorReauth => "การเข้าสู่ระบบ {provider} ของคุณหมดอายุแล้ว โปรดเข้าสู่ระบบอีกครั้ง",
        ErrorGeneric => "เกิดข้อผิดพลาด โปรดลองอีกครั้ง",
        ErrorReference => "รหัสอ้างอิง: {id}",
        Retry => "ลองอีกครั้ง",
        NotFoundTitle => "ไม่พบหน้านี้",
        NotFoundText => "ไม่มีเนื้อหาที่ที่อยู่นี้",
        GoHome => "กลับไปหน้าแรก",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(template: &str) -> BTreeSet<&str> {
        template
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        assert_eq!(
            fill(english(Text::SignInWith), &[("provider", "AIHubMix")]),
            "Sign in with AIHubMix"
        );
        assert_eq!(fill("a {x} b {y}", &[("x", "1")]), "a 1 b {y}");
        assert_eq!(fill("open { brace", &[]), "open { brace");
    }

    #[test]
    fn inserted_values_are_not_expanded_again() {
        let out = fill(
            english(Text::ProviderSaid),
            &[("provider", "{description}"), ("description", "<b>x</b>")],
        );
        assert_eq!(out, "{description} said: <b>x</b>");
    }

    #[test]
    fn every_translation_keeps_the_english_placeholders() {
        for &text in Text::ALL {
            let english_names = placeholders(english(text));
            for lang in [Lang::ZhTw, Lang::Th] {
                let translated = t_in(lang, text);
                assert!(!translated.trim().is_empty(), "{lang:?} {text:?} is empty");
                assert_eq!(
                    placeholders(translated),
                    english_names,
                    "{lang:?} {text:?}: {translated}"
                );
            }
        }
    }

    #[test]
    fn words_are_translated_not_copied() {
        // Names and pure formats are the same everywhere; nothing else is.
        let same_everywhere = [Text::AppName, Text::CharCount];
        for &text in Text::ALL {
            if same_everywhere.contains(&text) {
                continue;
            }
            for lang in [Lang::ZhTw, Lang::Th] {
                assert_ne!(t_in(lang, text), english(text), "{lang:?} {text:?}");
            }
        }
    }

    #[test]
    fn browser_languages_pick_the_first_one_spoken() {
        assert_eq!(Lang::negotiate(["th-TH", "en-US"]), Lang::Th);
        assert_eq!(Lang::negotiate(["de-DE", "zh-Hant-TW", "en"]), Lang::ZhTw);
        assert_eq!(Lang::negotiate(["zh_TW"]), Lang::ZhTw);
        assert_eq!(Lang::negotiate(["EN-gb", "th"]), Lang::En);
        assert_eq!(Lang::negotiate(["fr", "de"]), Lang::En);
        assert_eq!(Lang::negotiate([]), Lang::En);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn tags_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }

    #[test]
    fn t_follows_the_chosen_language() {
        assert_eq!(t(Text::LogOut), "Log out");
        CURRENT.with(|current| current.set(Lang::Th));
        assert_eq!(t(Text::LogOut), "ออกจากระบบ");
        assert_eq!(tr(Text::LogOut)(), "ออกจากระบบ");
        CURRENT.with(|current| current.set(Lang::En));
    }
}
