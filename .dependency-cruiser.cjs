/**
 * The dependency rule of src/ (docs/ARCHITECTURE.md): adapters → services →
 * model ← store, and no folder imports one that imports it back. Checked by
 * `npm run lint:deps` in CI, with scripts/folder-graph.mjs, which checks that no
 * folder imports one that imports it back (a folder's model.ts and routes.ts
 * standing apart from its services). Only imports that exist at run time count:
 * `import type` compiles away, and every service names the `Stores` aggregate
 * that in turn names every model, by type.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycle',
      severity: 'error',
      comment: 'No module imports one that imports it back.',
      from: { path: '^src/' },
      to: { path: '^src/', circular: true },
    },
    {
      name: 'store-imports-models-only',
      severity: 'error',
      comment: 'The store implements the contracts the domains declare: it may read their models, never their services or an adapter.',
      from: { path: '^src/store/' },
      to: { path: '^src/(admin|cli|console|http|ops|oauth/(?!model)|sessions/(service|routes)|directory/(?!model)|accounts/(?!model|settings|accessControl)|sso/(?!model)|users/(?!loginName)|events/(?!model)|app|serve|main|bootstrap)' },
    },
    {
      name: 'domains-import-no-adapter',
      severity: 'error',
      comment: 'Domain code (models, services, store) runs under the adapters and never calls them.',
      from: { path: '^src/(accounts|directory|users|sessions|sso|security|events|store|oauth)/', pathNot: '/routes\\.ts$' },
      to: { path: '^src/(admin|cli|console)/' },
    },
    {
      name: 'models-import-models-only',
      severity: 'error',
      comment: 'A model declares what things are; it imports other models and shared kernel files only.',
      from: { path: '^src/[^/]+/model\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/[^/]+/model\\.ts$', '^src/accounts/settings\\.ts$', '^src/(errors|clock)\\.ts$', '^src/users/loginName\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs'] },
  },
};
