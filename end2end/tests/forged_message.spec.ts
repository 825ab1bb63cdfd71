import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("a login message from another origin is ignored", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  const popup = await signIn.signInWithPopup(PROVIDERS.aihubmix);
  await new ConsentPage(popup).expectVisible();

  // The popup now shows the provider's page (another origin): anything it
  // posts to the opener, even in the right shape, must not be believed.
  await popup.evaluate(() =>
    window.opener.postMessage(
      { type: "keyhole:login", provider: "aihubmix", ok: false, error: "access_denied" },
      "*",
    ),
  );
  // Give a wrongly accepted message time to show, then check it did not.
  await page.waitForTimeout(1_000);

  await expect(signIn.error).toBeHidden();
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.aihubmix}`);
});
