/**
 * The layer rules (issue "one contract and one place per process"), checked by `npm run check:layers` (part of
 * `npm test`). Parsed with swc: TypeScript 7, the project's compiler, has no JavaScript API for dependency-cruiser's
 * tsc parser. `test/layers.test.ts` proves each rule fires on a deliberate violation.
 */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Import cycles tangle layers and load modules half-initialised.', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ holds pure rules: it imports only domain/ (and npm packages).',
      from: { path: '^domain/' },
      to: { path: '^(activities|api|platform|scripts|worker|workflows|test|bench|prisma)/' },
    },
    {
      name: 'activities-not-workflows',
      severity: 'error',
      comment: 'Activities never import a workflow module (its contract is fine): that would load proxyActivities into the worker.',
      from: { path: '^activities/' },
      to: { path: '^workflows/', pathNot: ['^workflows/[^/]+/contract\\.ts$', '^workflows/kit/(search-attributes|recompute)\\.ts$'] },
    },
    { name: 'api-not-activities', severity: 'error', comment: 'The API reaches processes through their clients, never their activities.', from: { path: '^api/' }, to: { path: '^activities/' } },
    { name: 'worker-not-api', severity: 'error', comment: 'The worker registers workflows, activities and schedules; it never imports the HTTP layer.', from: { path: '^worker/' }, to: { path: '^api/' } },
    {
      name: 'workflows-import-activities-as-types',
      severity: 'error',
      comment: 'Workflow code is bundled into the Temporal sandbox: it may know activities only as types.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'callers-import-workflows-as-types',
      severity: 'error',
      comment:
        'The API, worker, benchmark, scripts and platform start workflows by type name: they may know a workflow module ' +
        '(and workflows/index.ts) only as a type. A value import would load workflow code, with its module-level ' +
        'proxyActivities, into that process; ids, messages and constants come from the process contract.',
      from: { path: '^(api|worker|bench|scripts|platform)/' },
      to: { path: '^workflows/(index|[^/]+/workflow)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|prisma/generated|\\.tools|\\.data)' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
