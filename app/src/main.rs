//! Entry point of the wasm bundle: installs the panic hook and mounts [`app::App`]. Built by `trunk build --release`.

/// Talc instead of the standard library's dlmalloc: the same job in fewer
/// bytes of the bundle, and the allocator Talc recommends for
/// single-threaded wasm (BENCHMARKS.md, "First load").
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
