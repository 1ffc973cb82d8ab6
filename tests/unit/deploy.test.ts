/**
 * The Kubernetes manifests and the router's nginx config agree: the YAML parses, the names and
 * ports the router uses are the ones the runners' Services and StatefulSet publish, the router's
 * ConfigMap is exactly what the generator makes, and the runner's name comes from its pod name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBERNETES_ROUTER, nginxConfig } from '../../scripts/cluster-config.ts';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: Record<string, string> };

function load(file: string): Doc[] {
  return parseAllDocuments(readFileSync(new URL(`../../deploy/k8s/${file}`, import.meta.url), 'utf8')).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Doc;
  });
}

const all = ['namespace.yaml', 'limits.yaml', 'runner.yaml', 'router.yaml'].flatMap(load);
const find = (kind: string, name: string) => {
  const found = all.find((doc) => doc.kind === kind && doc.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('deploy/k8s', () => {
  const namespace = find('Namespace', 'socket-workbook').metadata.name;
  const dns = KUBERNETES_ROUTER.dns!;

  test('everything lives in one namespace', () => {
    for (const doc of all.filter((doc) => doc.kind !== 'Namespace')) expect(doc.metadata.namespace, `${doc.kind} ${doc.metadata.name}`).toBe(namespace);
  });

  test("the router finds runners by the StatefulSet's headless Service, and new work by the ready-only Service", () => {
    const statefulSet = find('StatefulSet', 'runner');
    const headless = find('Service', statefulSet.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(dns.domain).toBe(`${headless.metadata.name}.${namespace}.svc.cluster.local`);
    const [readyName] = dns.readyService.split('.');
    const ready = find('Service', readyName);
    expect(dns.readyService).toBe(`${readyName}.${namespace}.svc.cluster.local`);
    expect(ready.spec.publishNotReadyAddresses).not.toBe(true);
    const labels = statefulSet.spec.template.metadata.labels;
    for (const service of [headless, ready]) {
      expect(service.spec.selector).toEqual(labels);
      expect(service.spec.ports.map((port: { port: number }) => port.port)).toEqual([dns.port, dns.previewPort]);
    }
    const container = statefulSet.spec.template.spec.containers[0];
    expect(container.ports.map((port: { containerPort: number }) => port.containerPort)).toEqual([dns.port, dns.previewPort]);
    const env = Object.fromEntries(container.env.map((item: { name: string; value?: string; valueFrom?: unknown }) => [item.name, item.value ?? item.valueFrom]));
    expect(env.PORT).toBe(String(dns.port));
    expect(env.PREVIEW_PORT).toBe(String(dns.previewPort));
    expect(env.RUNNER_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // Pod names (runner-0...) are valid runner names.
    expect(`${statefulSet.metadata.name}-${statefulSet.spec.replicas - 1}`).toMatch(/^[a-z0-9][a-z0-9-]{0,31}$/);
  });

  test('readiness and liveness probe the runner endpoints; the grace period outlasts the drain', () => {
    const pod = find('StatefulSet', 'runner').spec.template.spec;
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/api/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/api/live');
    const limits = find('ConfigMap', 'runner-limits').data!;
    expect(container.envFrom[0].configMapRef.name).toBe('runner-limits');
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(limits.RUNNER_DRAIN_MS));
    expect(limits.RUNNER_TRUST_PROXY).toBe('1');
    expect(find('PodDisruptionBudget', 'runner').spec.selector.matchLabels).toEqual(find('StatefulSet', 'runner').spec.template.metadata.labels);
  });

  test("the router's ConfigMap is the generator's output, and its ports are the router's", () => {
    expect(find('ConfigMap', 'router-nginx').data!['nginx.conf']).toBe(nginxConfig(KUBERNETES_ROUTER));
    const router = find('Deployment', 'router').spec.template.spec;
    expect(router.containers[0].ports.map((port: { containerPort: number }) => port.containerPort)).toEqual([KUBERNETES_ROUTER.port, KUBERNETES_ROUTER.previewPort]);
    expect(router.volumes[0].configMap.name).toBe('router-nginx');
    expect(router.containers[0].command).toContain(`${router.containers[0].volumeMounts[0].mountPath}/nginx.conf`);
  });

  test('runner and router run the one image, at the fixed tag scripts/container-check.sh builds (the package version)', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const containers = [find('StatefulSet', 'runner'), find('Deployment', 'router')].map((doc) => doc.spec.template.spec.containers[0]);
    for (const container of containers) {
      // Untagged or :latest makes kubelet pull on every start, from docker.io when no registry is named.
      expect(container.image, container.name).toBe(`socket-workbook:${version}`);
      expect(container.imagePullPolicy, container.name).toBe('IfNotPresent');
    }
    expect(readFileSync(new URL('../../scripts/container-check.sh', import.meta.url), 'utf8')).toContain('IMAGE=${IMAGE:-socket-workbook:$(node -p "require(\'./package.json\').version")}');
  });
});
