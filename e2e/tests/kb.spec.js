// Knowledge base and search in the browser: requesters read and rate help articles, find
// them despite typos, and get suggestions while reporting an issue; agents write, preview
// and publish articles; admins manage synonyms and see the search statistics.
//
// The workspace the tests run against (see .ci/run, step_e2e) is not the `--demo` tenant:
// it has no articles and no synonyms. Each test therefore writes the articles it needs
// through the editor, with a random word in them that no other article contains, and
// searches for that word, so that results from earlier runs or other tests never get in
// the way (a tenant seeded with the demo articles would not disturb them either).
const { randomInt } = require('crypto');
const { test, expect } = require('@playwright/test');
const { users, pathOf, expectPath, heading, signIn } = require('./helpers');

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A random made-up word of ten consonants: no dictionary word, stop word or ticket number,
 * and (in all likelihood) not within the two typos that search forgives of any other word.
 */
function uniqueWord() {
  const letters = 'bcdfghjklmnpqrstvwxz';
  let w = '';
  for (let i = 0; i < 10; i += 1) w += letters[randomInt(letters.length)];
  return w;
}

/** Signs the agent in and chooses Acme Corp (the agent also belongs to Globex). */
async function signInAgent(page) {
  await signIn(page, users.agent);
  await expectPath(page, '/tenants');
  await page.getByRole('button', { name: 'Acme Corp', exact: true }).click();
  await expectPath(page, '/agent');
  await expect(heading(page)).toHaveText('Agent console');
}

async function signInRequester(page) {
  await signIn(page, users.requester);
  await expectPath(page, '/portal');
  await expect(heading(page)).toHaveText('Portal');
}

/** Every visible form control in the page's main part has a label. */
async function expectLabelled(page) {
  const controls = page.locator(
    'main input:not([type="hidden"]):not([type="submit"]):not([type="button"]), main select, main textarea',
  );
  const count = await controls.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i += 1) {
    const info = await controls.nth(i).evaluate((el) => ({
      id: el.id || el.name || el.outerHTML,
      labelled:
        (el.labels && el.labels.length > 0) ||
        !!el.getAttribute('aria-label') ||
        !!el.getAttribute('aria-labelledby'),
    }));
    expect(info.labelled, `control ${info.id} has no label`).toBe(true);
  }
}

/**
 * Writes an article in the editor (the page must belong to an agent or admin) and
 * returns its id.
 */
async function createArticle(
  page,
  { title, body, category = '', tags = '', visibility = 'public', status = 'published' },
) {
  await page.goto('/agent/kb/new');
  await expect(heading(page)).toHaveText('New article');
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Category', { exact: true }).fill(category);
  await page.getByLabel('Tags', { exact: true }).fill(tags);
  await page.getByLabel('Who may read it', { exact: true }).selectOption(visibility);
  await page.getByLabel('Status', { exact: true }).selectOption(status);
  await page.getByLabel('Text', { exact: true }).fill(body);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(heading(page)).toHaveText('Edit article');
  const id = pathOf(page).replace('/agent/kb/', '');
  expect(id).toMatch(ID);
  return id;
}

/** Reports an issue in the portal as whoever is signed in on `page`. */
async function reportIssue(page, subject) {
  await page.goto('/portal/new');
  await expect(heading(page)).toHaveText('Report an issue');
  await page.getByLabel('Subject', { exact: true }).fill(subject);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(heading(page)).toHaveText(subject);
}

/**
 * Waits until a search for `q` by the user of `page` finds `count` documents. The index
 * follows the database asynchronously (changes are searchable within about a second), so
 * this polls instead of sleeping. It asks the JSON API with `record=false`, the way search
 * as you type does, so the misses while waiting are not logged as searches that found
 * nothing.
 */
async function waitUntilSearchable(page, q, count, timeout = 5_000) {
  await expect
    .poll(
      async () => {
        const r = await page.request.get(
          `/v1/search?record=false&limit=50&q=${encodeURIComponent(q)}`,
          { headers: { Accept: 'application/json' } },
        );
        expect(r.status()).toBe(200);
        return (await r.json()).total;
      },
      { message: `search for "${q}" finds ${count} documents`, timeout, intervals: [100, 200, 300] },
    )
    .toBe(count);
}

