//! The app's own pieces around the `keyhole-leptos` components: the language menu.

pub mod language_menu;

pub use language_menu::LanguageMenu;
