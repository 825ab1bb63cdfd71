//! The [`Text`] key enum: one variant per user-visible string.

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
    /// Shown while something loads.
    Loading,
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
}
