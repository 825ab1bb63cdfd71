import { expect, test, type Locator, type Page } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

/** Presses Tab until `target` has focus (at most `max` times). */
async function tabTo(page: Page, target: Locator, max = 10): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

/** Starts the popup from the keyboard: Tab to the button, press Enter. */
async function openPopupWithKeyboard(page: Page, signIn: SignInPage): Promise<Page> {
  await tabTo(page, signIn.providerButton(PROVIDERS.aihubmix));
  const popupPromise = page.waitForEvent("popup");
  await page.keyboard.press("Enter");
  return popupPromise;
}

test("keyboard only: sign in, land on the dashboard heading, reach Log out", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const consent = new ConsentPage(await openPopupWithKeyboard(page, signIn));
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();

  const dashboard = new DashboardPage(page);
  await expect(dashboard.heading).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dashboard.logoutButton).toBeFocused();

  await page.keyboard.press("Enter");
  await expect(signIn.heading).toBeFocused();
});

test("keyboard only: a denied sign-in puts focus on the error", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const consent = new ConsentPage(await openPopupWithKeyboard(page, signIn));
  await consent.deny();

  await expect(signIn.error).toContainText("declined");
  await expect(signIn.error).toBeFocused();
});

test("keyboard only: Cancel gives focus back to the sign-in button", async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  const popup = await openPopupWithKeyboard(page, signIn);
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.aihubmix}`);

  await page.bringToFront();
  await tabTo(page, signIn.cancelButton);
  await page.keyboard.press("Enter");

  await expect(signIn.status).toHaveText("Sign-in cancelled.");
  await expect(signIn.providerButton(PROVIDERS.aihubmix)).toBeFocused();
  expect(popup.isClosed()).toBe(true);
});
