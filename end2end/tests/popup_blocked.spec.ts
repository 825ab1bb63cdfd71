import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request, page }) => {
  await resetSimulator(request);
  // What a popup blocker does: window.open returns null.
  await page.addInitScript(() => {
    window.open = () => null;
  });
});

test("with popups blocked, sign-in goes through a full-page redirect", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.providerButton(PROVIDERS.aihubmix).click();

  const consent = new ConsentPage(page);
  await consent.expectVisible();
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allowButton.click();

  const dashboard = new DashboardPage(page);
  await expect(dashboard.displayName(WANG_XIAOMING.aihubmixName)).toBeVisible();
  // The app removes ?login=ok from the address bar.
  expect(new URL(page.url()).search).toBe("");
});
