import { expect, test } from "@playwright/test";
import { signInWithAihubmix } from "./fixtures/login";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("disconnecting the only account ends the session", async ({ page }) => {
  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);

  await dashboard.disconnectButton.click();

  const signIn = new SignInPage(page);
  await signIn.expectVisible();
  await expect(signIn.heading).toBeFocused();
  // Said by the app-wide live region (it is visually hidden).
  await expect(page.locator("#announcements")).toHaveText(
    `${PROVIDERS.aihubmix} was disconnected.`,
  );
  expect((await page.request.get("/api/me")).status()).toBe(401);

  await page.reload();
  await signIn.expectVisible();
  await expect(dashboard.heading).toBeHidden();
});
