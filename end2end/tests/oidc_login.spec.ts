import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator, simUrlOrFail } from "./fixtures/sim";
import { ALICE, PROVIDERS, avatarPath } from "./fixtures/sim_users";

/** What the simulator's consent page calls itself; keyhole's config names it differently. */
const SIM_NAME = "OpenID Connect";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("popup sign-in with OpenID Connect shows the ID token's profile", async ({ page }) => {
  const sim = simUrlOrFail();
  const signIn = new SignInPage(page);
  await signIn.goto();

  const popup = await signIn.signInWithPopup(PROVIDERS.oidc);
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.oidc}`);
  // The authorization endpoint keyhole found by discovery, asked for with a
  // nonce and PKCE.
  await expect(popup).toHaveURL(/\/oidc\/authorize\?/);
  const query = new URL(popup.url()).searchParams;
  expect(query.get("scope")?.split(" ")).toEqual(expect.arrayContaining(["openid", "email"]));
  expect(query.get("nonce")).toBeTruthy();
  expect(query.get("code_challenge_method")).toBe("S256");

  const consent = new ConsentPage(popup);
  await consent.expectVisible();
  await consent.expectProvider(SIM_NAME);
  await consent.chooseUser(ALICE.displayName);
  await consent.allow();

  const dashboard = new DashboardPage(page);
  await dashboard.expectVisible();
  // The `name`, `email` and `picture` claims.
  const card = dashboard.card(ALICE.displayName);
  await expect(card.locator(".kh-badge")).toHaveText(PROVIDERS.oidc);
  await expect(card.locator(".kh-connection__email")).toHaveText(ALICE.email);
  await dashboard.expectAvatar(card, `${sim}${avatarPath(ALICE)}`);
  await expect(dashboard.disconnectButton).toHaveCount(1);
  await expect(dashboard.balance).toHaveCount(0);
});

test("denying at the OpenID Connect provider (an error with RFC 9207 `iss`) reads as declined", async ({
  page,
}) => {
  const signIn = new SignInPage(page);
  await signIn.goto();

  const consent = new ConsentPage(await signIn.signInWithPopup(PROVIDERS.oidc));
  await consent.expectProvider(SIM_NAME);
  await consent.deny();

  await expect(signIn.error).toContainText(`You declined the sign-in at ${PROVIDERS.oidc}.`);
  await signIn.expectVisible();
  await expect(signIn.providerButton(PROVIDERS.oidc)).toBeEnabled();
});
