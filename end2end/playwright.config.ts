// Playwright runs Keyhole's browser tests in Debian's Chromium.
//
// `cargo xtask test` (or `cargo xtask e2e`) builds dist/, starts the provider
// simulator and `keyhole` on free ports, and sets KEYHOLE_BASE_URL and
// KEYHOLE_SIM_URL; so there is no `webServer` block here. Browsers are never
// downloaded: the Chromium binary comes from apt.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "./tests",
  outputDir: "test-results",
  // A stray `test.only` must fail CI rather than silently skip the rest.
  forbidOnly: !!process.env.CI,
  // No retries: a flaky test is a bug to fix, not to hide.
  retries: 0,
  // One worker: every test shares one simulator and resets it first.
  workers: 1,
  reporter: [
    ["list"],
    // xtask reads stats.expected/unexpected/flaky/skipped from this file.
    ["json", { outputFile: "test-results/results.json" }],
  ],
  use: {
    baseURL: process.env.KEYHOLE_BASE_URL ?? "http://127.0.0.1:8080",
    // The app picks its language from the browser's: English unless a test
    // asks for another (tests/language.spec.ts).
    locale: "en-US",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      },
    },
  ],
});
