// The case workflows share their pure modules across workflows (worker/bundle.ts). A domain module
// left off the list would cost every cached case its own copy again; one that imports the SDK would
// share workflow state; one that exports a zod schema would break at its first parse, frozen. And
// no activity code is bundled at all: the workflows share only the email contract with the activities.
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleCaseWorkflows, sharedWorkflowModules } from '../../worker/bundle.ts';

const root = new URL('../../', import.meta.url).pathname;
const listed = sharedWorkflowModules.map((p) => relative(root, p)).sort();

/** Walks what the SDK's deep freeze walks (own properties of objects) and names each zod schema it meets. */
function schemasReachable(value: unknown, path: string, seen = new WeakSet<object>()): string[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  if ('_zod' in value) return [path];
  return Reflect.ownKeys(value).flatMap((k) => schemasReachable((value as Record<PropertyKey, unknown>)[k], `${path}.${String(k)}`, seen));
}

describe('the case workflow bundle', () => {
  it('preloads every project module the workflows import, except those that import the SDK', async () => {
    const { code } = await bundleCaseWorkflows();
    // webpack names each module in the bundle: /***/ "./domain/crs.ts":
    const modules = [...code.matchAll(/^\/\*\*\*\/ "\.\/([^"]+)"/gm)].map((m) => m[1]!);
    expect(modules).toContain('workflows/case.ts');
    const body = (module: string) => {
      const from = code.slice(code.indexOf(`/***/ "./${module}"`));
      return from.slice(0, from.indexOf('\n/***/ "', 10));
    };

    const projectModules = modules.filter((m) => !m.startsWith('node_modules/') && !m.startsWith('workflows/'));
    const pure = projectModules.filter((m) => !body(m).includes('@temporalio/')).sort();
    expect(pure).toEqual(listed);
    expect(projectModules).toContain('domain/search-attributes.ts'); // imports @temporalio/common: per workflow

    // Workflows import only types from activities/ (eslint.config.js), so no activity code, no email
    // renderer and no message catalogue is evaluated in a workflow: the email contract is domain/emails.ts.
    expect(modules).toContain('domain/emails.ts');
    expect(modules.filter((m) => /^(activities|i18n)\//.test(m) || m.includes('intl-messageformat'))).toEqual([]);
    expect(code).not.toContain('Answer the check-in'); // a word of the emails: no catalogue inlined either
  }, 60_000);

  it('lets no zod schema out of a shared module except through a function', async () => {
    for (const module of sharedWorkflowModules) {
      const exports = (await import(module)) as Record<string, unknown>;
      const reached = Object.entries(exports).flatMap(([name, value]) => schemasReachable(value, name));
      expect(reached, relative(root, module)).toEqual([]);
    }
  });
});
