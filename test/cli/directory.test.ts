/** The CLI's group, profile and user-delete commands: the same actions, checks and events as the administration API. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStores } from '../../src/store/index.js';
import { assertFailed, assertSucceeded, runInProcess, type CommandResult } from './cliRunner.js';

const ACCOUNT = '515151';
let dir: string;
let db: string;
const cli = (args: string[]) => runInProcess([...args, '--db', db, '--json']);
const ok = (r: CommandResult): CommandResult => {
  assertSucceeded(r);
  return r;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'login-service-cli-directory-'));
  db = `sqlite:${join(dir, 'store.db')}`;
  assertSucceeded(await cli(['account', 'create', ACCOUNT]));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('groups and profiles: created, listed, refused while in use, deleted; user delete frees the name', async () => {
  const group = JSON.parse(ok(await cli(['group', 'create', ACCOUNT, 'Sales', '--description', 'the sales floor'])).stdout);
  assert.equal(group.parentGroupId, -1);
  const child = JSON.parse(ok(await cli(['group', 'create', ACCOUNT, 'Tier 1', '--parent', String(group.id)])).stdout);
  assertFailed(await cli(['group', 'create', ACCOUNT, 'Lost', '--parent', '999']), 1, /agent group 999 does not exist/);
  assertFailed(await cli(['group', 'delete', ACCOUNT, String(group.id)]), 1, /child groups/);
  assertSucceeded(await cli(['group', 'delete', ACCOUNT, String(child.id)]));
  const groups = JSON.parse(ok(await cli(['group', 'list', ACCOUNT])).stdout);
  assert.deepEqual(groups.map((g: { name: string }) => g.name), ['Main Group', 'Sales']);

  const profile = JSON.parse(ok(await cli(['profile', 'create', ACCOUNT, 'Chat', '--role-type', '2', '--permissions', '100,101'])).stdout);
  assertFailed(await cli(['profile', 'create', ACCOUNT, 'Odd', '--role-type', '9']), 1, /roleTypeId/);
  assertFailed(await cli(['profile', 'create', ACCOUNT, 'No role']), 2, /--role-type/);
  assertSucceeded(await cli(['user', 'create', ACCOUNT, 'carol', '--password', 'carol password one', '--privileges', '100,101']));
  assertFailed(await cli(['profile', 'delete', ACCOUNT, String(profile.id)]), 1, /assigned to 1 user/);
  assertFailed(await cli(['profile', 'delete', ACCOUNT, '1']), 1, /built in/);
  const profiles = JSON.parse(ok(await cli(['profile', 'list', ACCOUNT])).stdout);
  assert.equal(profiles.length, 5, '--privileges reused the profile with exactly those permissions');

  assertSucceeded(await cli(['user', 'delete', ACCOUNT, 'carol']));
  assertFailed(await cli(['user', 'delete', ACCOUNT, 'carol']), 1, /does not exist/);
  assertSucceeded(await cli(['profile', 'delete', ACCOUNT, String(profile.id)]));
  assertSucceeded(await cli(['user', 'create', ACCOUNT, 'Carol', '--password', 'carol password two']));

  const stores = await openStores({ databaseUrl: db });
  try {
    const events = await stores.events.listEvents(ACCOUNT);
    const deleted = events.find((e) => e.detail.action === 'user_delete')!;
    assert.equal(deleted.loginName, 'carol');
    assert.equal(deleted.detail.by, 'cli');
    assert.ok(events.some((e) => e.detail.action === 'agent_group_create' && e.detail.via === 'cli'));
  } finally {
    await stores.close();
  }
});
