import { expect, test, type Page } from "@playwright/test";
import { languageMenu } from "./fixtures/header";
import { signInWithAihubmix } from "./fixtures/login";
import { resetSimulator } from "./fixtures/sim";
import { WANG_XIAOMING } from "./fixtures/sim_users";

// The narrowest phone the app supports.
test.use({ viewport: { width: 360, height: 780 } });

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

const LANGUAGES = ["en", "zh-TW", "th", "ko"];

async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, `${where} is wider than the screen`).toBeLessThanOrEqual(clientWidth);
}

test("at 360 px nothing scrolls sideways, in every language", async ({ page }) => {
  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);
  for (const lang of LANGUAGES) {
    await languageMenu(page).selectOption(lang);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await expectNoSidewaysScroll(page, `dashboard (${lang})`);
  }

  await languageMenu(page).selectOption("en");
  await dashboard.logout();
  await expect(page.getByRole("heading", { name: "Sign in to Keyhole" })).toBeVisible();
  for (const lang of LANGUAGES) {
    await languageMenu(page).selectOption(lang);
    await expect(page.locator("html")).toHaveAttribute("lang", lang);
    await expectNoSidewaysScroll(page, `sign-in (${lang})`);
  }
});