/** The server-rendered results of a search page (not the search-as-you-type box). */
function results(page) {
  return page.locator('main > ol.results > li');
}

/** The figures of the "Deflection (30 days)" card of the admin's search page. */
async function deflectionFigures(page) {
  await page.goto('/admin/search');
  const text = await page
    .getByRole('region', { name: 'Deflection (30 days)' })
    .getByText(/^Of \d+ issue reports/)
    .textContent();
  const m = text.match(
    new RegExp(
      '^Of (\\d+) issue reports where articles were suggested, (\\d+) were sent anyway; ' +
        'on (\\d+) the requester opened an article and did not report\\.$',
    ),
  );
  expect(m, `deflection text: ${text}`).not.toBeNull();
  return { shown: Number(m[1]), submitted: Number(m[2]), opened: Number(m[3]) };
}

test('requester reads a help article and says whether it helped, without JavaScript', async ({
  browser,
}) => {
  const word = uniqueWord();
  const title = `Connect to the VPN from home ${word}`;

  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAgent(agent);
  const id = await createArticle(agent, {
    title,
    category: 'Network',
    tags: 'vpn, remote work',
    body:
      `You need the VPN (${word}) to reach file shares from outside the office.\n\n` +
      '1. Install **GlobalConnect** from the Company Portal.\n' +
      '2. Enter the gateway `vpn.example.com`.\n',
  });

  // The portal is server-rendered: reading and voting work with scripts turned off.
  const requesterContext = await browser.newContext({ javaScriptEnabled: false });
  const requester = await requesterContext.newPage();
  await signInRequester(requester);
  await requester.getByRole('link', { name: 'Help articles', exact: true }).click();
  await expectPath(requester, '/portal/kb');
  await expect(heading(requester)).toHaveText('Help articles');
  await expect(requester.getByLabel('Search the help articles', { exact: true })).toBeVisible();
  // Newest first, so the article just published is on the first page of the list.
  await requester.getByRole('link', { name: title, exact: true }).click();
  await expectPath(requester, `/portal/kb/${id}`);

  // The Markdown body is rendered: a numbered list with bold text and code.
  const article = requester.getByRole('article');
  await expect(article.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(article.getByText(/^Network · Updated \d{4}-\d{2}-\d{2}$/)).toBeVisible();
  await expect(article.getByText(/· Internal$/)).toHaveCount(0);
  const steps = article.getByRole('listitem');
  await expect(steps).toHaveCount(2);
  await expect(steps.first()).toHaveText('Install GlobalConnect from the Company Portal.');
  await expect(steps.first().locator('strong')).toHaveText('GlobalConnect');
  await expect(steps.nth(1).locator('code')).toHaveText('vpn.example.com');
  // Requesters get no link to the editor.
  await expect(requester.getByRole('link', { name: 'Edit this article' })).toHaveCount(0);

  // "Was this helpful?" — the vote is acknowledged and counted.
  const helpful = requester.getByRole('region', { name: 'Was this helpful?' });
  await expect(helpful.getByText(/^0 found this helpful · 1 views$/)).toBeVisible();
  await expect(helpful.getByRole('status')).toHaveCount(0);
  await helpful.getByRole('button', { name: 'Yes', exact: true }).click();
  await expect(requester).toHaveURL(new RegExp(`/portal/kb/${id}\\?voted=1$`));
  await expect(helpful.getByRole('status')).toHaveText('Thank you for your feedback.');
  await expect(helpful.getByText(/^1 found this helpful · \d+ views$/)).toBeVisible();

  // One answer per person: answering again replaces the first one.
  await helpful.getByRole('button', { name: 'No', exact: true }).click();
  await expect(helpful.getByRole('status')).toHaveText('Thank you for your feedback.');
  await expect(helpful.getByText(/^0 found this helpful · \d+ views$/)).toBeVisible();

  // The agent sees the figures in the article list and the editor.
  await agent.goto('/agent/kb');
  const row = agent
    .getByRole('row')
    .filter({ has: agent.getByRole('link', { name: title, exact: true }) });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('cell').nth(0)).toHaveText('published');
  await expect(row.getByRole('cell').nth(1)).toHaveText('public');
  await expect(row.getByRole('cell').nth(3)).toHaveText('0 / 1');
  await row.getByRole('link', { name: title, exact: true }).click();
  await expect(agent.getByText(/^\d+ views · 0 found it helpful, 1 did not\.$/)).toBeVisible();

  await requesterContext.close();
  await agentContext.close();
});

