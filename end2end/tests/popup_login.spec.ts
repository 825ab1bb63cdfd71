import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { saveScreenshot } from "./fixtures/screenshots";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("popup sign-in with AIHubMix shows the profile and balance", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await saveScreenshot(page, "sign-in");

  const popup = await signIn.signInWithPopup(PROVIDERS.aihubmix);
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.aihubmix}`);

  const consent = new ConsentPage(popup);
  await consent.expectVisible();
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();

  const dashboard = new DashboardPage(page);
  await dashboard.expectVisible();
  await expect(dashboard.displayName(WANG_XIAOMING.aihubmixName)).toBeVisible();
  await expect(dashboard.email).toHaveText(WANG_XIAOMING.email);
  await expect(dashboard.balance).toContainText(WANG_XIAOMING.aihubmixBalance);
  await saveScreenshot(page, "dashboard");
});
