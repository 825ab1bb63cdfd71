//! Entry point of the wasm bundle: installs the panic hook (development builds) and mounts [`app::App`]. Built by `trunk build --release`.

/// Talc instead of the standard library's dlmalloc: the same job in fewer
/// bytes of the bundle, and the allocator Talc recommends for
/// single-threaded wasm (BENCHMARKS.md, "First load").
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    // Panic messages in the console while developing (`trunk serve`). The
    // release bundle goes without: the hook formats every panic's message
    // and location, 1 KB of the first load (BENCHMARKS.md), and a panic
    // there still stops the app with an error in the console.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
