import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS } from "./fixtures/sim_users";

test.beforeEach(async ({ request, page }) => {
  await resetSimulator(request);
  // Popups blocked, so the login goes through mode=redirect.
  await page.addInitScript(() => {
    window.open = () => null;
  });
});

test("a redirect-mode denial shows the error and cleans the URL", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  await signIn.providerButton(PROVIDERS.aihubmix).click();

  const consent = new ConsentPage(page);
  await consent.expectVisible();
  await consent.denyButton.click();

  await expect(signIn.error).toContainText(`You declined the sign-in at ${PROVIDERS.aihubmix}.`);
  expect(new URL(page.url()).search).toBe("");
});
