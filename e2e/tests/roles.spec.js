// What each role sees after signing in.
const { test, expect } = require('@playwright/test');
const { users, expectPath, mainNav, heading, signIn } = require('./helpers');

test('admin lands in the admin area and can list members', async ({ page }) => {
  await signIn(page, users.admin);
  await expectPath(page, '/admin');
  await expect(heading(page)).toHaveText('Admin');

  const nav = mainNav(page);
  await expect(nav.getByRole('link', { name: 'Portal', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Agent console', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Admin', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Switch workspace', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();

  const response = await page.goto('/admin/members');
  expect(response.status()).toBe(200);
  await expect(heading(page)).toHaveText('Members');

  const table = page.getByRole('table');
  await expect(table).toBeVisible();
  const requesterRow = table.getByRole('row').filter({ hasText: users.requester });
  await expect(requesterRow).toHaveCount(1);
  await expect(requesterRow.getByRole('cell', { name: /^requester$/i })).toHaveCount(1);
  const adminRow = table.getByRole('row').filter({ hasText: users.admin });
  await expect(adminRow).toHaveCount(1);
  await expect(adminRow.getByRole('cell', { name: /^admin$/i })).toHaveCount(1);
  const agentRow = table.getByRole('row').filter({ hasText: users.agent });
  await expect(agentRow).toHaveCount(1);
  await expect(agentRow.getByRole('cell', { name: /^agent$/i })).toHaveCount(1);
});

test('requester lands on the portal and is denied the admin area', async ({ page }) => {
  await signIn(page, users.requester);
  await expectPath(page, '/portal');
  await expect(heading(page)).toHaveText('Portal');

  const nav = mainNav(page);
  await expect(nav.getByRole('link', { name: 'Portal', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Agent console', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Switch workspace', exact: true })).toHaveCount(0);

  const response = await page.goto('/admin');
  expect(response.status()).toBe(403);
  await expect(heading(page)).toHaveText('Access denied');

  // The admin sub-pages are guarded too.
  const members = await page.goto('/admin/members');
  expect(members.status()).toBe(403);
  await expect(heading(page)).toHaveText('Access denied');
  await expect(page.getByText(users.admin)).toHaveCount(0);
});

test('agent with two workspaces chooses one and can switch', async ({ page }) => {
  await signIn(page, users.agent);
  await expectPath(page, '/tenants');
  await expect(heading(page)).toHaveText('Choose a workspace');
  await expect(page.getByRole('button', { name: 'Acme Corp', exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Globex', exact: true })).toBeVisible();

  // In Globex the agent is only a requester.
  await page.getByRole('button', { name: 'Globex', exact: true }).click();
  await expectPath(page, '/portal');
  await expect(heading(page)).toHaveText('Portal');
  let nav = mainNav(page);
  await expect(nav.getByRole('link', { name: 'Portal', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Agent console', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);

  // The role is enforced by the server, not only hidden in the menu.
  const denied = await page.goto('/agent');
  expect(denied.status()).toBe(403);
  await page.goto('/portal');

  // Switch to Acme Corp, where the agent is an agent.
  nav = mainNav(page);
  await nav.getByRole('link', { name: 'Switch workspace', exact: true }).click();
  await expect(heading(page)).toHaveText('Choose a workspace');
  await page.getByRole('button', { name: 'Acme Corp', exact: true }).click();
  await expectPath(page, '/agent');
  await expect(heading(page)).toHaveText('Agent console');
  nav = mainNav(page);
  await expect(nav.getByRole('link', { name: 'Agent console', exact: true })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Switch workspace', exact: true })).toBeVisible();
});
