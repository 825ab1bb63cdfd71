//! Korean strings, one arm per [`Text`](super::Text).
//!
//! Korean particles depend on the word before them (`으로`/`로`, `은`/`는`),
//! and a provider's name is only known at run time: so `{provider}` is
//! followed by a noun (`계정`, `로그인`), by `에`/`에서`/`의`, which fit any
//! name, or ends the phrase.

use super::Text;

/// The Korean table.
pub fn korean(text: Text) -> &'static str {
    use Text::*;
    match text {
        Loading => "불러오는 중…",
        SignInWith => "{provider} 계정으로 로그인",
        NoProviders => "설정된 로그인 서비스가 없습니다.",
        Waiting => "{provider} 로그인을 기다리는 중…",
        WaitingHint => "열린 창에서 로그인을 마쳐 주세요.",
        Cancel => "취소",
        Cancelled => "로그인을 취소했습니다.",
        SignedIn => "{provider} 계정으로 로그인했습니다.",
        LoginDeclined => "{provider}에서 로그인을 허용하지 않았습니다.",
        LoginExpired => {
            "로그인 링크가 만료되었거나 다른 브라우저에서 열렸습니다. 다시 시도해 주세요."
        }
        LoginProviderUnavailable => "{provider}에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        LoginProviderError => {
            "{provider}에서 로그인에 문제가 있다고 알려 왔습니다. 다시 시도해 주세요."
        }
        LoginInvalidRequest => "로그인 요청이 받아들여지지 않았습니다. 다시 시도해 주세요.",
        LoginFailed => "{provider} 계정으로 로그인하지 못했습니다. 다시 시도해 주세요.",
        ProviderSaid => "{provider}의 메시지: {description}",
        TheProvider => "서비스 제공자",
        NoConnections => "연결된 계정이 없습니다.",
        LogOut => "로그아웃",
        LoggingOut => "로그아웃하는 중…",
        LoggedOut => "로그아웃했습니다.",
        ConnectTitle => "다른 계정 연결",
        ConnectIntro => "다른 서비스의 계정을 추가할 수 있습니다. 로그인 상태는 그대로 유지됩니다.",
        ConnectWith => "{provider} 연결",
        Disconnect => "연결 해제",
        Disconnecting => "연결 해제하는 중…",
        Disconnected => "{provider} 연결을 해제했습니다.",
        Email => "이메일",
        Status => "상태",
        StatusActive => "연결됨",
        StatusReauth => "로그인 만료",
        ReauthBanner => "{provider} 로그인이 만료되었습니다.",
        SignInAgain => "다시 로그인",
        BalanceHeading => "잔액",
        BalanceFormatted => "잔액: {formatted}",
        BalanceMeter => "전체 중 남은 비율",
        Remaining => "잔여량",
        Used => "사용량",
        Total => "총량",
        Unit => "단위",
        AsOf => "{time} 기준",
        RefreshBalance => "잔액 새로고침",
        Refreshing => "새로고침하는 중…",
        TopUp => "충전하기",
        OpeningTopUp => "여는 중…",
        FriendshipHeading => "공식 계정",
        FriendYes => "{provider} 공식 계정과 친구입니다.",
        FriendNo => "아직 {provider} 공식 계정을 친구로 추가하지 않았습니다.",
        AddFriend => "친구 추가",
        OpensInNewTab => "(새 탭에서 열림)",
        NotifyHeading => "테스트 알림",
        NotifyLabel => "알림 내용",
        NotifySend => "테스트 알림 보내기",
        NotifySent => "알림을 보냈습니다.",
        RateLimitLeft => "{time}까지 {limit}건 중 {remaining}건을 더 보낼 수 있습니다.",
        MessageHeading => "메시지",
        MessageLabel => "메시지 내용",
        MessageDefault => "Keyhole에서 보내는 인사입니다!",
        MessageSend => "나에게 {provider} 메시지 보내기",
        MessageSent => "메시지를 보냈습니다. {provider}에서 확인해 보세요.",
        MessageNeedsFriend => {
            "{provider} 메시지는 공식 계정의 친구에게만 전달됩니다. \
             친구로 추가한 뒤 다시 시도해 주세요."
        }
        MessageNeedsLogin => {
            "먼저 {provider} 계정으로 로그인하세요. 메시지는 로그인한 계정으로 전송됩니다."
        }
        MessagingCard => "{provider}에서 보내는 메시지",
        Sending => "보내는 중…",
        CharCount => "{count}/{limit}",
        CharLimit => "최대 {limit}자까지 입력할 수 있습니다.",
        TextEmpty => "먼저 내용을 입력하세요.",
        TextTooLong => "제한보다 {over}자 깁니다.",
        ErrorNetwork => {
            "Keyhole 서버에 연결할 수 없습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요."
        }
        ErrorRateLimited => "요청이 너무 많습니다. 잠시 기다린 뒤 다시 시도해 주세요.",
        ErrorProviderUnavailable => "{provider}에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.",
        ErrorProviderError => "{provider}에서 오류가 발생했습니다. 나중에 다시 시도해 주세요.",
        ErrorNotSupported => "{provider}에서는 지원하지 않는 기능입니다.",
        ErrorReauth => "{provider} 로그인이 만료되었습니다. 다시 로그인해 주세요.",
        ErrorGeneric => "문제가 발생했습니다. 다시 시도해 주세요.",
        ErrorReference => "참조 번호: {id}",
        Retry => "다시 시도",
    }
}
