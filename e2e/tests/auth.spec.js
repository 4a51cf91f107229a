// Sign-in, sign-out and session handling.
const { test, expect } = require('@playwright/test');
const { users, expectPath, mainNav, heading, signIn, signOut } = require('./helpers');

test.describe('sign-in page', () => {
  test('every input has an associated label', async ({ page }) => {
    const response = await page.goto('/signin');
    expect(response.status()).toBe(200);

    // The two fields are reachable by their visible labels.
    await expect(page.getByLabel('Email', { exact: true })).toHaveAttribute('type', 'email');
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'password');
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();

    // No other user-facing input is left without a label.
    const inputs = page.locator(
      'input:not([type="hidden"]):not([type="submit"]):not([type="button"]):not([type="reset"]), select, textarea',
    );
    const count = await inputs.count();
    expect(count).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < count; i += 1) {
      const input = inputs.nth(i);
      const described = await input.evaluate((el) => ({
        id: el.id || el.name || el.outerHTML,
        labelled:
          (el.labels && el.labels.length > 0) ||
          !!el.getAttribute('aria-label') ||
          !!el.getAttribute('aria-labelledby'),
      }));
      expect(described.labelled, `input ${described.id} has no label`).toBe(true);
    }
  });

  test('wrong password shows an alert and stays on the sign-in page', async ({ page }) => {
    const response = await signIn(page, users.admin, `${users.password}-wrong`);
    expect(response.status()).toBe(401);
    await expectPath(page, '/signin');
    await expect(page.getByRole('alert')).toContainText('Wrong email or password');
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await expect(mainNav(page)).toHaveCount(0);

    // No session was created.
    await page.goto('/portal');
    await expectPath(page, '/signin');
  });

  test('unknown email gets the same answer as a wrong password', async ({ page }) => {
    const response = await signIn(page, 'nobody@acme.test', users.password);
    expect(response.status()).toBe(401);
    await expectPath(page, '/signin');
    await expect(page.getByRole('alert')).toContainText('Wrong email or password');
  });
});

test.describe('sign-out', () => {
  test('signing out ends the session', async ({ page }) => {
    await signIn(page, users.requester);
    await expectPath(page, '/portal');
    await expect(heading(page)).toHaveText('Portal');

    await signOut(page);
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();

    // A signed-out browser is sent back to the sign-in page.
    await page.goto('/portal');
    await expectPath(page, '/signin');
  });

  test('a session cookie is not accepted after signing out', async ({ page, browser }) => {
    await signIn(page, users.requester);
    await expectPath(page, '/portal');
    const cookies = await page.context().cookies();
    expect(cookies.length).toBeGreaterThan(0);

    await signOut(page);

    // Replaying the cookies captured before sign-out must not restore the
    // session: the server has to forget it, not only the browser.
    const replay = await browser.newContext();
    try {
      await replay.addCookies(cookies);
      const other = await replay.newPage();
      await other.goto('/portal');
      await expectPath(other, '/signin');
    } finally {
      await replay.close();
    }
  });
});
