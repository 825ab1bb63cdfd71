import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { ConsentPage } from "./fixtures/consent_page";
import { htmlLang, languageMenu } from "./fixtures/header";
import { saveScreenshot } from "./fixtures/screenshots";
import { resetSimulator } from "./fixtures/sim";
import { KIM_MINJUN, PROVIDERS, WANG_XIAOMING } from "./fixtures/sim_users";

// Strings from app/src/i18n.rs, as a person reads them.
const ZH = {
  signInTitle: "登入 Keyhole",
  signInWith: `使用 ${PROVIDERS.aihubmix} 登入`,
  dashboardTitle: "你的帳號",
  refreshBalance: "重新整理餘額",
  logOut: "登出",
  balance: `餘額：${WANG_XIAOMING.aihubmixBalance}`,
};
const TH = {
  signInTitle: "เข้าสู่ระบบ Keyhole",
  signInWith: `เข้าสู่ระบบด้วย ${PROVIDERS.aihubmix}`,
  dashboardTitle: "บัญชีของคุณ",
  refreshBalance: "รีเฟรชยอดคงเหลือ",
  logOut: "ออกจากระบบ",
  balance: `ยอดคงเหลือ: ${WANG_XIAOMING.aihubmixBalance}`,
};

const KO = {
  signInTitle: "Keyhole 로그인",
  signInWithElice: `${PROVIDERS.elice} 계정으로 로그인`,
  dashboardTitle: "내 계정",
  status: "연결됨",
  logOut: "로그아웃",
};

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

/** Signs in through the popup with a button named `buttonName`, as `user`. */
async function signInWith(
  page: Page,
  buttonName: string,
  user: string = WANG_XIAOMING.displayName,
): Promise<void> {
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: buttonName }).click();
  const consent = new ConsentPage(await popupPromise);
  await consent.chooseUser(user);
  await consent.allow();
}

async function expectNoSeriousAxeViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious).toEqual([]);
}

test.describe("with a Thai browser", () => {
  test.use({ locale: "th-TH" });

  test("the app speaks Thai from the first page, and tells the server", async ({
    page,
    context,
  }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: TH.signInTitle })).toBeVisible();
    expect(await htmlLang(page)).toBe("th");
    await expect(languageMenu(page)).toHaveValue("th");
    await expectNoSeriousAxeViolations(page);
    await saveScreenshot(page, "sign-in.th");

    const loginRequest = context.waitForEvent("request", (r) => r.url().includes("/login?"));
    await signInWith(page, TH.signInWith);
    expect(new URL((await loginRequest).url()).searchParams.get("lang")).toBe("th");

    await expect(page.getByRole("heading", { name: TH.dashboardTitle })).toBeVisible();
    await expect(page.getByRole("button", { name: TH.refreshBalance })).toBeVisible();
    await expect(page.getByRole("button", { name: TH.logOut })).toBeVisible();
    await expect(page.getByRole("region", { name: "ยอดคงเหลือ" })).toContainText(TH.balance);
    await expectNoSeriousAxeViolations(page);
    await saveScreenshot(page, "dashboard.th");
  });
});

test.describe("with a Korean browser", () => {
  test.use({ locale: "ko-KR" });

  test("the app speaks Korean from the first page, and Elice is asked for Korean", async ({
    page,
    context,
  }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: KO.signInTitle })).toBeVisible();
    expect(await htmlLang(page)).toBe("ko");
    await expect(languageMenu(page)).toHaveValue("ko");
    await expectNoSeriousAxeViolations(page);
    await saveScreenshot(page, "sign-in.ko");

    const loginRequest = context.waitForEvent("request", (r) => r.url().includes("/login?"));
    const authorize = context.waitForEvent("request", (r) => r.url().includes("/oauth/authorize"));
    await signInWith(page, KO.signInWithElice, KIM_MINJUN.displayName);
    expect(new URL((await loginRequest).url()).searchParams.get("lang")).toBe("ko");
    expect(new URL((await authorize).url()).searchParams.get("lang")).toBe("ko");

    await expect(page.getByRole("heading", { name: KO.dashboardTitle })).toBeVisible();
    await expect(page.getByRole("heading", { name: KIM_MINJUN.displayName })).toBeVisible();
    await expect(page.locator(".kh-connection__status")).toHaveText(KO.status);
    await expect(page.getByRole("button", { name: KO.logOut })).toBeVisible();
    await expectNoSeriousAxeViolations(page);
    await saveScreenshot(page, "dashboard.ko");
  });
});

test("the language menu switches to Traditional Chinese, and the choice survives a reload", async ({
  page,
}) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Sign in to Keyhole" })).toBeVisible();
  expect(await htmlLang(page)).toBe("en");

  await languageMenu(page).focus();
  await languageMenu(page).selectOption({ label: "繁體中文" });
  await expect(page.getByRole("heading", { name: ZH.signInTitle })).toBeVisible();
  await expect(page.getByRole("button", { name: ZH.signInWith })).toBeVisible();
  expect(await htmlLang(page)).toBe("zh-TW");
  // Only texts change: the menu keeps focus.
  await expect(languageMenu(page)).toBeFocused();
  await saveScreenshot(page, "sign-in.zh-TW");

  await page.reload();
  await expect(page.getByRole("heading", { name: ZH.signInTitle })).toBeVisible();
  expect(await htmlLang(page)).toBe("zh-TW");
  expect(await page.evaluate(() => localStorage.getItem("keyhole.lang"))).toBe("zh-TW");

  await signInWith(page, ZH.signInWith);
  await expect(page.getByRole("heading", { name: ZH.dashboardTitle })).toBeVisible();
  await expect(page.getByRole("button", { name: ZH.refreshBalance })).toBeVisible();
  await expect(page.getByRole("region", { name: "餘額" })).toContainText(ZH.balance);
  await expectNoSeriousAxeViolations(page);
  await saveScreenshot(page, "dashboard.zh-TW");

  // Back to English on the dashboard, without reloading anything.
  await languageMenu(page).selectOption({ label: "English" });
  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Balance" })).toContainText(
    `Balance: ${WANG_XIAOMING.aihubmixBalance}`,
  );
  await page.reload();
  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();
});
