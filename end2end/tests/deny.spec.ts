import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("denying consent shows a readable error on the sign-in page", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const popup = await signIn.signInWithPopup(PROVIDERS.aihubmix);
  const consent = new ConsentPage(popup);
  await consent.expectVisible();
  await consent.deny();

  await expect(signIn.error).toContainText("declined");
  await expect(signIn.error).toContainText(PROVIDERS.aihubmix);
  await signIn.expectVisible();
  await expect(signIn.providerButton(PROVIDERS.aihubmix)).toBeEnabled();
});
