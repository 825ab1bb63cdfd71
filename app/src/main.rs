//! Entry point of the wasm bundle: installs the panic hook and mounts [`app::App`]. Built by `trunk build --release`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
