import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { signInWithAihubmix } from "./fixtures/login";
import { resetSimulator, revokeTokens } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("a revoked grant asks to sign in again, and signing in again fixes it", async ({
  page,
  request,
}) => {
  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);

  await revokeTokens(request, WANG_XIAOMING.id);
  await dashboard.refreshBalanceButton.click();

  await expect(dashboard.reauthBanner).toContainText(`Your ${PROVIDERS.aihubmix} sign-in expired`);

  const popupPromise = page.waitForEvent("popup");
  await dashboard.signInAgainButton.click();
  const consent = new ConsentPage(await popupPromise);
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();

  await expect(dashboard.signInAgainButton).toBeHidden();
  await dashboard.refreshBalance();
  await expect(dashboard.balance).toContainText(`Balance: ${WANG_XIAOMING.aihubmixBalance}`);
});
