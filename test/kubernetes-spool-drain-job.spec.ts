/**
 * deploy/kubernetes/jobs/ingest-spool-drain.yaml, applied by hand beside the base: a valid Job
 * (kubernetes-models), as locked down as the apps, running the built drain command on an ingest
 * ordinal's claim at DATA_DIR with the base's ConfigMap and Secret keys.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  containerEnv,
  filePathProblems,
  labelProblems,
  referenceProblems,
  securityProblems,
} from './support/kubernetes-checks';
import { schemaProblems } from './support/kubernetes-schema';
import { podSpecOf, readObjects, renderKustomization, type K8sObject } from './support/kustomize';

const K8S = join(__dirname, '..', 'deploy', 'kubernetes');

describe('deploy/kubernetes/jobs/ingest-spool-drain.yaml', () => {
  const base = renderKustomization(join(K8S, 'base'));
  const [job, ...others] = readObjects(join(K8S, 'jobs', 'ingest-spool-drain.yaml'));
  const ingest = base.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'ingest')!;
  const all = [...base, job];

  it('is one valid Job with the recommended labels, locked down like the apps', () => {
    expect(others).toEqual([]);
    expect(job.kind).toBe('Job');
    expect(schemaProblems(job)).toEqual([]);
    expect(labelProblems([job])).toEqual([]);
    expect(securityProblems([job])).toEqual([]);
    expect(podSpecOf(job)!.restartPolicy).toBe('Never');
  });

  it('runs the built drain command', () => {
    const [container] = podSpecOf(job)!.containers as K8sObject[];
    expect(container.args).toEqual([
      'node',
      '-r',
      './scripts/register-paths.js',
      'dist/apps/ingest/src/spool-drain.js',
    ]);
    expect(existsSync(join(__dirname, '..', 'apps', 'ingest', 'src', 'spool-drain.ts'))).toBe(true);
  });

  it("mounts an ingest ordinal's claim where ingest keeps DATA_DIR", () => {
    const claim = (podSpecOf(job)!.volumes as K8sObject[]).find((v) => v.persistentVolumeClaim);
    const template = ingest.spec.volumeClaimTemplates[0].metadata.name;
    expect(claim?.persistentVolumeClaim.claimName).toMatch(
      new RegExp(`^${template}-${ingest.metadata.name}-\\d+$`),
    );
    const [container] = podSpecOf(job)!.containers as K8sObject[];
    const [app] = podSpecOf(ingest)!.containers as K8sObject[];
    const mountOf = (c: K8sObject, volume: string) =>
      (c.volumeMounts as K8sObject[]).find((m) => m.name === volume)?.mountPath;
    expect(mountOf(container, claim!.name)).toBe(mountOf(app, template));
    expect(containerEnv(all, job, container).get('DATA_DIR')).toBe(
      containerEnv(base, ingest, app).get('DATA_DIR'),
    );
    expect(containerEnv(all, job, container).get('BROKER')).toBeDefined();
  });

  it("refers only to the base's ConfigMap and Secret keys, with *_FILE paths inside its mounts", () => {
    expect(referenceProblems(all)).toEqual([]);
    expect(filePathProblems(all)).toEqual([]);
  });
});
