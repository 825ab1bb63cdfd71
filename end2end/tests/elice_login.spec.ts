import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { KIM_MINJUN, PROVIDERS, SOMCHAI } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("popup sign-in with Elice shows the chosen person's Elice profile", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const popup = await signIn.signInWithPopup(PROVIDERS.elice);
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.elice}`);

  // Elice's page speaks the language keyhole passes on (`lang`), the
  // browser's: English here, not Elice's Korean default.
  const consent = new ConsentPage(popup);
  await consent.expectVisible();
  await consent.expectProvider(PROVIDERS.elice, "en");
  // Not the preselected first user: the code must carry the choice.
  await consent.chooseUser(KIM_MINJUN.displayName);
  await consent.allow();

  const dashboard = new DashboardPage(page);
  await dashboard.expectVisible();
  // Elice's `fullname` is the card's heading, its `email` the email.
  const card = dashboard.card(KIM_MINJUN.displayName);
  await expect(card.locator(".kh-badge")).toHaveText(PROVIDERS.elice);
  await expect(card.locator(".kh-connection__email")).toHaveText(KIM_MINJUN.email);
  await expect(card.locator(".kh-connection__status")).toHaveText("Connected");
  await expect(dashboard.disconnectButton).toHaveCount(1);
  // Elice has no balance: no balance section by capability.
  await expect(dashboard.balance).toHaveCount(0);
});

test("denying at Elice, which sends back only `error=access_denied`, reads as declined", async ({
  page,
}) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const consent = new ConsentPage(await signIn.signInWithPopup(PROVIDERS.elice));
  await consent.expectProvider(PROVIDERS.elice, "en");
  await consent.deny();

  await expect(signIn.error).toContainText(`You declined the sign-in at ${PROVIDERS.elice}.`);
  await signIn.expectVisible();
  await expect(signIn.providerButton(PROVIDERS.elice)).toBeEnabled();
});

test.describe("with a Thai browser", () => {
  test.use({ locale: "th-TH" });

  test("Elice's consent page comes in Thai, and the Thai sign-in completes", async ({ page }) => {
    await page.goto("/");
    const popupPromise = page.waitForEvent("popup");
    await page
      .getByRole("button", { name: `เข้าสู่ระบบด้วย ${PROVIDERS.elice}`, exact: true })
      .click();
    const popup = await popupPromise;

    const consent = new ConsentPage(popup);
    await consent.expectProvider(PROVIDERS.elice, "th");
    await expect(popup.getByRole("heading", { level: 1 })).toHaveText(
      `เข้าสู่ระบบ ${PROVIDERS.elice}`,
    );
    // Thai labels on screen; "Allow" stays the accessible name.
    await expect(consent.allowButton).toHaveText("อนุญาต");
    await consent.chooseUser(SOMCHAI.displayName);
    await consent.allow();

    await expect(page.getByRole("heading", { name: "บัญชีของคุณ" })).toBeVisible();
    const card = new DashboardPage(page).card(SOMCHAI.displayName);
    await expect(card.locator(".kh-badge")).toHaveText(PROVIDERS.elice);
    await expect(card.locator(".kh-connection__email")).toHaveText(SOMCHAI.email);
  });
});