test('search forgives a typo, highlights matches and shows requesters only what is theirs', async ({
  browser,
}) => {
  const word = uniqueWord();
  const publicTitle = `Reset your password ${word}`;
  const internalTitle = `Password vault for the service desk ${word}`;
  const agentTicket = `Password expired on the build server ${word}`;
  const requesterTicket = `My password stopped working ${word}`;

  // An agent writes a public and an internal article and reports an issue of their own.
  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAgent(agent);
  const publicId = await createArticle(agent, {
    title: publicTitle,
    category: 'Accounts',
    tags: 'password, locked',
    body: `Forgot your password? Use the self-service page ${word} and choose a new password.`,
  });
  const internalId = await createArticle(agent, {
    title: internalTitle,
    category: 'Accounts',
    visibility: 'internal',
    body: `The password vault ${word} holds the break-glass accounts. Agents only.`,
  });
  await reportIssue(agent, agentTicket);

  // The requester reports an issue too.
  const requesterContext = await browser.newContext();
  const requester = await requesterContext.newPage();
  await signInRequester(requester);
  await reportIssue(requester, requesterTicket);

  // Agents find all four documents once they are indexed.
  await waitUntilSearchable(agent, word, 4);

  // Search as you type (JavaScript): the article shows up under the box before submitting.
  const query = `pasword ${word}`;
  await requester.goto('/portal');
  await requester.getByRole('link', { name: 'Search', exact: true }).click();
  await expectPath(requester, '/portal/search');
  await expect(heading(requester)).toHaveText('Search');
  await expectLabelled(requester);
  const box = requester.getByLabel('Tickets and articles', { exact: true });
  await box.fill(query);
  const live = requester.getByRole('search').locator('[aria-live]');
  await expect(live.getByRole('link', { name: publicTitle, exact: true })).toBeVisible();

  // The submitted search: "pasword" (one letter missing) finds "password".
  await box.press('Enter');
  await expect(requester).toHaveURL(/\/portal\/search\?q=/);
  await expect(requester.getByRole('heading', { level: 2 })).toHaveText('2 results');
  const found = results(requester);
  await expect(found).toHaveCount(2);
  const articleHit = found.filter({
    has: requester.getByRole('link', { name: publicTitle, exact: true }),
  });
  await expect(articleHit).toHaveCount(1);
  await expect(articleHit.getByRole('link')).toHaveAttribute('href', `/portal/kb/${publicId}`);
  await expect(articleHit.getByText('Article · published', { exact: true })).toBeVisible();
  // Matches are highlighted in the title and in the snippet, the typo included.
  await expect(articleHit.getByRole('link').locator('mark').first()).toHaveText(/^password$/i);
  const snippetMarks = articleHit.locator('p.snippet mark');
  await expect(snippetMarks.filter({ hasText: /^password$/i }).first()).toBeVisible();
  await expect(snippetMarks.filter({ hasText: word }).first()).toBeVisible();
  // The requester's own ticket is found …
  const ticketHit = found.filter({ hasText: requesterTicket });
  const ticketLink = ticketHit.getByRole('link', {
    name: new RegExp(`^INC-\\d{6} · ${requesterTicket}$`),
  });
  await expect(ticketLink).toBeVisible();
  await expect(ticketLink).toHaveAttribute('href', /^\/portal\/tickets\/[0-9a-f-]{36}$/);
  // … but neither the internal article nor another person's ticket.
  await expect(requester.getByText(internalTitle)).toHaveCount(0);
  await expect(requester.getByText(agentTicket)).toHaveCount(0);

  // The search box of the help articles looks at articles only.
  await requester.goto('/portal/kb');
  await expectLabelled(requester);
  await requester.getByLabel('Search the help articles', { exact: true }).fill(query);
  await requester.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(requester.getByRole('heading', { level: 2 })).toHaveText(`1 result for “${query}”`);
  await expect(results(requester)).toHaveCount(1);
  await expect(results(requester).getByRole('link', { name: publicTitle, exact: true })).toBeVisible();
  await expect(results(requester).locator('mark').first()).toBeVisible();

  // Opening the internal article directly does not work for a requester either.
  const direct = await requester.goto(`/portal/kb/${internalId}`);
  expect(direct.status()).toBe(404);
  await expect(requester.getByText(internalTitle)).toHaveCount(0);

  // The agent's search finds both articles and both tickets, with links to the console.
  await agent.goto(`/agent/search?q=${encodeURIComponent(query)}`);
  await expect(agent.getByRole('heading', { level: 2 })).toHaveText('4 results');
  const agentFound = results(agent);
  await expect(agentFound).toHaveCount(4);
  await expect(agentFound.getByRole('link', { name: publicTitle, exact: true })).toHaveAttribute(
    'href',
    `/agent/kb/${publicId}`,
  );
  await expect(agentFound.getByRole('link', { name: internalTitle, exact: true })).toHaveAttribute(
    'href',
    `/agent/kb/${internalId}`,
  );
  for (const subject of [agentTicket, requesterTicket]) {
    await expect(
      agentFound.getByRole('link', { name: new RegExp(`^INC-\\d{6} · ${subject}$`) }),
    ).toHaveAttribute('href', /^\/agent\/tickets\/[0-9a-f-]{36}$/);
  }

  await requesterContext.close();
  await agentContext.close();
});

