import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator, simCounters, simUrlOrFail } from "./fixtures/sim";
import { PROVIDERS, SOMCHAI, avatarPath } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("popup sign-in with Feishu goes through the v2 login and shows the Feishu profile", async ({
  page,
  request,
}) => {
  const sim = simUrlOrFail();
  const signIn = new SignInPage(page);
  await signIn.goto();

  const popup = await signIn.signInWithPopup(PROVIDERS.feishu);
  await expect(signIn.status).toContainText(`Waiting for ${PROVIDERS.feishu}`);
  // v2's authorize page (on accounts.feishu.cn for real), with PKCE; the v1
  // login would open `/open-apis/authen/v1/index?app_id=…` instead.
  await expect(popup).toHaveURL(/\/feishu\/open-apis\/authen\/v1\/authorize\?/);
  expect(new URL(popup.url()).searchParams.get("code_challenge_method")).toBe("S256");

  const consent = new ConsentPage(popup);
  await consent.expectVisible();
  await consent.expectProvider(PROVIDERS.feishu);
  await consent.chooseUser(SOMCHAI.displayName);
  await consent.allow();

  const dashboard = new DashboardPage(page);
  await dashboard.expectVisible();
  // user_info's `name`, `email` and `avatar_url`.
  const card = dashboard.card(SOMCHAI.displayName);
  await expect(card.locator(".kh-badge")).toHaveText(PROVIDERS.feishu);
  await expect(card.locator(".kh-connection__email")).toHaveText(SOMCHAI.email);
  await dashboard.expectAvatar(card, `${sim}${avatarPath(SOMCHAI)}`);
  await expect(dashboard.disconnectButton).toHaveCount(1);
  await expect(dashboard.balance).toHaveCount(0);

  // The e2e config is dev/keyhole.dev.toml's, `api = "v2"`: the code went to
  // the v2 token endpoint, and nothing of the v1 login (its page, its token
  // call, the app_access_token it needs) was touched.
  const counters = await simCounters(request);
  expect(counters["feishu.v2.authorize"]).toBe(1);
  expect(counters["feishu.v2.token.authorization_code"]).toBe(1);
  expect(counters["feishu.user_info"]).toBeGreaterThanOrEqual(1);
  expect(counters["feishu.authorize"]).toBe(0);
  expect(counters["feishu.access_token"]).toBe(0);
  expect(counters["feishu.app_access_token"]).toBe(0);
});
