// Tickets end to end: a requester reports an issue with a file, an agent replies and
// adds an internal note, the requester sees the reply (not the note) and downloads the file.
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { users, expectPath, heading, signIn } = require('./helpers');

const fixture = path.join(__dirname, 'fixtures', 'printer-log.txt');

/** Signs the agent in and chooses Acme Corp (the agent also belongs to Globex). */
async function signInAgent(page) {
  await signIn(page, users.agent);
  await expectPath(page, '/tenants');
  await page.getByRole('button', { name: 'Acme Corp', exact: true }).click();
  await expectPath(page, '/agent');
  await expect(heading(page)).toHaveText('Agent console');
}

/** Every visible form control on the page has a label. */
async function expectLabelled(page) {
  const controls = page.locator(
    'main input:not([type="hidden"]):not([type="submit"]):not([type="button"]), main select, main textarea',
  );
  const count = await controls.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i += 1) {
    const c = controls.nth(i);
    const info = await c.evaluate((el) => ({
      id: el.id || el.name || el.outerHTML,
      labelled:
        (el.labels && el.labels.length > 0) ||
        !!el.getAttribute('aria-label') ||
        !!el.getAttribute('aria-labelledby'),
    }));
    expect(info.labelled, `control ${info.id} has no label`).toBe(true);
  }
}

/** The requester reports an incident with the fixture attached; returns its page URL. */
async function reportIssue(page, subject) {
  await signIn(page, users.requester);
  await expectPath(page, '/portal');
  await expect(heading(page)).toHaveText('Portal');
  await expect(page.getByRole('heading', { level: 2, name: 'My tickets' })).toBeVisible();
  await page.getByRole('link', { name: 'Report an issue', exact: true }).click();
  await expectPath(page, '/portal/new');
  await expect(heading(page)).toHaveText('Report an issue');
  await expectLabelled(page);

  await page.getByLabel('Something is broken', { exact: true }).check();
  await page.getByLabel('Subject', { exact: true }).fill(subject);
  await page
    .getByLabel('Description', { exact: true })
    .fill('The printer on floor 3 jams on every page.');
  await page.getByLabel('How many people are affected?', { exact: true }).selectOption('medium');
  await page.getByLabel('How urgent is it?', { exact: true }).selectOption('high');
  await page.getByLabel('Attachment', { exact: true }).setInputFiles(fixture);
  await page.getByRole('button', { name: 'Send', exact: true }).click();

  await expect(heading(page)).toHaveText(subject);
  expect(new URL(page.url()).pathname).toMatch(/^\/portal\/tickets\/[0-9a-f-]{36}$/);
  await expect(page.getByText(/^INC-\d{6}$/)).toBeVisible();
  await expect(page.getByRole('link', { name: 'printer-log.txt', exact: true })).toBeVisible();
  return page.url();
}

test('an incident with a file, a reply and an internal note', async ({ browser }) => {
  const subject = `Printer jams ${Date.now()}`;
  const reply = 'We are looking into it';
  const note = 'Checked the logs';

  // The requester reports the issue.
  const requesterContext = await browser.newContext({ acceptDownloads: true });
  const requester = await requesterContext.newPage();
  const ticketUrl = await reportIssue(requester, subject);

  // The agent finds it in the console and answers.
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAgent(agent);
  await agent.getByLabel('Search', { exact: true }).fill(subject);
  await agent.getByRole('button', { name: 'Apply', exact: true }).click();
  const row = agent.getByRole('row').filter({ hasText: subject });
  await expect(row).toHaveCount(1);
  await expect(row.getByText('New', { exact: true })).toBeVisible();
  await row.getByRole('link', { name: /^INC-\d{6}$/ }).click();
  await expect(heading(agent)).toHaveText(subject);
  await expectLabelled(agent);

  await agent.getByLabel('Message', { exact: true }).fill(reply);
  await agent.getByRole('button', { name: 'Send reply', exact: true }).click();
  await expect(heading(agent)).toHaveText(subject);
  const conversation = agent.locator('#conversation');
  await expect(conversation.getByText(reply, { exact: true })).toBeVisible();

  await agent.getByLabel('Message', { exact: true }).fill(note);
  await agent.getByRole('button', { name: 'Add internal note', exact: true }).click();
  await expect(heading(agent)).toHaveText(subject);
  const noteItem = conversation.getByRole('listitem').filter({ hasText: note });
  await expect(noteItem).toHaveCount(1);
  await expect(noteItem.getByText('Internal note', { exact: true })).toBeVisible();
  // A public reply opened the ticket.
  await expect(agent.locator('.facts').getByText('Open', { exact: true })).toBeVisible();

  // The requester sees the reply but not the note, and downloads the file.
  await requester.goto(ticketUrl);
  await expect(heading(requester)).toHaveText(subject);
  await expect(requester.getByText(reply, { exact: true })).toBeVisible();
  await expect(requester.getByText(note)).toHaveCount(0);
  await expect(requester.getByText('Internal note')).toHaveCount(0);

  const [download] = await Promise.all([
    requester.waitForEvent('download'),
    requester.getByRole('link', { name: 'printer-log.txt', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('printer-log.txt');
  const saved = await download.path();
  expect(fs.readFileSync(saved, 'utf8')).toBe(fs.readFileSync(fixture, 'utf8'));

  await requesterContext.close();
  await agentContext.close();
});

test('keyboard shortcuts in the agent console', async ({ page }) => {
  const subject = `Shortcut check ${Date.now()}`;
  await signInAgent(page);
  // Agents may report issues in the portal too; this gives the list a known row.
  await page.goto('/portal/new');
  await page.getByLabel('Subject', { exact: true }).fill(subject);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(heading(page)).toHaveText(subject);
  await page.goto(`/agent?status=active&q=${encodeURIComponent(subject)}`);
  const rows = page.locator('table[data-ticket-list] tbody tr');
  await expect(rows).toHaveCount(1);

  // Without the script the list of shortcuts is still there, in a disclosure.
  await expect(page.getByText('Keyboard shortcuts', { exact: true })).toBeVisible();

  await page.locator('body').press('j');
  await expect(rows.first()).toHaveClass(/is-current/);
  const box = rows.first().locator('input[type="checkbox"]');
  await expect(box).not.toBeChecked();
  await page.keyboard.press('x');
  await expect(box).toBeChecked();
  await page.keyboard.press('x');
  await expect(box).not.toBeChecked();

  // Typing in a field is never taken as a shortcut.
  const search = page.getByLabel('Search', { exact: true });
  await search.fill('');
  await search.pressSequentially('jx');
  await expect(search).toBeFocused();
  await expect(box).not.toBeChecked();
  await page.evaluate(() => document.activeElement && document.activeElement.blur());

  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText('Ticket page: write an internal note')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(dialog).toBeHidden();

  await rows.first().locator('a[data-open]').focus();
  await page.keyboard.press('o');
  await expect(page).toHaveURL(/\/agent\/tickets\/[0-9a-f-]{36}$/);
  await expect(heading(page)).toHaveText(subject);
  const message = page.getByLabel('Message', { exact: true });
  await page.keyboard.press('n');
  await expect(message).toBeFocused();
  await expect(page.locator('#reply-form')).toHaveAttribute('data-mode', 'note');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('r');
  await expect(message).toBeFocused();
  await expect(page.locator('#reply-form')).not.toHaveAttribute('data-mode', 'note');
  // The keys that focused the box were not typed into it.
  await expect(message).toHaveValue('');

  // a: assign to me.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('a');
  await expect(page.locator('.facts').getByText('Alan Agent', { exact: true })).toBeVisible();
});