test('agent writes, previews and publishes an article, searchable within seconds', async ({ page }) => {
  const word = uniqueWord();
  const title = `Badge does not open the door ${word}`;
  const body =
    `Badges (${word}) stop working after 90 days without use.\n\n` +
    '1. **Tap** the badge on the reader at reception.\n' +
    '2. Wait for the green light, then try the door again.\n';

  await signInAgent(page);
  await page.getByRole('link', { name: 'Knowledge base', exact: true }).click();
  await expectPath(page, '/agent/kb');
  await expect(heading(page)).toHaveText('Knowledge base');
  await page.getByRole('link', { name: 'New article', exact: true }).click();
  await expectPath(page, '/agent/kb/new');
  await expect(heading(page)).toHaveText('New article');
  await expectLabelled(page);

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Category', { exact: true }).fill('Facilities');
  await page.getByLabel('Tags', { exact: true }).fill('badge, door');
  await expect(page.getByLabel('Who may read it', { exact: true })).toHaveValue('public');
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('draft');
  await page.getByLabel('Text', { exact: true }).fill(body);

  // Preview renders the Markdown without saving and keeps what was typed.
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview).toBeVisible();
  await expect(preview.getByRole('listitem')).toHaveCount(2);
  await expect(preview.locator('strong')).toHaveText('Tap');
  await expect(heading(page)).toHaveText('New article');
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue(title);
  await expect(page.getByLabel('Tags', { exact: true })).toHaveValue('badge, door');
  await expect(page.getByLabel('Text', { exact: true })).toHaveValue(body);

  // Saved as a draft first: it is listed under Drafts.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(heading(page)).toHaveText('Edit article');
  const id = pathOf(page).replace('/agent/kb/', '');
  expect(id).toMatch(ID);
  const versions = page.getByRole('region', { name: 'Versions' }).getByRole('listitem');
  await expect(versions).toHaveCount(1);
  await expect(versions.first()).toHaveText(/^Version 1 · draft · /);
  await page.goto('/agent/kb');
  await page
    .getByRole('navigation', { name: 'Article status' })
    .getByRole('link', { name: 'Drafts', exact: true })
    .click();
  await expect(page).toHaveURL(/\/agent\/kb\?status=draft$/);
  const row = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: title, exact: true }) });
  await expect(row.getByRole('cell').first()).toHaveText('draft');

  // Publish it.
  await row.getByRole('link', { name: title, exact: true }).click();
  await expectPath(page, `/agent/kb/${id}`);
  await page.getByLabel('Status', { exact: true }).selectOption('published');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(heading(page)).toHaveText('Edit article');
  await expect(page.getByLabel('Status', { exact: true })).toHaveValue('published');
  await expect(versions).toHaveCount(2);
  await expect(versions.first()).toHaveText(/^Version 2 · published · /);

  // Freshness: the index follows the database asynchronously and the published article
  // should be searchable within about a second. Poll for at most 5 seconds (slack for a
  // debug build on a busy CI machine) instead of sleeping for a fixed time.
  await waitUntilSearchable(page, word, 1);

  // Then it is found through the search page, highlighted, with a link to the editor.
  await page.goto('/agent');
  await page.getByRole('link', { name: 'Search', exact: true }).click();
  await expectPath(page, '/agent/search');
  await page.getByLabel('Tickets and articles', { exact: true }).fill(`badge ${word}`);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('1 result');
  const hit = results(page);
  await expect(hit).toHaveCount(1);
  await expect(hit.getByText('Article · published', { exact: true })).toBeVisible();
  await expect(hit.getByRole('link').locator('mark').first()).toHaveText(/^badge$/i);
  await hit.getByRole('link', { name: title, exact: true }).click();
  await expectPath(page, `/agent/kb/${id}`);

  // Readers see the published text.
  await page.getByRole('link', { name: 'View as a reader', exact: true }).click();
  await expectPath(page, `/portal/kb/${id}`);
  await expect(page.getByRole('article').getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.getByRole('article').locator('strong')).toHaveText('Tap');
  await expect(page.getByRole('link', { name: 'Edit this article', exact: true })).toBeVisible();
});

