// The card sections that appear by capability (never by provider name):
// `friendship` and `notify`, against whichever configured providers offer
// them. Each test skips when no provider of the e2e config has its capability.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { DashboardPage } from "./fixtures/dashboard_page";
import { signInWithAihubmix } from "./fixtures/login";
import { SignInPage } from "./fixtures/sign_in_page";
import {
  lineBotMessages,
  lineNotifyMessages,
  resetSimulator,
  setLineFriendship,
} from "./fixtures/sim";
import { SOMCHAI, WANG_XIAOMING } from "./fixtures/sim_users";

interface ProviderInfo {
  id: string;
  name: string;
  capabilities: string[];
  sends_via?: string;
}

async function signInWithPopup(
  page: import("@playwright/test").Page,
  provider: string,
  user: string,
): Promise<void> {
  const signIn = new SignInPage(page);
  await signIn.goto();
  const consent = new ConsentPage(await signIn.signInWithPopup(provider));
  await consent.chooseUser(user);
  await consent.allow();
  await new DashboardPage(page).expectVisible();
}

async function providerWith(
  request: APIRequestContext,
  capability: string,
): Promise<ProviderInfo | undefined> {
  const providers = (await (await request.get("/api/providers")).json()) as ProviderInfo[];
  return providers.find((p) => p.capabilities.includes(capability));
}

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

test("friendship: not a friend shows the add-friend link; a friend is told so", async ({
  page,
  request,
}) => {
  const provider = await providerWith(request, "friendship");
  test.skip(!provider?.capabilities.includes("login"), "no sign-in provider with `friendship`");
  const name = provider?.name ?? "";

  await signInWithPopup(page, name, SOMCHAI.displayName);

  const section = page.getByRole("region", { name: "Official account", exact: true });
  await expect(section).toContainText(
    `You have not added the ${name} official account as a friend yet.`,
  );
  const link = section.getByRole("link", { name: "Add friend (opens in a new tab)" });
  await expect(link).toHaveAttribute("href", /^https:\/\//);
  await expect(link).toHaveAttribute("target", "_blank");
  await expect(link).toHaveAttribute("rel", /noopener/);

  await setLineFriendship(request, SOMCHAI.id, "friend");
  await page.reload();
  await expect(section).toContainText(`You are a friend of the ${name} official account.`);
  await expect(section.getByRole("link")).toHaveCount(0);
});

test("notify: the counter follows the text, and a test notification is sent", async ({
  page,
  request,
}) => {
  const provider = await providerWith(request, "notify");
  test.skip(!provider, "no provider with `notify`");
  const name = provider?.name ?? "";

  const dashboard = await signInWithAihubmix(page, WANG_XIAOMING);
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: `Connect ${name}`, exact: true }).click();
  const consent = new ConsentPage(await popupPromise);
  await consent.chooseUser(WANG_XIAOMING.displayName);
  await consent.allow();
  await expect(dashboard.heading).toBeFocused();

  const section = page.getByRole("region", { name: "Test notification" });
  const text = section.getByRole("textbox", { name: "Notification text" });
  const send = section.getByRole("button", { name: "Send a test notification" });
  await expect(section).toContainText("0/1000");

  // Nothing to send yet: the field says why, and nothing goes out.
  await send.click();
  await expect(section.getByRole("alert")).toHaveText("Write something first.");
  await expect(text).toHaveAttribute("aria-invalid", "true");

  await text.fill("สวัสดี from Keyhole");
  await expect(section).toContainText("19/1000");
  await expect(section.getByRole("alert")).toHaveCount(0);
  await send.click();

  const result = section.getByRole("status");
  await expect(result).toContainText("Notification sent.");
  await expect(result).toContainText(/You can send \d+ more of \d+ until/);
  expect(await lineNotifyMessages(request)).toContain("สวัสดี from Keyhole");
});

test("messaging: a message reaches a friend, and a non-friend is told to add the account", async ({
  page,
  request,
}) => {
  const service = await providerWith(request, "messaging");
  const friendship = await providerWith(request, "friendship");
  test.skip(!service || !friendship, "no messaging service with a LINE-style sign-in");
  const serviceName = service?.name ?? "";

  // 王小明 is a friend of the dev official account from the start.
  await signInWithPopup(page, friendship?.name ?? "", WANG_XIAOMING.displayName);
  const card = page.getByRole("article", { name: `Messages from ${serviceName}` });
  const text = card.getByRole("textbox", { name: "Message text" });
  await expect(text).toHaveValue("Hello from Keyhole!");
  await text.fill("Keyhole e2e: สวัสดี");
  await card.getByRole("button", { name: `Send me a message on ${serviceName}` }).click();
  await expect(card.getByRole("status")).toHaveText(
    `Message sent. Have a look in ${serviceName}.`,
  );
  expect(await lineBotMessages(request)).toContain("Keyhole e2e: สวัสดี");

  await setLineFriendship(request, WANG_XIAOMING.id, "blocked");
  await card.getByRole("button", { name: `Send me a message on ${serviceName}` }).click();
  await expect(card.getByRole("alert")).toContainText(
    `${serviceName} delivers messages only to friends of its official account.`,
  );
});

test("messaging: signed in elsewhere, the card names the sign-in it needs instead of a form", async ({
  page,
  request,
}) => {
  const service = await providerWith(request, "messaging");
  test.skip(!service?.sends_via, "no messaging service that sends through a sign-in");
  const providers = (await (await request.get("/api/providers")).json()) as ProviderInfo[];
  const login = providers.find((p) => p.id === service?.sends_via);
  expect(login, "sends_via names a configured provider").toBeTruthy();

  await signInWithAihubmix(page, WANG_XIAOMING);
  const card = page.getByRole("article", { name: `Messages from ${service?.name}` });
  await expect(card).toContainText(
    `Sign in with ${login?.name} first: messages go to the account you signed in with.`,
  );
  await expect(card.getByRole("textbox")).toHaveCount(0);
});
