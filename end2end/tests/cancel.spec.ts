import { expect, test } from "@playwright/test";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("closing the popup without answering says the sign-in was cancelled", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const popup = await signIn.signInWithPopup(PROVIDERS.aihubmix);
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.aihubmix}`);
  await popup.close();

  await expect(signIn.status).toHaveText("Sign-in cancelled.");
  await expect(signIn.cancelButton).toBeHidden();
  await expect(signIn.error).toBeHidden();
});