test('the report form suggests matching articles while the subject is typed', async ({ browser }) => {
  const word = uniqueWord();
  const title = `VPN client ${word} is not connecting`;

  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signInAgent(agent);
  const id = await createArticle(agent, {
    title,
    category: 'Network',
    tags: 'vpn',
    body: `If the ${word} client keeps connecting and disconnecting, restart your home router.`,
  });
  await waitUntilSearchable(agent, word, 1);

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, users.admin);
  await expectPath(admin, '/admin');
  const before = await deflectionFigures(admin);

  const requesterContext = await browser.newContext();
  const requester = await requesterContext.newPage();
  await signInRequester(requester);
  await requester.getByRole('link', { name: 'Report an issue', exact: true }).click();
  await expectPath(requester, '/portal/new');
  await expect(heading(requester)).toHaveText('Report an issue');

  // Typing the subject fires the script's input handler; the suggestions appear under it.
  const subject = `${word} vpn not connecting`;
  await requester.getByLabel('Subject', { exact: true }).fill(subject);
  const suggestions = requester.locator('#suggestions');
  await expect(
    suggestions.getByRole('heading', { level: 2, name: 'These articles may help' }),
  ).toBeVisible();
  const link = suggestions.getByRole('link', { name: title, exact: true });
  await expect(link).toBeVisible();
  await expect(link.locator('mark').first()).toBeVisible();
  await expect(link).toHaveAccessibleDescription(
    'Articles open in a new tab, so this form keeps what you typed.',
  );
  // The suggestions are recorded, so that what follows can be counted.
  await expect(requester.locator('input[data-deflection]')).toHaveValue(ID);

  // The article opens in a new tab and the form keeps the subject.
  const [tab] = await Promise.all([requesterContext.waitForEvent('page'), link.click()]);
  await tab.waitForLoadState();
  expect(pathOf(tab)).toBe(`/portal/kb/${id}`);
  expect(new URL(tab.url()).searchParams.get('d')).toMatch(ID);
  await expect(tab.getByRole('article').getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(requester.getByLabel('Subject', { exact: true })).toHaveValue(subject);

  // The admin's deflection figures count the suggestions and the opened article.
  const opened = await deflectionFigures(admin);
  expect(opened.shown).toBe(before.shown + 1);
  expect(opened.opened).toBe(before.opened + 1);
  expect(opened.submitted).toBe(before.submitted);

  // The article did not help after all: the report is sent anyway, and the same record
  // now counts as submitted rather than opened.
  await requester.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(heading(requester)).toHaveText(subject);
  const submitted = await deflectionFigures(admin);
  expect(submitted.shown).toBe(before.shown + 1);
  expect(submitted.opened).toBe(before.opened);
  expect(submitted.submitted).toBe(before.submitted + 1);

  await requesterContext.close();
  await adminContext.close();
  await agentContext.close();
});

