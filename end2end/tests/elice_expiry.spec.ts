import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { resetSimulator, setEliceOptions } from "./fixtures/sim";
import { KIM_MINJUN, PROVIDERS } from "./fixtures/sim_users";
import { SignInPage } from "./fixtures/sign_in_page";

/** Seconds the shortened Elice token lives: enough to finish the sign-in. */
const SHORT_TTL = 4;

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("an expired Elice sign-in offers 'Sign in again', and signing in again fixes it", async ({
  page,
  request,
}) => {
  // Elice tokens last an hour and cannot be refreshed. Keyhole uses the real
  // clock, so instead of waiting the hour the simulator issues a short-lived
  // token and, unlike Elice, says so (`expires_in`).
  await setEliceOptions(request, { access_token_ttl_secs: SHORT_TTL, report_expires_in: true });

  const signIn = new SignInPage(page);
  await signIn.goto();
  const consent = new ConsentPage(await signIn.signInWithPopup(PROVIDERS.elice));
  await consent.chooseUser(KIM_MINJUN.displayName);
  await consent.allow();
  const dashboard = new DashboardPage(page);
  await expect(dashboard.displayName(KIM_MINJUN.displayName)).toBeVisible();

  // Nothing uses an Elice token on the dashboard: only `/api/me`, read
  // again on a reload, can tell that its time is up.
  await expect(async () => {
    await page.reload();
    await expect(dashboard.reauthBanner).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(dashboard.reauthBanner).toContainText(`Your ${PROVIDERS.elice} sign-in expired`);
  await expect(page.locator(".kh-connection__status")).toHaveText("Sign-in expired");

  await setEliceOptions(request, { access_token_ttl_secs: 3600, report_expires_in: false });
  const popupPromise = page.waitForEvent("popup");
  await dashboard.signInAgainButton.click();
  const again = new ConsentPage(await popupPromise);
  await again.chooseUser(KIM_MINJUN.displayName);
  await again.allow();

  await expect(dashboard.signInAgainButton).toBeHidden();
  await expect(page.locator(".kh-connection__status")).toHaveText("Connected");
});
