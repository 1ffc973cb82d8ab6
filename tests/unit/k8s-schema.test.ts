/**
 * Every document in deploy/k8s/ against the Kubernetes API's own OpenAPI schemas, as the
 * `kubernetes-models` package ships them (compiled validators; its v5 has the 1.34 API:
 * resource.k8s.io/v1, PodSpec.hostnameOverride). No cluster is needed, and none is reachable here.
 *
 * The schemas do not forbid fields they do not name (`replica: 3` passes `.validate()`), while the
 * API server drops or rejects them, so a misspelt field would silently do nothing. The validator
 * reads every field its schema names (and every key of a map), so the check watches what it reads
 * through a Proxy: a field of an object that the validator never looked at is unknown to the API.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';

const dir = new URL('../../deploy/k8s/', import.meta.url);
const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();

type Manifest = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: string }; [field: string]: unknown };
type ModelClass = { apiVersion: string; kind: string; prototype: { validate(this: unknown): void } };

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((error) => error.message).join('; ')}`);
    return doc.toJS() as Manifest;
  });
}

/** The model class of `apiVersion` + `kind` ("apps/v1" → kubernetes-models/apps/v1, StatefulSet), or why there is none. */
async function modelClass(apiVersion: unknown, kind: unknown): Promise<ModelClass | string> {
  if (typeof apiVersion !== 'string' || !/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion)) return `bad apiVersion ${JSON.stringify(apiVersion)}`;
  if (typeof kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return `bad kind ${JSON.stringify(kind)}`;
  let module: Record<string, unknown>;
  try {
    const specifier = `kubernetes-models/${apiVersion}`;
    module = await import(/* @vite-ignore */ specifier);
  } catch {
    return `unknown apiVersion ${apiVersion}`;
  }
  const model = module[kind] as (ModelClass & Function) | undefined;
  if (typeof model !== 'function' || model.apiVersion !== apiVersion || model.kind !== kind) return `unknown kind ${kind} in ${apiVersion}`;
  return model;
}

/** Wraps `value` so that every field read below it is recorded in `read` (path → field names). */
function watched(value: unknown, path: string, read: Map<string, Set<string>>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const seen = read.get(path) ?? new Set<string>();
  read.set(path, seen);
  return new Proxy(value, {
    get(target, field, receiver) {
      const inner = Reflect.get(target, field, receiver);
      if (typeof field !== 'string') return inner;
      seen.add(field);
      return watched(inner, `${path}/${field}`, read);
    },
  });
}

function unknownFields(value: unknown, path: string, read: Map<string, Set<string>>): string[] {
  if (value === null || typeof value !== 'object') return [];
  const seen = read.get(path);
  return Object.entries(value).flatMap(([field, inner]) => [
    ...(Array.isArray(value) || seen?.has(field) ? [] : [`${path}/${field} is not a field of the API`]),
    ...unknownFields(inner, `${path}/${field}`, read),
  ]);
}

/** What the Kubernetes schemas say is wrong with one document: [] when nothing. */
async function manifestProblems(manifest: Manifest): Promise<string[]> {
  const model = await modelClass(manifest.apiVersion, manifest.kind);
  if (typeof model === 'string') return [model];
  const read = new Map<string, Set<string>>();
  const problems: string[] = [];
  try {
    model.prototype.validate.call(watched(manifest, '', read));
  } catch (error) {
    problems.push(...(error as Error).message.split(', '));
  }
  return [...problems, ...unknownFields(manifest, '', read)];
}

const clone = <T>(value: T): T => structuredClone(value);

describe('deploy/k8s against the Kubernetes API schemas', () => {
  test('there are manifests to check', () => {
    expect(files).toEqual(expect.arrayContaining(['namespace.yaml', 'limits.yaml', 'runner.yaml', 'router.yaml']));
  });

  for (const file of files) {
    test(`${file}: every document is a known kind and valid`, async () => {
      const documents = load(file);
      expect(documents.length).toBeGreaterThan(0);
      for (const manifest of documents) {
        expect(await manifestProblems(manifest), `${file}: ${String(manifest.kind)} ${manifest.metadata?.name}`).toEqual([]);
      }
    });
  }

  describe('the check itself fails on broken manifests', () => {
    const statefulSet = load('runner.yaml').find((doc) => doc.kind === 'StatefulSet')!;
    const spec = (manifest: Manifest) => manifest.spec as any;

    test('the unbroken StatefulSet passes', async () => {
      expect(await manifestProblems(clone(statefulSet))).toEqual([]);
    });

    test('a misspelt field (replica for replicas), at the top and deep in the pod', async () => {
      const broken = clone(statefulSet);
      spec(broken).replica = spec(broken).replicas;
      delete spec(broken).replicas;
      spec(broken).template.spec.containers[0].readinessProbe.httpGet.pth = '/api/ready';
      expect((await manifestProblems(broken)).sort()).toEqual([
        '/spec/replica is not a field of the API',
        '/spec/template/spec/containers/0/readinessProbe/httpGet/pth is not a field of the API',
      ]);
    });

    test('a wrong type, a bad enum value and a missing required field', async () => {
      const broken = clone(statefulSet);
      spec(broken).template.spec.containers[0].ports[0].containerPort = 'x';
      spec(broken).podManagementPolicy = 'Sideways';
      delete spec(broken).selector;
      const problems = await manifestProblems(broken);
      expect(problems).toContain('data/spec/template/spec/containers/0/ports/0/containerPort must be integer');
      expect(problems).toContain('data/spec/podManagementPolicy must be equal to one of the allowed values');
      expect(problems).toContain('data/spec must have required property selector');
    });

    test('an unknown kind or apiVersion', async () => {
      expect(await manifestProblems({ ...clone(statefulSet), kind: 'StatefullSet' })).toEqual(['unknown kind StatefullSet in apps/v1']);
      expect(await manifestProblems({ ...clone(statefulSet), apiVersion: 'apps/v9' })).toEqual(['unknown apiVersion apps/v9']);
      expect(await manifestProblems({ ...clone(statefulSet), kind: undefined })).toEqual(['bad kind undefined']);
    });
  });
});