test('admin sees the search settings and adds a synonym that finds an article', async ({ page }) => {
  const article = uniqueWord();
  const alias = uniqueWord();
  const title = `Order a ${article} for the meeting room`;

  await signIn(page, users.admin);
  await expectPath(page, '/admin');
  await page.getByRole('link', { name: 'Search and knowledge base', exact: true }).click();
  await expectPath(page, '/admin/search');
  await expect(heading(page)).toHaveText('Search and knowledge base');

  // Every part of the page is there.
  const synonymsCard = page.getByRole('region', { name: 'Synonyms' });
  const synonyms = synonymsCard.getByLabel('Words and phrases that mean the same', { exact: true });
  await expect(synonyms).toBeVisible();
  await expect(page.getByRole('region', { name: 'Searches that found nothing' })).toBeVisible();
  await expect(
    page.getByRole('region', { name: 'Deflection (30 days)' }).getByText(/^\d+ %$/),
  ).toBeVisible();
  const indexCard = page.getByRole('region', { name: 'Search index of this server' });
  const indexTable = indexCard.getByRole('table', {
    name: 'Documents in the database and in the index',
  });
  await expect(indexTable.getByRole('rowheader', { name: 'Tickets', exact: true })).toBeVisible();
  await expect(indexTable.getByRole('rowheader', { name: 'Articles', exact: true })).toBeVisible();
  await expectLabelled(page);
  const original = await synonyms.inputValue();

  // Admins may write articles too. This one does not contain the alias.
  await createArticle(page, { title, category: 'Facilities', body: `Ask reception for a ${article}.` });
  await waitUntilSearchable(page, article, 1);

  // A submitted search for the alias finds nothing and is listed for the admin.
  await page.goto(`/agent/search?q=${alias}`);
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('0 results');
  await expect(
    page.getByText(`Nothing found for “${alias}”. Check the spelling or use fewer words.`),
  ).toBeVisible();
  await page.goto('/admin/search');
  const zero = page
    .getByRole('region', { name: 'Searches that found nothing' })
    .getByRole('table', { name: 'Most frequent searches without results' });
  const zeroRow = zero
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: alias, exact: true }) });
  await expect(zeroRow).toHaveCount(1);
  await expect(zeroRow.getByRole('cell').first()).toHaveText('1');

  // A group with one phrase is refused, with the error tied to the field.
  await synonyms.fill(`${original}\n${alias}`.trim());
  await synonymsCard.getByRole('button', { name: 'Save synonyms', exact: true }).click();
  await expect(synonymsCard.getByRole('alert')).toBeVisible();
  await expect(synonyms).toHaveAttribute('aria-invalid', 'true');
  await expect(synonyms).toHaveValue(`${original}\n${alias}`.trim());

  // The alias and the article's word become synonyms.
  const line = `${alias}, ${article}`;
  await synonyms.fill(`${original}\n${line}`.trim());
  await synonymsCard.getByRole('button', { name: 'Save synonyms', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/search\?done=synonyms$/);
  await expect(page.getByRole('status')).toHaveText(
    'The synonyms were saved; they apply to the next search.',
  );
  await expect(synonyms).toHaveValue(new RegExp(`(^|\\n)${line}(\\n|$)`));

  // From the next search on, the alias finds the article.
  await page.goto(`/agent/search?q=${alias}`);
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('1 result');
  await expect(results(page).getByRole('link', { name: title, exact: true })).toBeVisible();
  await expect(results(page).getByRole('link').locator('mark')).toHaveText(article);

  // Reindexing rebuilds this workspace and reports matching counts.
  await page.goto('/admin/search');
  await indexCard.getByRole('button', { name: 'Reindex this workspace', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^Reindexed: (\d+) of \1 tickets and (\d+) of \2 articles are in the index\.$/,
  );
  for (const kind of ['Tickets', 'Articles']) {
    const cells = indexTable
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: kind, exact: true }) })
      .getByRole('cell');
    await expect(cells.nth(0)).toHaveText(/^\d+$/);
    await expect(cells.nth(1)).toHaveText((await cells.nth(0).textContent()).trim());
  }
  // The synonym still works after the rebuild.
  await page.goto(`/agent/search?q=${alias}`);
  await expect(results(page).getByRole('link', { name: title, exact: true })).toBeVisible();

  // Leave the synonyms as they were.
  await page.goto('/admin/search');
  await synonyms.fill(original);
  await synonymsCard.getByRole('button', { name: 'Save synonyms', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText(
    'The synonyms were saved; they apply to the next search.',
  );
  await expect(synonyms).toHaveValue(original);
});
