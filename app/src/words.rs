//! The app's own words (its header, page headings, the not-found page) in the four languages of `keyhole-leptos`; the components bring theirs.

use keyhole_leptos::Lang;

/// Key of one of the app's own strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// Product name in the header.
    AppName,
    /// Label of the language menu.
    Language,
    /// Sign-in page heading.
    SignInTitle,
    /// Sign-in page introduction.
    SignInIntro,
    /// Dashboard heading.
    DashboardTitle,
    /// Not-found page heading.
    NotFoundTitle,
    /// Not-found page text.
    NotFoundText,
    /// Link back to `/`.
    GoHome,
}

impl Word {
    /// Every key, for the tests.
    #[cfg(test)]
    const ALL: [Self; 8] = [
        Self::AppName,
        Self::Language,
        Self::SignInTitle,
        Self::SignInIntro,
        Self::DashboardTitle,
        Self::NotFoundTitle,
        Self::NotFoundText,
        Self::GoHome,
    ];

    /// The string in `lang`.
    pub fn in_lang(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => english(self),
            Lang::ZhTw => chinese(self),
            Lang::Th => thai(self),
            Lang::Ko => korean(self),
        }
    }
}

fn english(word: Word) -> &'static str {
    use Word::*;
    match word {
        AppName => "Keyhole",
        Language => "Language",
        SignInTitle => "Sign in to Keyhole",
        SignInIntro => {
            "Choose an account to sign in with. A small window opens where you confirm \
             with the provider; Keyhole never sees your password."
        }
        DashboardTitle => "Your accounts",
        NotFoundTitle => "Page not found",
        NotFoundText => "There is nothing at this address.",
        GoHome => "Go to the start page",
    }
}

fn chinese(word: Word) -> &'static str {
    use Word::*;
    match word {
        AppName => "Keyhole",
        Language => "語言",
        SignInTitle => "登入 Keyhole",
        SignInIntro => {
            "請選擇要用來登入的帳號。畫面會開啟一個小視窗，讓你向服務提供者確認身分；\
             Keyhole 絕對不會看到你的密碼。"
        }
        DashboardTitle => "你的帳號",
        NotFoundTitle => "找不到網頁",
        NotFoundText => "這個網址沒有任何內容。",
        GoHome => "回到首頁",
    }
}

fn thai(word: Word) -> &'static str {
    use Word::*;
    match word {
        AppName => "Keyhole",
        Language => "ภาษา",
        SignInTitle => "เข้าสู่ระบบ Keyhole",
        SignInIntro => {
            "เลือกบัญชีที่ต้องการใช้เข้าสู่ระบบ หน้าต่างเล็ก ๆ จะเปิดขึ้นเพื่อให้คุณยืนยันกับผู้ให้บริการ \
             Keyhole จะไม่เห็นรหัสผ่านของคุณเลย"
        }
        DashboardTitle => "บัญชีของคุณ",
        NotFoundTitle => "ไม่พบหน้านี้",
        NotFoundText => "ไม่มีเนื้อหาที่ที่อยู่นี้",
        GoHome => "กลับไปหน้าแรก",
    }
}

fn korean(word: Word) -> &'static str {
    use Word::*;
    match word {
        AppName => "Keyhole",
        Language => "언어",
        SignInTitle => "Keyhole 로그인",
        SignInIntro => {
            "로그인할 계정을 선택하세요. 작은 창이 열리면 그곳에서 서비스 제공자의 확인을 거칩니다. \
             Keyhole은 비밀번호를 절대 보지 않습니다."
        }
        DashboardTitle => "내 계정",
        NotFoundTitle => "페이지를 찾을 수 없습니다",
        NotFoundText => "이 주소에는 아무것도 없습니다.",
        GoHome => "시작 페이지로 가기",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_translated_except_the_name() {
        for word in Word::ALL {
            for lang in Lang::ALL {
                assert!(!word.in_lang(lang).trim().is_empty(), "{lang:?} {word:?}");
                if lang != Lang::En && word != Word::AppName {
                    assert_ne!(
                        word.in_lang(lang),
                        word.in_lang(Lang::En),
                        "{lang:?} {word:?}"
                    );
                }
            }
        }
    }
}
