import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { signInWithAihubmix } from "./fixtures/login";
import { SignInPage } from "./fixtures/sign_in_page";
import { resetSimulator } from "./fixtures/sim";
import { WANG_XIAOMING } from "./fixtures/sim_users";

test.beforeEach(async ({ request }) => {
  await resetSimulator(request);
});

for (const colorScheme of ["light", "dark"] as const) {
  test(`sign-in and dashboard have no axe violations (${colorScheme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });

    const signIn = new SignInPage(page);
    await signIn.goto();
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);

    await signInWithAihubmix(page, WANG_XIAOMING);
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  });
}
