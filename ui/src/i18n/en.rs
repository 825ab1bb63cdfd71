//! English strings, one arm per [`Text`](super::Text).

use super::Text;

/// The English table.
pub fn english(text: Text) -> &'static str {
    use Text::*;
    match text {
        Loading => "Loading…",
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
    }
}
