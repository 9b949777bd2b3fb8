/**
 * The administration API: `/api/account/{accountId}/configuration/…`
 * (docs/ADMIN-API.md), one plugin per resource. Every route here requires an
 * administrator of the path's account: the auth plugin checks it before any
 * handler runs, and the reference lists the bearer requirement.
 * Handlers validate through their schemas and run the same actions as the CLI.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BEARER_SECURITY, type Auth } from '../../http/auth.js';
import { accessControlRoutes } from './accessControl.js';
import { agentGroupsRoutes } from './agentGroups.js';
import { appKeysRoutes } from './appKeys.js';
import { baseUrisRoutes } from './baseUris.js';
import type { AdminRouteDeps } from './deps.js';
import { eventsRoutes } from './events.js';
import { installationsRoutes } from './installations.js';
import { profilesRoutes } from './profiles.js';
import { sessionsRoutes } from './sessions.js';
import { settingsRoutes } from './settings.js';
import { ssoRoutes } from './sso.js';
import { usersRoutes } from './users.js';

export type { AdminRouteDeps } from './deps.js';

export function adminRoutes(deps: AdminRouteDeps, auth: Auth) {
  return async function (app: FastifyInstance): Promise<void> {
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: BEARER_SECURITY };
    });
    app.addHook('preHandler', auth.requireAdministrator);
    const typed = app.withTypeProvider<TypeBoxTypeProvider>();
    for (const resource of [usersRoutes, agentGroupsRoutes, profilesRoutes, appKeysRoutes, installationsRoutes, baseUrisRoutes, sessionsRoutes, eventsRoutes, settingsRoutes, ssoRoutes, accessControlRoutes]) {
      await typed.register(resource(deps));
    }
  };
}

export const ADMIN_TAGS = [
  { name: 'admin: users', description: 'Users (the original platform\'s shapes, v 4.0)' },
  { name: 'admin: agent groups', description: 'Agent groups (v 2.0)' },
  { name: 'admin: profiles', description: 'Profiles: they decide privileges at login and administrator rights at each request (v 4.0)' },
  { name: 'admin: app keys', description: 'API keys of bots (v 1.0)' },
  { name: 'admin: installations', description: 'OAuth 2.0 applications: client ids and secrets, grants, redirect URIs, scopes (v 1.0)' },
  { name: 'admin: base URIs', description: 'What the Domain API serves (v 1.0)' },
  { name: 'admin: sessions', description: 'Live sessions (v 1.0)' },
  { name: 'admin: events', description: 'Audit events (v 1.0)' },
  { name: 'admin: settings', description: 'Account settings (v 1.0)' },
  { name: 'admin: single sign-on', description: 'The account\'s identity provider (v 1.0)' },
  { name: 'admin: access control', description: 'Second factor, allowed networks, inactive users (v 1.0)' },
];
