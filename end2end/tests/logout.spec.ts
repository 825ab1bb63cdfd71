import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("logging out returns to sign-in, also after a reload", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  const consent = new ConsentPage(await signIn.signInWithPopup(PROVIDERS.aihubmix));
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();

  const dashboard = new DashboardPage(page);
  await expect(dashboard.displayName(WANG_XIAOMING.aihubmixName)).toBeVisible();

  await dashboard.logout();
  await signIn.expectVisible();
  await expect(dashboard.heading).toBeHidden();

  await page.reload();
  await signIn.expectVisible();
  await expect(dashboard.heading).toBeHidden();
});
