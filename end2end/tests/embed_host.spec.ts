// Keyhole as a library, in the browser: a second Leptos app (examples/host-app)
// that uses only keyhole-leptos signs in through the popup against Keyhole
// nested under /auth in an axum host (keyhole's embed example), then reads
// the host's own API with the token Keyhole keeps on the server.
import { expect, test } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { expectOk, resetSimulator, simUrlOrFail } from "./fixtures/sim";
import { PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

/** The embed example's URL; the harness starts it beside keyhole. */
function embedUrl(): string {
  const url = process.env.KEYHOLE_EMBED_URL?.replace(/\/$/, "");
  if (!url) throw new Error("needs KEYHOLE_EMBED_URL (run through `cargo xtask e2e`)");
  return url;
}

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
  // The host's own AIHubMix app, registered as its operator would.
  const sim = simUrlOrFail();
  await expectOk(
    await request.post(`${sim}/_sim/clients`, {
      data: {
        dialect: "aihubmix",
        client_id: "embed",
        client_secret: "embed-secret",
        redirect_uri: `${embedUrl()}/auth/auth/aihubmix/callback`,
      },
    }),
    "register the embed client",
  );
});

test("a host app signs in through keyhole-leptos with Keyhole under /auth", async ({
  page,
}) => {
  const host = embedUrl();
  const keyholeCalls: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (r.url().startsWith(host) && (path.startsWith("/api") || path.startsWith("/auth"))) {
      keyholeCalls.push(path);
    }
  });
  await page.goto(`${host}/`);
  await expect(page.getByRole("heading", { name: "Example host" })).toBeVisible();

  const popupPromise = page.waitForEvent("popup");
  await page
    .getByRole("button", { name: `Sign in with ${PROVIDERS.aihubmix}`, exact: true })
    .click();
  const popup = await popupPromise;
  await expect(page.getByRole("status")).toContainText(`Waiting for ${PROVIDERS.aihubmix}`);
  const consent = new ConsentPage(popup);
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();

  // The components' connection card, with the provider's values as text.
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(
    page.getByRole("heading", { name: WANG_XIAOMING.aihubmixName, exact: true }),
  ).toBeVisible();
  await expect(page.locator(".kh-connection__email")).toHaveText(WANG_XIAOMING.email);
  await expect(page.locator(".kh-balance__formatted")).toContainText(
    WANG_XIAOMING.aihubmixBalance,
  );
  // Every call went to the host's prefix, none to the binary's `/api`.
  expect(keyholeCalls.length).toBeGreaterThan(0);
  expect(keyholeCalls.filter((p) => !p.startsWith("/auth/"))).toEqual([]);

  // The host's own route reads AIHubMix with the token Keyhole holds.
  const usage = await page.request.get(`${host}/usage`);
  expect(usage.status()).toBe(200);
  expect(await usage.json()).toMatchObject({ username: WANG_XIAOMING.aihubmixName });

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to see your usage" })).toBeVisible();
});
