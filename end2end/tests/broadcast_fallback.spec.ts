import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { PROVIDERS } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("an answer on the BroadcastChannel fallback reaches the app, as text", async ({
  page,
  context,
}) => {
  const signIn = new SignInPage(page);
  await signIn.goto();
  const popup = await signIn.signInWithPopup(PROVIDERS.aihubmix);
  await new ConsentPage(popup).expectVisible();

  // What the callback page does when it lost its opener: post on the
  // "keyhole" channel from a page of the app's origin.
  const other = await context.newPage();
  await other.goto("/");
  await other.evaluate(() =>
    new BroadcastChannel("keyhole").postMessage({
      type: "keyhole:login",
      provider: "aihubmix",
      ok: false,
      error: "access_denied",
      error_description: "<b>not today</b>",
    }),
  );

  await expect(signIn.error).toContainText(`You declined the sign-in at ${PROVIDERS.aihubmix}.`);
  // The provider's text is shown literally, never parsed as HTML.
  await expect(signIn.error).toContainText(`${PROVIDERS.aihubmix} said: <b>not today</b>`);
  await expect(signIn.error.locator("b")).toHaveCount(0);
  expect(popup.isClosed()).toBe(true);
});
