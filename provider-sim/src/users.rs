//! The seeded test users every dialect signs in as, and their generated SVG avatars.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use crate::state::Sim;

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
        },
    ]
}

/// Path of a user's avatar on the simulator.
pub(crate) fn avatar_path(id: u64) -> String {
    format!("/avatars/{id}.svg")
}

/// `GET /avatars/{id}.svg`: a circle with the user's initial.
pub(crate) async fn avatar(State(sim): State<Sim>, Path(file): Path<String>) -> Response {
    let id = file
        .strip_suffix(".svg")
        .and_then(|id| id.parse::<u64>().ok());
    let svg = id.and_then(|id| sim.with(|world| world.user(id).map(avatar_svg)));
    match svg {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            svg,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such avatar").into_response(),
    }
}

fn avatar_svg(user: &User) -> String {
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
