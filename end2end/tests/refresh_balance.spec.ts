import { expect, test } from "@playwright/test";
import { signInWithAihubmix } from "./fixtures/login";
import { resetSimulator, setAihubmixQuota } from "./fixtures/sim";
import { WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("Refresh balance shows the provider's new balance", async ({ page, request }) => {
  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);
  await expect(dashboard.balance).toContainText(`Balance: ${WANG_XIAOMING.aihubmixBalance}`);

  await setAihubmixQuota(request, WANG_XIAOMING.id, 5_000_000); // US$10.00
  await dashboard.refreshBalance();

  await expect(dashboard.balance).toContainText("Balance: 10.00");
});
