//! Reusable pieces of the pages: sign-in status, language menu, connection cards with their capability sections, banners and error notices.

pub mod balance_panel;
pub mod compose_form;
pub mod connection_card;
pub mod error_notice;
pub mod friendship_panel;
pub mod language_menu;
pub mod login_status;
pub mod reauth_banner;

pub use balance_panel::BalancePanel;
pub use compose_form::ComposeForm;
pub use connection_card::ConnectionCard;
pub use error_notice::ErrorNotice;
pub use friendship_panel::FriendshipPanel;
pub use language_menu::LanguageMenu;
pub use login_status::LoginStatus;
pub use reauth_banner::ReauthBanner;
