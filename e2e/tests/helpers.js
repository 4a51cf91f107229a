// Shared helpers for the Catalyst browser tests.
const { expect } = require('@playwright/test');

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`environment variable ${name} must be set for the e2e tests`);
  }
  return value;
}

const users = {
  get password() {
    return required('E2E_PASSWORD');
  },
  admin: process.env.E2E_ADMIN_EMAIL || 'admin@acme.test',
  agent: process.env.E2E_AGENT_EMAIL || 'agent@acme.test',
  requester: process.env.E2E_REQUESTER_EMAIL || 'requester@acme.test',
};

/** Path of the page the browser is on, without query or fragment. */
function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Waits until the browser is on `path` (exact path match). */
async function expectPath(page, path) {
  await expect.poll(() => pathOf(page), { message: `expected to be on ${path}` }).toBe(path);
}

function mainNav(page) {
  return page.getByRole('navigation', { name: 'Main' });
}

function heading(page) {
  return page.getByRole('heading', { level: 1 });
}

/**
 * Fills in and submits the sign-in form. Returns the server's direct answer
 * to the POST: the redirect on success, the re-rendered form on failure.
 */
async function signIn(page, email, password = users.password) {
  await page.goto('/signin');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.request().resourceType() === 'document',
    ),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  return response;
}

async function signOut(page) {
  await mainNav(page).getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectPath(page, '/signin');
}

module.exports = { users, pathOf, expectPath, mainNav, heading, signIn, signOut };
