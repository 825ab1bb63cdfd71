import { expect, test } from "@playwright/test";
import { signInWithAihubmix } from "./fixtures/login";
import { resetSimulator } from "./fixtures/sim";
import { WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("Top up opens the provider's page in a new tab without an opener", async ({ page }) => {
  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);

  const tabPromise = page.context().waitForEvent("page");
  await dashboard.topUpButton.click();
  const tab = await tabPromise;
  await tab.waitForLoadState("domcontentloaded");

  expect(new URL(tab.url()).pathname).toContain("topup");
  expect(await tab.evaluate(() => window.opener)).toBeNull();
});
