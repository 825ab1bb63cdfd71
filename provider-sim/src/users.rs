//! The seeded test users every dialect signs in as, and their generated SVG avatars.

use serde::{Deserialize, Serialize};

/// A test account. Names are deliberately not all ASCII, so the app's rendering
/// of Chinese, Thai and Korean text is exercised by every login.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) username: &'static str,
    pub(crate) display_name: &'static str,
    pub(crate) email: &'static str,
    /// BCP 47 tag of the display name, for `lang` attributes on the consent page.
    pub(crate) locale: &'static str,
    /// Account creation time (Unix seconds), reported by AIHubMix's userinfo.
    pub(crate) created_time: u64,
    pub(crate) aihubmix: Quota,
    /// Romanised name, Feishu's `en_name`.
    pub(crate) en_name: &'static str,
    /// Mobile number as the user typed it, Elice's `phone`.
    pub(crate) phone: &'static str,
    /// The same number in E.164, Feishu's `mobile`.
    pub(crate) mobile: &'static str,
    /// The OpenID Connect provider's `sub`: opaque and stable, not the numeric id.
    pub(crate) oidc_sub: &'static str,
    /// Feishu's identifiers of this user.
    pub(crate) feishu: FeishuIds,
    /// LINE's user id (`U` and 32 hex digits): ID token `sub`, profile `userId`,
    /// webhook `source.userId`, push `to`.
    pub(crate) line_user_id: &'static str,
}

/// Feishu's three user ids: `open_id` is per app, `union_id`
/// per developer, `user_id` per tenant. One app and one tenant here, so fixed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeishuIds {
    pub(crate) open_id: &'static str,
    pub(crate) union_id: &'static str,
    pub(crate) user_id: &'static str,
}

/// An AIHubMix (one-api) balance in quota units, where 500 000 units are US$1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Quota {
    /// Remaining balance.
    pub(crate) quota: i64,
    /// Spent so far.
    pub(crate) used_quota: i64,
}

/// The seeded users, first one being the default for `auto_authorize` and the
/// preselected choice on consent pages.
pub(crate) fn seed() -> Vec<User> {
    vec![
        User {
            id: 12345,
            username: "xiaoming",
            display_name: "王小明",
            email: "wang.xiaoming@example.com",
            locale: "zh-CN",
            created_time: 1_640_995_200,
            // The seed document's example: US$2.00 remaining.
            aihubmix: Quota {
                quota: 1_000_000,
                used_quota: 250_000,
            },
            en_name: "Wang Xiaoming",
            phone: "+86 138 0013 8000",
            mobile: "+8613800138000",
            oidc_sub: "5f0c3a51-7d2e-4b8a-9c41-6e2d8f103a45",
            feishu: FeishuIds {
                open_id: "ou_5a1f0e7c3b9d48e26f1a0c7d9e3b5a21",
                union_id: "on_8c2e4a6f1d3b5c7e9a0b2d4f6e8a1c35",
                user_id: "4a7e12c5",
            },
            line_user_id: "U37c8bc5bb5c665ca86d4475462737587",
        },
        User {
            id: 12346,
            username: "somchai",
            display_name: "สมชาย ใจดี",
            email: "somchai.jaidee@example.com",
            locale: "th",
            created_time: 1_656_633_600,
            // Not a whole number of cents, so rounding is visible: US$24.69.
            aihubmix: Quota {
                quota: 12_345_678,
                used_quota: 0,
            },
            en_name: "Somchai Jaidee",
            phone: "081-234-5678",
            mobile: "+66812345678",
            oidc_sub: "9b27e4c8-1a6f-4d03-8e5b-2c7f9a41d6e0",
            feishu: FeishuIds {
                open_id: "ou_b3d5f7a9c1e2048a6b8d0f2e4c6a8b12",
                union_id: "on_1e3c5a7f9b2d4e6a8c0f1b3d5e7a9c46",
                user_id: "4a7e12c6",
            },
            line_user_id: "Ub6ad5bd613e5bcfd6ff2bbb8ce336f13",
        },
        User {
            id: 12347,
            username: "minjun",
            display_name: "김민준",
            email: "kim.minjun@example.com",
            locale: "ko",
            created_time: 1_672_531_200,
            // An exhausted account.
            aihubmix: Quota {
                quota: 0,
                used_quota: 5_000_000,
            },
            en_name: "Kim Minjun",
            phone: "010-1234-5678",
            mobile: "+821012345678",
            oidc_sub: "d4e6a1b3-5c7f-4e92-a0b8-7f1c3e5d9a27",
            feishu: FeishuIds {
                open_id: "ou_c7e9a1b3d5f2046b8d0c2e4a6f8b1d34",
                union_id: "on_6f8a0c2e4b1d3f5a7c9e0b2d4f6a8c57",
                user_id: "4a7e12c7",
            },
            line_user_id: "U479fa1143f731109535fd8991cc6e594",
        },
        User {
            id: 12348,
            username: "alice",
            display_name: "Alice Example",
            email: "alice@example.com",
            locale: "en",
            created_time: 1_688_169_600,
            aihubmix: Quota {
                quota: 50_000_000,
                used_quota: 1_234_567,
            },
            en_name: "Alice Example",
            phone: "+1 202-555-0143",
            mobile: "+12025550143",
            oidc_sub: "2c8f0a6e-9d1b-4f37-b5e2-a4c6e8f01b39",
            feishu: FeishuIds {
                open_id: "ou_e1a3c5e7f9b2d4068a0c2e4f6b8d1a56",
                union_id: "on_3b5d7f9a1c2e4b6d8f0a1c3e5b7d9f68",
                user_id: "4a7e12c8",
            },
            line_user_id: "U1e2ecea0fca9100c18bc04cdfc66ac43",
        },
    ]
}

/// Path of a user's avatar on the simulator.
pub(crate) fn avatar_path(id: u64) -> String {
    format!("/avatars/{id}.svg")
}

/// A circle with the user's initial, served at [`avatar_path`].
pub(crate) fn avatar_svg(user: &User) -> String {
    // Fixed palette picked by id, so a user's colour is stable across runs.
    const COLOURS: [&str; 6] = [
        "#2563eb", "#059669", "#d97706", "#dc2626", "#7c3aed", "#0891b2",
    ];
    let colour = COLOURS[(user.id % COLOURS.len() as u64) as usize];
    let initial: String = user
        .display_name
        .chars()
        .next()
        .map(|first| first.to_uppercase().collect())
        .unwrap_or_default();
    let initial = html_escape::encode_safe(&initial);
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">"#,
            r#"<circle cx="48" cy="48" r="48" fill="{colour}"/>"#,
            r#"<text x="48" y="50" text-anchor="middle" dominant-baseline="middle" "#,
            r#"font-family="system-ui, sans-serif" font-size="44" fill="white">{initial}</text>"#,
            "</svg>"
        ),
        colour = colour,
        initial = initial,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ids_are_unique_and_first_user_matches_the_seed_example() {
        let users = seed();
        assert!(users.len() >= 4);
        let mut ids: Vec<u64> = users.iter().map(|user| user.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), users.len());
        assert_eq!(
            users[0].aihubmix,
            Quota {
                quota: 1_000_000,
                used_quota: 250_000
            }
        );
    }

    #[test]
    fn avatar_shows_the_initial() {
        let users = seed();
        assert!(avatar_svg(&users[0]).contains(">王</text>"));
        assert!(avatar_svg(&users[3]).contains(">A</text>"));
    }
}
