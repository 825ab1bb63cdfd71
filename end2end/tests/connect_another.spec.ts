import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { signInWithAihubmix } from "./fixtures/login";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

interface ProviderInfo {
  id: string;
  name: string;
  capabilities: string[];
}

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("a second provider connects through the same popup and can be disconnected alone", async ({
  page,
  request,
}) => {
  const providers = (await (await request.get("/api/providers")).json()) as ProviderInfo[];
  const others = providers.filter(
    (p) => p.capabilities.includes("login") && p.name !== PROVIDERS.aihubmix,
  );
  test.skip(others.length === 0, "needs a second sign-in provider in the e2e config");
  const other = others[0];

  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: `Connect ${other.name}`, exact: true }).click();
  const consent = new ConsentPage(await popupPromise);
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();

  await expect(dashboard.heading).toBeFocused();
  // One "Disconnect" per connection card.
  const disconnect = page.getByRole("button", { name: "Disconnect" });
  await expect(disconnect).toHaveCount(2);
  await expect(page.getByRole("button", { name: `Connect ${other.name}`, exact: true })).toBeHidden();

  // Disconnecting one keeps the session and the other card.
  await page
    .getByRole("article")
    .filter({ has: page.getByText(other.name, { exact: true }) })
    .getByRole("button", { name: "Disconnect" })
    .click();
  await expect(disconnect).toHaveCount(1);
  await expect(dashboard.heading).toBeFocused();
  await expect(dashboard.displayName(WANG_XIAOMING.aihubmixName)).toBeVisible();
});
