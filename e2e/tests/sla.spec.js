// SLA in the browser: agents see the SLA state of the demo tickets and the SLA panel of
// a ticket; admins find the demo business calendar and the P1–P4 policies.
const { test, expect } = require('@playwright/test');
const { users, expectPath, heading, signIn } = require('./helpers');

const STATES = /^(On track|Due soon|Breached|Paused|Met)$/;

/** Signs the agent in and chooses Acme Corp (the agent also belongs to Globex). */
async function signInAgent(page) {
  await signIn(page, users.agent);
  await expectPath(page, '/tenants');
  await page.getByRole('button', { name: 'Acme Corp', exact: true }).click();
  await expectPath(page, '/agent');
  await expect(heading(page)).toHaveText('Agent console');
}

test('agent sees SLA badges on the demo tickets and the SLA panel of one', async ({ page }) => {
  await signInAgent(page);
  const table = page.locator('table[data-ticket-list]');
  await expect(table.getByRole('columnheader', { name: 'SLA', exact: true })).toBeVisible();

  // Every badge says its state in words, not by colour alone.
  const badges = table.locator('.sla');
  await expect(badges.first()).toBeVisible();
  const count = await badges.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i += 1) {
    await expect(badges.nth(i)).toHaveText(STATES);
  }

  // The filter and the sort are plain form controls.
  await page.getByLabel('Sort by', { exact: true }).selectOption('due');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(page).toHaveURL(/sort=due/);
  await expect(page.getByLabel('Sort by', { exact: true })).toHaveValue('due');
  await page.getByLabel('SLA', { exact: true }).selectOption('breached');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(page).toHaveURL(/sla=breached/);
  const breached = page.locator('table[data-ticket-list] .sla');
  const shown = await breached.count();
  for (let i = 0; i < shown; i += 1) {
    await expect(breached.nth(i)).toHaveText('Breached');
  }

  // The ticket page explains the deadlines.
  await page.goto('/agent');
  const row = page.locator('table[data-ticket-list] tr[data-row]').filter({ has: page.locator('.sla') }).first();
  await row.locator('a[data-open]').click();
  const panel = page.getByRole('region', { name: 'SLA' });
  await expect(panel).toBeVisible();
  await expect(panel.getByText('Policy', { exact: true })).toBeVisible();
  await expect(panel.getByRole('rowheader', { name: 'First response' })).toBeVisible();
  await expect(panel.getByRole('rowheader', { name: 'Resolution' })).toBeVisible();

  // The bell is in the header with a number.
  const bell = page.getByRole('link', { name: /^Notifications \d+ unread$/ });
  await expect(bell).toBeVisible();
  await bell.click();
  await expectPath(page, '/notifications');
  await expect(heading(page)).toHaveText('Notifications');
});

test('admin sees the demo calendar and the P1–P4 policies', async ({ page }) => {
  await signIn(page, users.admin);
  await expectPath(page, '/admin');
  await page.getByRole('link', { name: 'SLA calendars and policies', exact: true }).click();
  await expectPath(page, '/admin/sla');
  await expect(heading(page)).toHaveText('SLA calendars and policies');

  const calendars = page.getByRole('table', { name: 'Business calendars' });
  await expect(calendars.getByRole('link', { name: 'Business hours', exact: true })).toBeVisible();

  const policies = page.getByRole('table', { name: 'SLA policies in match order' });
  for (const name of [/^P1 – Critical$/, /^P2 – /, /^P3 – /, /^P4 – Low$/]) {
    await expect(policies.getByRole('link', { name })).toHaveCount(1);
  }
  // Listed in match order: P1 before P4.
  const names = await policies.locator('tbody th a').allTextContents();
  const p1 = names.findIndex((n) => n.startsWith('P1'));
  const p4 = names.findIndex((n) => n.startsWith('P4'));
  expect(p1).toBeGreaterThanOrEqual(0);
  expect(p1).toBeLessThan(p4);

  // The calendar opens in its weekly grid.
  await calendars.getByRole('link', { name: 'Business hours', exact: true }).click();
  await expect(heading(page)).toHaveText('Calendar Business hours');
  await expect(page.getByRole('group', { name: 'Opening hours' })).toBeVisible();
  await expect(page.getByLabel('Monday opens', { exact: true })).not.toHaveValue('');

  // Dead jobs are one click away.
  await page.goto('/admin');
  await page.getByRole('link', { name: 'Failed background jobs', exact: true }).click();
  await expect(heading(page)).toHaveText('Failed background jobs');
});
