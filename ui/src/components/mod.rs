//! The components: sign-in and connect buttons, sign-in status, connection cards with their capability sections, logout, banners and error notices.

pub mod announcements;
pub mod balance_panel;
pub mod compose_form;
pub mod connect_another;
pub mod connection_card;
pub mod connections;
pub mod error_notice;
pub mod friendship_panel;
pub mod login_status;
pub mod logout_button;
pub mod reauth_banner;
pub mod sign_in_buttons;
pub mod text_limit;

pub use announcements::Announcements;
pub use balance_panel::BalancePanel;
pub use compose_form::ComposeForm;
pub use connect_another::ConnectAnother;
pub use connection_card::ConnectionCard;
pub use connections::Connections;
pub use error_notice::ErrorNotice;
pub use friendship_panel::FriendshipPanel;
pub use login_status::LoginStatus;
pub use logout_button::LogoutButton;
pub use reauth_banner::ReauthBanner;
pub use sign_in_buttons::SignInButtons;
